"""Whether this app may take traffic: its database schema is at the migrations' head and
the shipped themes are loaded (each has a published version)."""

from __future__ import annotations

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from webapp.config import REPO_ROOT
from webapp.migrate import alembic_config
from webapp.process_cache import ProcessCache
from webapp.themes.models import Theme, ThemeVersion

# The heads of the migrations this code ships: read once per process.
_HEADS: ProcessCache[frozenset[str]] = ProcessCache("migration heads", maxsize=1)


def _code_heads() -> frozenset[str]:
    def build() -> frozenset[str]:
        # The database URL plays no part in reading the scripts' heads.
        script = ScriptDirectory.from_config(alembic_config(""))
        return frozenset(script.get_heads())

    return _HEADS.get(str(REPO_ROOT / "migrations"), build)


def shipped_theme_codes(processes_dir: Path) -> set[str]:
    """The themes `yjs load-themes` loads: one folder per theme, named by its code."""
    return {p.parent.name for p in Path(processes_dir).glob("themes/*/theme.yaml")}


def problems(session: Session, processes_dir: Path) -> list[dict]:
    """Why the app is not ready (code and message, Chinese); empty when it is."""
    try:
        database_heads = set(MigrationContext.configure(session.connection()).get_current_heads())
        if database_heads != _code_heads():
            # Behind (or ahead of) this code: its queries may not fit the tables.
            return [
                {"code": "migrations", "message": "数据库结构不是最新版本，请运行 `yjs db upgrade`"}
            ]
        loaded = set(
            session.scalars(
                select(Theme.code).join(ThemeVersion, ThemeVersion.theme_id == Theme.id).distinct()
            )
        )
    except SQLAlchemyError:
        session.rollback()
        return [{"code": "database", "message": "数据库无法访问"}]
    missing = sorted(shipped_theme_codes(processes_dir) - loaded)
    if missing:
        return [
            {
                "code": "themes",
                "message": f"主题尚未载入：{', '.join(missing)}，请运行 `yjs load-themes`",
            }
        ]
    return []
