"""Admins confirm a publication with a reason, or republish an older version (rollback).

Publishing a theme takes its newest diagram draft and the drafts of its items; every other
theme using one of those items gets a new version too (its diagram unchanged), listed on
the review page before the admin confirms. Each version records who, when and why.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import access_policy
from webapp.access_policy import Function
from webapp.accounts.models import User
from webapp.audit import trail
from webapp.catalog import records
from webapp.catalog.models import RevisionStatus
from webapp.clock import now
from webapp.domain_errors import Conflict, Forbidden, NotFound
from webapp.themes.candidates import Candidate, candidate, carried_along
from webapp.themes.models import Theme, ThemeVersion
from webapp.themes.publishing import create_version


def _require_publisher(actor: User) -> None:
    if not access_policy.may_use(actor, Function.PUBLISH):
        raise Forbidden("只有管理员可以发布主题版本")


def publish_theme(
    session: Session, actor: User, theme: Theme, processes_dir: Path, reason: str
) -> list[ThemeVersion]:
    """Publish the theme's candidate and the themes its item drafts carry along; mark those
    item drafts published. Returns the new versions, this theme's first."""
    _require_publisher(actor)
    primary = candidate(session, theme, processes_dir)
    if not primary.changes_anything:
        raise Conflict("与当前版本相比没有任何变化，无需发布")
    others = carried_along(session, theme, processes_dir)
    versions = [_publish(session, actor, primary, reason)]
    for other in others:
        if other.changes_anything:
            versions.append(_publish(session, actor, other, reason))
    at = now()
    drafts = records.pending_drafts(session)
    for code in primary.changed_items:
        revision = drafts[code]
        revision.status = RevisionStatus.PUBLISHED
        revision.published_at = at
        trail.record(
            session,
            actor,
            "catalog.item_published",
            after={
                "item": code,
                "revision": revision.id,
                "versions": [f"{v.theme.code}#{v.number}" for v in versions],
            },
            detail=reason,
        )
    return versions


def _publish(session: Session, actor: User, planned: Candidate, reason: str) -> ThemeVersion:
    return create_version(
        session,
        actor,
        planned.theme,
        planned.bpmn_xml,
        planned.guidance_dmn,
        planned.definition,
        draft_id=planned.draft.id if planned.draft else
        (planned.current.draft_id if planned.current else None),
        reason=reason,
        source="draft" if planned.draft else "catalog",
        catalog=planned.catalog,
    )  # fmt: skip


def roll_back(session: Session, actor: User, theme: Theme, number: int, reason: str):
    """Republish version `number` as the theme's next version, exactly as it was."""
    _require_publisher(actor)
    old = session.scalars(
        select(ThemeVersion).where(ThemeVersion.theme_id == theme.id, ThemeVersion.number == number)
    ).one_or_none()
    if old is None:
        raise NotFound("版本不存在")
    return create_version(
        session,
        actor,
        theme,
        old.bpmn_xml,
        old.guidance_dmn,
        old.definition,
        draft_id=old.draft_id,
        reason=reason,
        source="rollback",
        restores=old.number,
        catalog=old.catalog,
    )
