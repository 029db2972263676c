"""Case numbers (办件编号) like YJS-20261122-000123: unique, sequential per day, never reused."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from webapp.cases.models import CaseNumberCounter
from webapp.db import conflict_insert


def next_case_number(session: Session, today: dt.date) -> str:
    """Reserve the next number of `today` atomically (an upsert holds the counter row)."""
    table = CaseNumberCounter.__table__
    stmt = (
        conflict_insert(session, table)
        .values(day=today, last=1)
        .on_conflict_do_update(index_elements=[table.c.day], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    last = session.execute(stmt).scalar_one()
    return f"YJS-{today:%Y%m%d}-{last:06d}"
