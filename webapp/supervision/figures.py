"""效能监督's figures: what the dashboard shows and the monthly 进度表 prints, for a period,
optionally one theme and one department.

Every figure is an aggregate the database computes over indexed columns (cases by
submitted/accepted/completed instant, tasks by kind and completion instant, open tasks by
status, department and card): nothing is counted row by row in Python and nothing writes,
so the dashboard holds no hot row. Definitions (a rate is None when there is nothing to
divide by, shown as "—"):

- 收件 / 受理 / 办结: cases submitted / accepted / completed (办结出件) within the period.
- The rates of the cases *received* in the period (one cohort, so the shares add up):
  补正率 = asked for 补正 (a 一次性补正告知书 was issued) ÷ received; 容缺率 = accepted with a
  容缺 gap ÷ accepted; 不予受理率 = refused ÷ (accepted + refused); 一次办成率 = completed
  without any 补正 ÷ completed; 网办率 = submitted by the applicant's own account online
  (not by staff on their behalf) ÷ received.
- 承诺按时率 (per department): item tasks completed in the period by their due instant ÷
  item tasks completed in the period; 法定按时率 likewise against the 法定时限, of the tasks
  that have one. 办件承诺按时办结率: cases completed in the period by their promised date.
- 黄牌 / 红牌 / 超法定时限: open tasks *now* (a snapshot; the period does not apply).
- 平均用时: working days the period's completed item tasks took (`case_tasks.used_days`,
  counted at completion) beside the days promised, per item.
- 导办率: published themes whose guidance asks questions ÷ published themes.
- 好差评: `ratings.figures` over the cases finished in the period.

- 服务点 (同城通办): a case's point is where it was accepted, else where it was handed in;
  per point: cases received and accepted there in the period, completed (出件) there, and
  the open tasks' cards of its cases now. The point filter keeps the cases a point took
  part in (handed in, accepted or delivered there): one more condition in
  `case_conditions`, which every figure reads cases through.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, exists, func, or_, select, text
from sqlalchemy.orm import Session

from webapp.accounts.models import Department, Role, RoleGrant
from webapp.cases.models import Card, Case, CaseStatus, CaseTask, TaskKind, TaskStatus
from webapp.clock import CHINA_TZ
from webapp.front_desk.models import MaterialGap
from webapp.instruments.models import Instrument
from webapp.ratings.figures import RatingFigures, rating_figures
from webapp.service_network.models import ServicePoint
from webapp.supervision.models import AuditVerification
from webapp.themes.lookup import latest_version, list_themes
from webapp.themes.models import Theme, ThemeVersion
from webapp.themes.published import published_theme

# Beyond this many days the flow over time is counted per month instead of per day.
DAILY_UP_TO = 62


@dataclass(frozen=True)
class Filters:
    """The period (Beijing dates, both inclusive), and optionally a theme and a department."""

    start: dt.date
    end: dt.date
    theme_code: str | None = None
    department_id: int | None = None
    point_id: int | None = None  # 服务点 (service_network): cases it took part in

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), CHINA_TZ)

    @property
    def until(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), CHINA_TZ)

    @property
    def monthly(self) -> bool:
        return (self.end - self.start).days >= DAILY_UP_TO


def rate(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal, e.g. Decimal('66.7'); None with nothing to divide."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CaseFigures:
    received: int
    accepted: int
    refused: int
    completed: int  # of the received cohort
    corrected: int
    with_gap: int
    completed_at_once: int
    online: int

    @property
    def correction_rate(self):
        return rate(self.corrected, self.received)

    @property
    def gap_rate(self):
        return rate(self.with_gap, self.accepted)

    @property
    def refusal_rate(self):
        return rate(self.refused, self.accepted + self.refused)

    @property
    def done_at_once_rate(self):
        return rate(self.completed_at_once, self.completed)

    @property
    def online_rate(self):
        return rate(self.online, self.received)


@dataclass(frozen=True)
class DepartmentRow:
    """One department's line: tasks completed in the period and its open tasks' cards now."""

    department: str
    completed: int = 0
    on_time: int = 0
    legal_counted: int = 0
    legal_on_time: int = 0
    open: int = 0
    yellow: int = 0
    red: int = 0
    legal_overdue: int = 0

    @property
    def on_time_rate(self):
        return rate(self.on_time, self.completed)

    @property
    def legal_on_time_rate(self):
        return rate(self.legal_on_time, self.legal_counted)


@dataclass(frozen=True)
class ItemRow:
    item_code: str
    name: str
    completed: int
    average_days: Decimal | None
    promised_days: Decimal | None


@dataclass(frozen=True)
class FlowPoint:
    period: str  # 2026-11-05, or 2026-11 when counted per month
    received: int
    accepted: int
    completed: int


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    flow: list[FlowPoint]
    cases: CaseFigures
    completed_in_period: int
    accepted_in_period: int
    received_in_period: int
    cases_on_promise: int  # of completed_in_period with a promise
    cases_promised: int
    departments: list[DepartmentRow]
    items: list[ItemRow]
    points: list[PointRow]
    guided_themes: int
    published_themes: int
    ratings: RatingFigures
    audit: AuditVerification | None
    totals: DepartmentRow = field(default_factory=lambda: DepartmentRow("合计"))

    @property
    def case_on_time_rate(self):
        return rate(self.cases_on_promise, self.cases_promised)

    @property
    def guidance_rate(self):
        return rate(self.guided_themes, self.published_themes)


def case_conditions(filters: Filters) -> list:
    """The conditions on `cases` every figure applies (theme, department; a point later)."""
    conditions = []
    if filters.theme_code:
        conditions.append(_of_theme(filters.theme_code))
    if filters.department_id is not None:
        conditions.append(
            exists().where(
                CaseTask.case_id == Case.id, CaseTask.department_id == filters.department_id
            )
        )
    if filters.point_id is not None:
        conditions.append(_at_point(filters.point_id))
    return conditions


def _at_point(point_id: int):
    # Each point column is indexed: the OR is three index scans, not a scan of cases.
    return or_(
        Case.submitted_point_id == point_id,
        Case.accepted_point_id == point_id,
        Case.delivered_point_id == point_id,
    )


def _of_theme(code: str):
    versions = (
        select(ThemeVersion.id)
        .join(Theme, Theme.id == ThemeVersion.theme_id)
        .where(Theme.code == code)
    )
    return Case.theme_version_id.in_(versions)


def task_conditions(filters: Filters) -> list:
    """Tasks of the filtered cases; with a department, that department's tasks only."""
    conditions = []
    if filters.theme_code:
        conditions.append(
            CaseTask.case_id.in_(select(Case.id).where(_of_theme(filters.theme_code)))
        )
    if filters.department_id is not None:
        conditions.append(CaseTask.department_id == filters.department_id)
    if filters.point_id is not None:
        conditions.append(CaseTask.case_id.in_(select(Case.id).where(_at_point(filters.point_id))))
    return conditions


def _within(column, filters: Filters):
    return and_(column >= filters.since, column < filters.until)


def _bucket(session: Session, column, monthly: bool):
    """The Beijing day (or month) of an instant, as text, in the database's own dialect."""
    if session.get_bind().dialect.name == "postgresql":
        local = func.timezone("Asia/Shanghai", column)
        return func.to_char(local, "YYYY-MM" if monthly else "YYYY-MM-DD")
    return func.strftime("%Y-%m" if monthly else "%Y-%m-%d", column, "+8 hours")


def flow(session: Session, filters: Filters) -> list[FlowPoint]:
    """Cases received, accepted and completed per day (or month) of the period."""
    counts: dict[str, list[int]] = {}
    columns = (Case.submitted_at, Case.accepted_at, Case.completed_at)
    for index, column in enumerate(columns):
        bucket = _bucket(session, column, filters.monthly).label("bucket")
        conditions = [_within(column, filters), *case_conditions(filters)]
        if column is Case.completed_at:
            conditions.append(Case.status == CaseStatus.COMPLETED)
        stmt = select(bucket, func.count()).where(*conditions).group_by(bucket)
        for key, count in session.execute(stmt):
            counts.setdefault(key, [0, 0, 0])[index] = count
    return [FlowPoint(key, *values) for key, values in _all_buckets(filters, counts)]


def _all_buckets(filters: Filters, counts: dict[str, list[int]]):
    """Every day (or month) of the period, quiet ones as zeros: a chart without gaps."""
    keys = []
    day = filters.start
    while day <= filters.end:
        key = day.strftime("%Y-%m") if filters.monthly else day.isoformat()
        if not keys or keys[-1] != key:
            keys.append(key)
        day += dt.timedelta(days=1)
    return [(key, counts.get(key, [0, 0, 0])) for key in keys]


def _counted(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def case_figures(session: Session, filters: Filters) -> CaseFigures:
    """The received cohort's shares (补正, 容缺, 不予受理, 一次办成, 网办)."""
    corrected = exists().where(Instrument.case_id == Case.id, Instrument.kind == "correction")
    with_gap = exists().where(MaterialGap.case_id == Case.id)
    own_account = exists().where(
        RoleGrant.user_id == Case.applicant_id, RoleGrant.role == Role.APPLICANT
    )
    done = Case.status == CaseStatus.COMPLETED
    stmt = select(
        func.count(),
        _counted(Case.accepted_at.is_not(None)),
        _counted(Case.status == CaseStatus.REFUSED),
        _counted(done),
        _counted(corrected),
        _counted(and_(Case.accepted_at.is_not(None), with_gap)),
        _counted(and_(done, ~corrected)),
        _counted(own_account),
    ).where(_within(Case.submitted_at, filters), *case_conditions(filters))
    return CaseFigures(*(int(v) for v in session.execute(stmt).one()))


def department_rows(session: Session, filters: Filters) -> list[DepartmentRow]:
    """Per department: item tasks completed in the period (on time against 承诺 and 法定) and
    the open tasks' cards now."""
    names = {d: n for d, n in session.execute(select(Department.id, Department.name))}
    rows: dict[int, dict] = {}
    done = (
        select(
            CaseTask.department_id,
            func.count(),
            _counted(CaseTask.completed_at <= CaseTask.due_at),
            _counted(CaseTask.legal_due_at.is_not(None)),
            _counted(CaseTask.completed_at <= CaseTask.legal_due_at),
        )
        .where(
            CaseTask.kind == TaskKind.ITEM,
            _within(CaseTask.completed_at, filters),
            *task_conditions(filters),
        )
        .group_by(CaseTask.department_id)
    )
    for department_id, *values in session.execute(done):
        row = rows.setdefault(department_id, {})
        keys = ("completed", "on_time", "legal_counted", "legal_on_time")
        row.update(zip(keys, (int(v) for v in values), strict=True))
    now_open = (
        select(
            CaseTask.department_id,
            func.count(),
            _counted(CaseTask.card == Card.YELLOW),
            _counted(CaseTask.card == Card.RED),
            _counted(CaseTask.legal_overdue_at.is_not(None)),
        )
        .where(CaseTask.status == TaskStatus.OPEN, *task_conditions(filters))
        .group_by(CaseTask.department_id)
    )
    for department_id, *values in session.execute(now_open):
        row = rows.setdefault(department_id, {})
        keys = ("open", "yellow", "red", "legal_overdue")
        row.update(zip(keys, (int(v) for v in values), strict=True))
    result = [DepartmentRow(names.get(d, str(d)), **values) for d, values in rows.items()]
    return sorted(result, key=lambda r: (-r.red, -r.yellow, -r.completed, r.department))


@dataclass
class PointRow:
    """One service point's share: its cases of the period and its open tasks' cards now."""

    point: str
    level: str
    received: int = 0
    accepted: int = 0
    completed: int = 0
    open: int = 0
    yellow: int = 0
    red: int = 0


def point_rows(session: Session, filters: Filters) -> list[PointRow]:
    """Per service point (同城通办): received, accepted and delivered there in the period, and
    the open tasks of its cases now; points with nothing to show are left out."""
    # A case's point: where it was accepted, else where it was handed in (online: none).
    home = func.coalesce(Case.accepted_point_id, Case.submitted_point_id)
    scope = case_conditions(filters)
    counts: dict[int, dict] = {}

    def add(key: str, stmt) -> None:
        for point_id, value in session.execute(stmt):
            if point_id is not None:
                counts.setdefault(point_id, {})[key] = int(value)

    add(
        "received",
        select(home, func.count())
        .where(_within(Case.submitted_at, filters), *scope)
        .group_by(home),
    )
    add(
        "accepted",
        select(Case.accepted_point_id, func.count())
        .where(_within(Case.accepted_at, filters), *scope)
        .group_by(Case.accepted_point_id),
    )
    delivered = func.coalesce(Case.delivered_point_id, Case.accepted_point_id)
    add("completed", select(delivered, func.count()).where(
        _within(Case.completed_at, filters), Case.status == CaseStatus.COMPLETED, *scope
    ).group_by(delivered))  # fmt: skip
    open_tasks = (
        select(
            home,
            func.count(),
            _counted(CaseTask.card == Card.YELLOW),
            _counted(CaseTask.card == Card.RED),
        )
        .join(Case, Case.id == CaseTask.case_id)
        .where(CaseTask.status == TaskStatus.OPEN, *task_conditions(filters))
        .group_by(home)
    )
    for point_id, *values in session.execute(open_tasks):
        if point_id is not None:
            row = counts.setdefault(point_id, {})
            row.update(zip(("open", "yellow", "red"), (int(v) for v in values), strict=True))
    if not counts:
        return []
    points = session.scalars(select(ServicePoint).where(ServicePoint.id.in_(counts)))
    named = {p.id: p for p in points}
    rows = [
        PointRow(named[i].name, named[i].level_label, **values)
        for i, values in counts.items()
        if i in named
    ]
    return sorted(rows, key=lambda r: (-r.red, -r.yellow, -r.received, r.point))


def item_rows(session: Session, filters: Filters) -> list[ItemRow]:
    """Working days per item completed in the period, beside the days promised."""
    stmt = (
        select(
            CaseTask.item_code,
            func.min(CaseTask.name),
            func.count(),
            func.avg(CaseTask.used_days),
            func.avg(CaseTask.allowed_days),
        )
        .where(
            CaseTask.kind == TaskKind.ITEM,
            _within(CaseTask.completed_at, filters),
            *task_conditions(filters),
        )
        .group_by(CaseTask.item_code)
        .order_by(CaseTask.item_code)
    )
    return [
        ItemRow(code or "", name, int(count), _days(used), _days(promised))
        for code, name, count, used, promised in session.execute(stmt)
    ]


def _days(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def guidance(session: Session, filters: Filters) -> tuple[int, int]:
    """(themes whose newest published version asks guidance questions, published themes)."""
    guided = published = 0
    for theme in list_themes(session):
        if filters.theme_code and theme.code != filters.theme_code:
            continue
        version = latest_version(session, theme)
        if version is None:
            continue
        published += 1
        guided += bool(published_theme(version).questions)
    return guided, published


def dashboard(session: Session, filters: Filters) -> Dashboard:
    """Every figure of the dashboard for `filters`."""
    _without_jit(session)
    scope = case_conditions(filters)
    flow_points = flow(session, filters)
    promised = select(func.count(), _counted(Case.completed_at <= Case.promised_at)).where(
        _within(Case.completed_at, filters),
        Case.status == CaseStatus.COMPLETED,
        Case.promised_at.is_not(None),
        *scope,
    )
    cases_promised, cases_on_promise = session.execute(promised).one()
    departments = department_rows(session, filters)
    finished = select(Case.id).where(
        _within(Case.completed_at, filters),
        Case.status.in_((CaseStatus.COMPLETED, CaseStatus.TERMINATED)),
        *scope,
    )
    guided, published = guidance(session, filters)
    return Dashboard(
        filters=filters,
        flow=flow_points,
        cases=case_figures(session, filters),
        # The period's totals are the flow's: every day of it is a bucket.
        completed_in_period=sum(p.completed for p in flow_points),
        accepted_in_period=sum(p.accepted for p in flow_points),
        received_in_period=sum(p.received for p in flow_points),
        cases_on_promise=int(cases_on_promise or 0),
        cases_promised=int(cases_promised or 0),
        departments=departments,
        items=item_rows(session, filters),
        points=point_rows(session, filters),
        guided_themes=guided,
        published_themes=published,
        ratings=rating_figures(session, finished),
        audit=session.scalars(
            select(AuditVerification).order_by(AuditVerification.id.desc()).limit(1)
        ).first(),
        totals=_total(departments),
    )


def _without_jit(session: Session) -> None:
    """PostgreSQL compiles these aggregates (their estimated cost is high) with its JIT,
    which cost half of each query's time at 1,000,000 cases (bench/supervision_bench.py):
    off for the rest of this read's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _total(rows: list[DepartmentRow]) -> DepartmentRow:
    keys = ("completed", "on_time", "legal_counted", "legal_on_time", "open", "yellow", "red",
            "legal_overdue")  # fmt: skip
    return DepartmentRow("合计", **{k: sum(getattr(r, k) for r in rows) for k in keys})
