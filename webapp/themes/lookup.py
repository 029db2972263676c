"""Finding themes, their drafts and their published versions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.domain_errors import NotFound
from webapp.themes.models import Theme, ThemeDraft, ThemeVersion


def get_theme(session: Session, code: str) -> Theme:
    theme = session.scalars(select(Theme).where(Theme.code == code)).one_or_none()
    if theme is None:
        raise NotFound("主题不存在")
    return theme


def list_themes(session: Session) -> list[Theme]:
    return list(session.scalars(select(Theme).order_by(Theme.id)))


def latest_version(session: Session, theme: Theme) -> ThemeVersion | None:
    stmt = (
        select(ThemeVersion)
        .where(ThemeVersion.theme_id == theme.id)
        .order_by(ThemeVersion.number.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def latest_draft(session: Session, theme: Theme) -> ThemeDraft | None:
    stmt = (
        select(ThemeDraft)
        .where(ThemeDraft.theme_id == theme.id)
        .order_by(ThemeDraft.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def versions(session: Session, theme: Theme) -> list[ThemeVersion]:
    stmt = (
        select(ThemeVersion)
        .where(ThemeVersion.theme_id == theme.id)
        .order_by(ThemeVersion.number.desc())
    )
    return list(session.scalars(stmt))
