"""The catalog in force and the catalog with drafts: the files of processes/catalog/ with
the revisions admins saved in the browser on top, read through `forms`' own readers."""

from __future__ import annotations

from collections.abc import Collection
from copy import deepcopy
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms import Catalog, load_catalog
from forms.catalog import item_documents, with_item_records
from webapp.catalog.models import CatalogItemRevision, RevisionStatus
from webapp.process_cache import ProcessCache

# The files change only with a deployment (or a test's copy): read and checked once per
# process and content, not on every page of the editor.
_FILES: ProcessCache[tuple[Catalog, dict[str, dict[str, Any]]]] = ProcessCache(
    "catalog files", maxsize=8
)


def catalog_root(processes_dir: Path) -> Path:
    return Path(processes_dir) / "catalog"


def _files(processes_dir: Path) -> tuple[Catalog, dict[str, dict[str, Any]]]:
    root = catalog_root(processes_dir)
    stamp = tuple(
        (str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(root.rglob("*.yaml"))
    )
    return _FILES.get(
        (str(root.resolve()), stamp), lambda: (load_catalog(root), item_documents(root))
    )


def newest_revisions(session: Session, status: RevisionStatus) -> dict[str, CatalogItemRevision]:
    """Item code → its newest revision in `status`."""
    stmt = (
        select(CatalogItemRevision)
        .where(CatalogItemRevision.status == status)
        .order_by(CatalogItemRevision.id)
    )
    return {r.item_code: r for r in session.scalars(stmt)}


def pending_drafts(session: Session) -> dict[str, CatalogItemRevision]:
    """Item code → the draft waiting to be published (at most one per item)."""
    return newest_revisions(session, RevisionStatus.DRAFT)


def documents_in_force(session: Session, processes_dir: Path) -> dict[str, dict[str, Any]]:
    """Item code → record as published: the file's, or the newest published revision's."""
    documents = deepcopy(_files(processes_dir)[1])  # callers may edit what they get
    for code, revision in newest_revisions(session, RevisionStatus.PUBLISHED).items():
        documents[code] = dict(revision.document)
    return documents


def draft_documents(
    session: Session, processes_dir: Path, codes: Collection[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Item code → record with the pending drafts (of `codes`, default all) applied."""
    documents = documents_in_force(session, processes_dir)
    for code, revision in pending_drafts(session).items():
        if codes is None or code in codes:
            documents[code] = dict(revision.document)
    return documents


def catalog_in_force(session: Session, processes_dir: Path) -> Catalog:
    """The files' catalog with the published revisions; raises CatalogInvalid."""
    revisions = newest_revisions(session, RevisionStatus.PUBLISHED)
    base = _files(processes_dir)[0]
    return with_item_records(base, {c: r.document for c, r in revisions.items()})


def catalog_with_drafts(
    session: Session, processes_dir: Path, codes: Collection[str] | None = None
) -> Catalog:
    """The catalog with the pending drafts of `codes` (default all); raises CatalogInvalid."""
    revisions = newest_revisions(session, RevisionStatus.PUBLISHED)
    revisions.update(
        {c: r for c, r in pending_drafts(session).items() if codes is None or c in codes}
    )
    base = _files(processes_dir)[0]
    return with_item_records(base, {c: r.document for c, r in revisions.items()})
