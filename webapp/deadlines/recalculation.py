"""Deadlines counted again after the working calendar changed (a year's notice entered).

A deadline falling in a year the calendar did not cover was counted Monday–Friday and shown
as provisional; once the notice is entered it is counted on the real holidays and 调休.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from webapp.cases.models import Case, CaseTask, TaskStatus
from webapp.clock import CHINA_TZ
from webapp.clock import now as clock_now
from webapp.deadlines import limits
from webapp.themes.published import published_theme


def reschedule_open_tasks(session: Session, year: int | None = None) -> int:
    """Recount the open tasks whose deadlines reach into `year` (default: any); how many moved.

    Each case is looked at again by the worker at once, so its cards follow the new dates.
    """
    since = dt.datetime(year or 1970, 1, 1, tzinfo=CHINA_TZ)
    stmt = (
        select(CaseTask)
        .where(CaseTask.status.in_((TaskStatus.OPEN, TaskStatus.SUSPENDED)))
        .where(or_(CaseTask.due_at >= since, CaseTask.legal_due_at >= since))
    )
    moved = 0
    cases: dict[int, Case] = {}
    for task in session.scalars(stmt):
        case = task.case
        before = (task.due_at, task.legal_due_at)
        limits.schedule(case, task, published_theme(case.theme_version).yellow_card_at)
        moved += (task.due_at, task.legal_due_at) != before
        cases[case.id] = case
    at = clock_now()
    for case in cases.values():
        limits.schedule_case(case)
        case.next_check_at = at
    session.flush()
    return moved
