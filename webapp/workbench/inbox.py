"""The clerk's inbox (待办): filters, counts per filter, sorted by due date, keyset pages.

Every query runs on the `case_tasks` projection with the index
(department_id, status, due_at, id), which on PostgreSQL also carries the columns the
filters test (24小时内到期 has a partial index of the tasks not yet red); a page's ids are
picked from it before anything is joined, and no case state is loaded to list or count.

同城通办: a front-desk clerk placed at a service point sees the cases of their point first
(handed in, accepted or to be collected there), then the shared pool (通办池: online
applications and other points' cases), which they may claim and work like their own; the
filters 本服务点 and 通办池 show either part alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from engine.working_calendar import Card
from webapp import access_policy
from webapp.access_policy import Function
from webapp.accounts.models import DEFAULT_HOLDERS, Role, User
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
# Only for a front-desk clerk placed at a service point.
POINT_FILTERS = {"point": "本服务点", "pool": "通办池"}


@dataclass(frozen=True)
class InboxPage:
    tasks: list[CaseTask]
    counts: dict[str, int]
    next_after: str | None  # keyset cursor "due_at_iso|id", with "|rank" at a point
    point_case_ids: frozenset[int] = frozenset()  # the listed cases that are the point's


def filters_for(user: User) -> dict[str, str]:
    """The inbox's filters for `user` (a clerk at a point also gets 本服务点 / 通办池)."""
    if user.service_point(Role.FRONT_DESK) is None:
        return dict(FILTERS)
    return {
        "all": FILTERS["all"],
        **POINT_FILTERS,
        **{k: v for k, v in FILTERS.items() if k != "all"},
    }


def _at_point(point_id: int):
    """The case is the point's: handed in, accepted, or to be collected there."""
    return or_(
        Case.submitted_point_id == point_id,
        Case.accepted_point_id == point_id,
        Case.collection_point_id == point_id,
    )


def _conditions(user: User, now: dt.datetime, point_id: int | None = None) -> dict:
    conditions = {
        "all": None,
        "mine": CaseTask.claimed_by_id == user.id,
        "unclaimed": CaseTask.claimed_by_id.is_(None),
        "due_soon": and_(CaseTask.due_at <= now + DUE_SOON, CaseTask.card != Card.RED),
        "yellow": CaseTask.card == Card.YELLOW,
        "red": CaseTask.card == Card.RED,
    }
    if point_id is not None:
        # As a subquery on cases (each point column is indexed), so the counts need no join.
        mine = CaseTask.case_id.in_(select(Case.id).where(_at_point(point_id)))
        conditions["point"] = mine
        conditions["pool"] = not_(mine)
    return conditions


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
    point = user.service_point(Role.FRONT_DESK)
    point_id = point.id if point is not None else None
    conditions = _conditions(user, now, point_id)
    base = [_held_by(user, departments), CaseTask.status == TaskStatus.OPEN]
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
    where = base if chosen is None else [*base, chosen]
    cursor = _Cursor.parse(after)
    if point_id is None or view in ("point", "pool"):
        rows, more = _rows(session, where, cursor, limit)
        rank = {"point": 0, "pool": 1}.get(view) if point_id is not None else None
        next_after = _next(rows, more, rank)
    else:
        # At a point its cases come first, then the pool: two index-ordered parts (a sort
        # on a computed rank would read every open task of the county's window to page).
        rows, more, rank = [], False, 0
        if cursor is None or cursor.rank == 0:
            rows, more = _rows(session, [*where, conditions["point"]], cursor, limit)
        if not more:
            # The point's part ends on this page: the pool follows (from its start, or on
            # from the cursor when the page began in it). A page the point's part filled
            # exactly pages on with its own cursor; the next page then starts the pool.
            later = cursor if cursor is not None and cursor.rank == 1 else None
            pool, more = _rows(session, [*where, conditions["pool"]], later, limit - len(rows))
            if pool or later is not None:
                rank = 1
            rows += pool
        next_after = _next(rows, more, rank)
    mine = frozenset(
        t.case_id
        for t in rows
        if point_id is not None
        and point_id
        in (t.case.submitted_point_id, t.case.accepted_point_id, t.case.collection_point_id)
    )
    counts = _capped_counts(
        session,
        {name: base if cond is None else [*base, cond] for name, cond in conditions.items()},
    )
    return InboxPage(rows, counts, next_after, mine)


@dataclass(frozen=True)
class _Cursor:
    due_at: dt.datetime
    task_id: int
    rank: int | None  # at a point: 0 its own part, 1 the pool

    @classmethod
    def parse(cls, value: str | None) -> _Cursor | None:
        if not value:
            return None
        due, _, rest = value.partition("|")
        last_id, _, rank = rest.partition("|")
        return cls(dt.datetime.fromisoformat(due), int(last_id), int(rank) if rank else None)


def _rows(session: Session, where: list, cursor: _Cursor | None, limit: int):
    """Up to `limit` tasks after `cursor`, earliest due first, and whether more follow."""
    if cursor is not None:
        where = [
            *where,
            or_(
                CaseTask.due_at > cursor.due_at,
                and_(CaseTask.due_at == cursor.due_at, CaseTask.id > cursor.task_id),
            ),
        ]
    if limit == 0:  # only "does anything follow?"
        return [], bool(session.scalar(select(select(CaseTask.id).where(*where).exists())))
    # The page's ids first, from case_tasks alone: an index range in (due_at, id) order
    # that stops after `limit + 1` rows whatever the planner believes of the filter (with a
    # stale estimate of one red task among 30,000 it joined and sorted them all: 450 ms).
    page = (
        select(CaseTask.id)
        .where(*where)
        .order_by(CaseTask.due_at, CaseTask.id)
        .limit(limit + 1)
        .subquery("page")
    )
    stmt = (
        select(CaseTask)
        .join(page, page.c.id == CaseTask.id)
        .join(CaseTask.case)
        # One query for the page: the list shows case, applicant and theme of every row —
        # and only those columns: a case's state and a version's definition are large JSON
        # documents, and decoding them for 50 rows cost more than the query itself.
        .options(
            contains_eager(CaseTask.case).load_only(
                Case.case_no,
                Case.status,
                Case.card,
                Case.applicant_id,
                Case.theme_version_id,
                Case.submitted_point_id,
                Case.accepted_point_id,
                Case.collection_point_id,
                Case.assistance,
            ),
            contains_eager(CaseTask.case).joinedload(Case.applicant),
            contains_eager(CaseTask.case)
            .joinedload(Case.theme_version)
            .load_only(ThemeVersion.number, ThemeVersion.theme_id),
            joinedload(CaseTask.claimed_by),
        )
        .order_by(CaseTask.due_at, CaseTask.id)
    )
    rows = list(session.scalars(stmt).unique())
    return rows[:limit], len(rows) > limit


def _next(rows: list[CaseTask], more: bool, rank: int | None) -> str | None:
    if not more or not rows:
        return None
    last = rows[-1]
    cursor = f"{last.due_at.isoformat()}|{last.id}"
    return cursor if rank is None else f"{cursor}|{rank}"


def _held_by(user: User, departments: frozenset[int]):
    """Tasks of the user's departments at a level the user acts on: a task naming no holder
    role is the window's and the 承办人's (as before levels), else its role's."""
    default = {r.value for r in DEFAULT_HOLDERS}
    by_roles: dict[frozenset[str], set[int]] = {}
    for department in departments:
        roles = frozenset(
            g.role for g in user.role_grants if g.department_id == department
        )  # fmt: skip
        by_roles.setdefault(roles, set()).add(department)
    parts = []
    for roles, ids in by_roles.items():
        held = [CaseTask.holder_role.in_(sorted(roles))]
        if roles & default:
            held.append(CaseTask.holder_role.is_(None))
        parts.append(and_(_in_departments(frozenset(ids)), or_(*held)))
    return parts[0] if len(parts) == 1 else or_(*parts)


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
    due, sep, rest = value.partition("|")
    last_id, _, rank = rest.partition("|")
    try:
        due_at = dt.datetime.fromisoformat(due)
        # Compared in UTC: an instant that does not exist there is not one of ours.
        due_at.astimezone(dt.UTC)
        row_id = int(last_id)
    except (ValueError, OverflowError):
        return None
    in_range = 0 <= row_id <= MAX_ROW_ID and rank in ("", "0", "1")
    return value if sep and due_at.tzinfo is not None and in_range else None
