"""The clerk's inbox (待办): filters, counts per filter, sorted by due date, keyset pages.

Every query runs on the `case_tasks` projection with the index
(department_id, status, due_at, id); no case state is loaded to list or count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from engine.working_calendar import Card
from webapp import access_policy
from webapp.access_policy import Function
from webapp.accounts.models import User
from webapp.cases.models import Case, CaseTask, TaskStatus
from webapp.clock import now as clock_now
from webapp.db import MAX_ROW_ID
from webapp.domain_errors import Forbidden
from webapp.themes.models import Theme, ThemeVersion

DUE_SOON = dt.timedelta(hours=24)
COUNT_CAP = 1000
FILTERS = {
    "all": "全部待办",
    "mine": "我认领的",
    "unclaimed": "未认领",
    "due_soon": "24小时内到期",
    "yellow": "黄牌",
    "red": "红牌",
}


@dataclass(frozen=True)
class InboxPage:
    tasks: list[CaseTask]
    counts: dict[str, int]
    next_after: str | None  # keyset cursor "due_at_iso|id"


def _conditions(user: User, now: dt.datetime) -> dict:
    return {
        "all": None,
        "mine": CaseTask.claimed_by_id == user.id,
        "unclaimed": CaseTask.claimed_by_id.is_(None),
        "due_soon": and_(CaseTask.due_at <= now + DUE_SOON, CaseTask.card != Card.RED),
        "yellow": CaseTask.card == Card.YELLOW,
        "red": CaseTask.card == Card.RED,
    }


def inbox(
    session: Session,
    user: User,
    *,
    view: str = "all",
    theme_code: str | None = None,
    after: str | None = None,
    limit: int = 50,
    now: dt.datetime | None = None,
) -> InboxPage:
    """One page of the open tasks of the user's departments, earliest due first."""
    departments = user.department_ids()
    if not access_policy.may_use(user, Function.WORKBENCH) or not departments:
        raise Forbidden("只有窗口和审批人员有待办任务")
    now = now or clock_now()
    conditions = _conditions(user, now)
    base = [_in_departments(departments), CaseTask.status == TaskStatus.OPEN]
    theme_id = None
    if theme_code:
        theme_id = session.scalar(select(Theme.id).where(Theme.code == theme_code))
        base.append(
            CaseTask.case_id.in_(
                select(Case.id)
                .join(Case.theme_version)
                .where(ThemeVersion.theme_id == (theme_id or -1))
            )
        )
    chosen = conditions.get(view)
    stmt = (
        select(CaseTask)
        .join(CaseTask.case)
        # One query for the page: the list shows case, applicant and theme of every row —
        # and only those columns: a case's state and a version's definition are large JSON
        # documents, and decoding them for 50 rows cost more than the query itself.
        .options(
            contains_eager(CaseTask.case).load_only(
                Case.case_no, Case.status, Case.card, Case.applicant_id, Case.theme_version_id
            ),
            contains_eager(CaseTask.case).joinedload(Case.applicant),
            contains_eager(CaseTask.case)
            .joinedload(Case.theme_version)
            .load_only(ThemeVersion.number, ThemeVersion.theme_id),
            joinedload(CaseTask.claimed_by),
        )
        .where(*base)
        .order_by(CaseTask.due_at, CaseTask.id)
        .limit(limit + 1)
    )
    if chosen is not None:
        stmt = stmt.where(chosen)
    if after:
        due, _, last_id = after.partition("|")
        due_at = dt.datetime.fromisoformat(due)
        stmt = stmt.where(
            or_(
                CaseTask.due_at > due_at,
                and_(CaseTask.due_at == due_at, CaseTask.id > int(last_id)),
            )
        )
    rows = list(session.scalars(stmt).unique())
    next_after = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_after = f"{last.due_at.isoformat()}|{last.id}"
    counts = _capped_counts(
        session,
        {name: base if cond is None else [*base, cond] for name, cond in conditions.items()},
    )
    return InboxPage(rows, counts, next_after)


def _in_departments(departments: frozenset[int]):
    # One department (the usual case) keeps the plain equality the indexes are built for.
    if len(departments) == 1:
        return CaseTask.department_id == next(iter(departments))
    return CaseTask.department_id.in_(sorted(departments))


def _capped_counts(session: Session, filters: dict[str, list]) -> dict[str, int]:
    """How many rows match each filter, counting at most COUNT_CAP (shown as "999+").

    A county hall's department may hold hundreds of thousands of open tasks; an exact count
    per filter on every page view would read them all. Each capped count is one short
    index range scan instead, and all of them go in one statement (one round trip).
    """
    columns = [
        select(func.count())
        .select_from(select(CaseTask.id).where(*where).limit(COUNT_CAP).subquery())
        .scalar_subquery()
        .label(name)
        for name, where in filters.items()
    ]
    row = session.execute(select(*columns)).one()
    return {name: int(row[i]) for i, name in enumerate(filters)}


def parse_cursor(value: str | None) -> str | None:
    """A cursor from the URL, or None when it is not one of ours (never a 500)."""
    if not value:
        return None
    due, sep, last_id = value.partition("|")
    try:
        due_at = dt.datetime.fromisoformat(due)
        # Compared in UTC: an instant that does not exist there is not one of ours.
        due_at.astimezone(dt.UTC)
        row_id = int(last_id)
    except (ValueError, OverflowError):
        return None
    in_range = 0 <= row_id <= MAX_ROW_ID
    return value if sep and due_at.tzinfo is not None and in_range else None
