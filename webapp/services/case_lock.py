"""Locking a case while its engine steps run.

Two mechanisms, one per failure mode:
- `SELECT … FOR UPDATE` on PostgreSQL: a second request on the same case waits for the
  first to commit, then sees the task already done and gets a clear 409.
- `cases.row_version` (SQLAlchemy version counter) on every database: a writer whose
  snapshot is stale (SQLite ignores FOR UPDATE) fails its UPDATE instead of overwriting.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Case
from .errors import NotFound


def lock_case(session: Session, case_id: int) -> Case:
    stmt = (
        select(Case)
        .where(Case.id == case_id)
        .with_for_update(of=Case)
        .execution_options(populate_existing=True)
    )
    case = session.scalars(stmt).one_or_none()
    if case is None:
        raise NotFound("办件不存在")
    return case
