"""The migrations build exactly the schema the models declare (no drift between them)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webapp.db import Base


def _relevant(diff) -> bool:
    # Server defaults are rendered differently per dialect; the shape is what matters here.
    kind = diff[0][0] if isinstance(diff, list) else diff[0]
    return kind not in ("modify_default",)


def test_models_and_migrations_agree(app):
    engine = app.extensions["yjs_db"].engine
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        diffs = [d for d in compare_metadata(context, Base.metadata) if _relevant(d)]
    assert diffs == []
