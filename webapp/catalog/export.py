"""Writing the records admins published back into the catalog's YAML files, so the
repository stays the source of the shipped catalog (commit the files it writes)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from forms.catalog_export import item_yaml
from webapp.catalog import records
from webapp.catalog.models import RevisionStatus


def export_published(session: Session, target: Path) -> list[str]:
    """Write `target/items/<code>.yaml` for every item with a published revision; return
    the paths written (one line each, for the command's report)."""
    items = Path(target) / "items"
    items.mkdir(parents=True, exist_ok=True)
    written = []
    published = records.newest_revisions(session, RevisionStatus.PUBLISHED)
    for code, revision in sorted(published.items()):
        path = items / f"{code}.yaml"
        path.write_text(item_yaml(revision.document), encoding="utf-8")
        written.append(str(path))
    return written
