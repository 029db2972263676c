"""The holiday arrangement in the database, installed as the working calendar of this process.

Seeded from `chinesecalendar` for the years it ships (migration 0012); administrators add
each later year from the State Council's notice (`import_notice`: the admin page and `yjs
calendar import`). Every process installs what the database holds (`refresh`: one small
query, before each worker sweep and before requests at most every RECHECK_SECONDS), so a
notice entered in one process counts there at once and in the others within seconds.
From `WARNING_DAYS` before the last covered day, admins are warned; past it deadlines are
counted Monday–Friday and marked provisional.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine import working_calendar
from engine.working_calendar import HolidayTable
from webapp.accounts.models import User
from webapp.audit import trail
from webapp.clock import now as clock_now
from webapp.clock import today
from webapp.domain_errors import Invalid

from .models import CalendarDay, CalendarYear
from .notice import Notice, SpecialDay, package_notices, parse_notice

WARNING_DAYS = 60
HOLIDAY, WORKDAY = "holiday", "workday"
PACKAGE, NOTICE = "package", "notice"

_lock = threading.Lock()
_installed_signature: tuple | None = None
# How often a process asks the database whether the arrangement changed. A notice is
# entered once a year and counts in its own process at once (`import_notice` forgets
# what was installed); the other processes see it within this many seconds, and the
# requests in between ask nothing.
RECHECK_SECONDS = 5.0
_checked_at: float | None = None


def _signature(session: Session) -> tuple:
    count, latest = session.execute(
        select(func.count(CalendarYear.year), func.max(CalendarYear.entered_at))
    ).one()
    return (count, latest)


def load_table(session: Session) -> HolidayTable | None:
    """The arrangement the database holds: its first run of consecutive years (None if empty)."""
    years = list(session.scalars(select(CalendarYear.year).order_by(CalendarYear.year)))
    if not years:
        return None
    last = years[0]
    for year in years[1:]:
        if year != last + 1:
            break  # a gap: days after it are not covered, whatever a later year says
        last = year
    holidays, workdays = set(), set()
    rows = session.execute(
        select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.year.between(years[0], last))
    )
    for day, kind in rows:
        (holidays if kind == HOLIDAY else workdays).add(day)
    return HolidayTable(years[0], last, frozenset(holidays), frozenset(workdays))


def refresh(session: Session, *, recheck: bool = True) -> None:
    """Install the database's arrangement if it changed since this process last looked.

    With `recheck` (requests), the database is asked at most every RECHECK_SECONDS;
    without it (the worker's sweeps, the CLI) every time."""
    global _installed_signature, _checked_at
    moment = time.monotonic()
    if recheck and _checked_at is not None and moment - _checked_at < RECHECK_SECONDS:
        return
    signature = _signature(session)
    _checked_at = moment
    if signature == _installed_signature:
        return
    with _lock:
        table = load_table(session)
        working_calendar.install(table or working_calendar.package_table())
        _installed_signature = signature


def forget_installed() -> None:
    """Make the next `refresh` read the database again (after a change or a rollback)."""
    global _installed_signature, _checked_at
    _installed_signature = None
    _checked_at = None


def import_notice(
    session: Session,
    actor: User | None,
    year: int,
    holidays: str,
    workdays: str,
    notice_title: str = "",
) -> Notice:
    """Enter (or correct) one year's arrangement; it counts from the next request on.

    The year must continue the covered range (or correct a year in it): a gap would leave
    the days between counted Monday–Friday without anyone having decided so.
    """
    notice, problems = parse_notice(year, holidays, workdays)
    years = set(session.scalars(select(CalendarYear.year)))
    if years and year not in years and year != max(years) + 1:
        problems.insert(0, f"只能录入已覆盖年份之后的下一年（{max(years) + 1} 年）或更正已有年份")
    if notice is None or problems:
        raise Invalid("节假日安排有误，未保存", details=[{"message": p} for p in problems])
    existing = session.get(CalendarYear, year)
    before = None
    if existing is not None:
        before = {"source": existing.source, "days": _count_days(session, year)}
        session.execute(delete(CalendarDay).where(CalendarDay.year == year))
        session.delete(existing)
        session.flush()
    session.add(
        CalendarYear(
            year=year,
            source=NOTICE,
            notice=notice_title.strip()[:200] or None,
            entered_at=clock_now(),
            entered_by_id=actor.id if actor else None,
        )
    )
    session.flush()
    _add_days(session, notice)
    trail.record(
        session,
        actor,
        "calendar.imported",
        before=before,
        after={
            "year": year,
            "notice": notice_title.strip()[:200] or None,
            "holidays": len(notice.holidays),
            "workdays": len(notice.workdays),
        },
    )
    session.flush()
    refresh(session, recheck=False)
    return notice


def seed_from_package(session: Session) -> list[int]:
    """Add the package's years the database lacks (never overwriting an entered notice)."""
    have = set(session.scalars(select(CalendarYear.year)))
    added = []
    for notice in package_notices():
        if notice.year in have:
            continue
        session.add(CalendarYear(year=notice.year, source=PACKAGE, entered_at=clock_now()))
        session.flush()
        _add_days(session, notice)
        added.append(notice.year)
    session.flush()
    return added


def _add_days(session: Session, notice: Notice) -> None:
    for kind, days in ((HOLIDAY, notice.holidays), (WORKDAY, notice.workdays)):
        session.add_all(
            CalendarDay(day=d.day, year=notice.year, kind=kind, name=d.name) for d in days
        )


def _count_days(session: Session, year: int) -> int:
    return session.scalar(select(func.count()).where(CalendarDay.year == year)) or 0


@dataclass(frozen=True)
class Coverage:
    """How far the calendar is known, and whether admins must be told to enter the next year."""

    first_year: int
    last_day: dt.date
    days_left: int

    @property
    def warning(self) -> str | None:
        if self.days_left > WARNING_DAYS:
            return None
        next_year = self.last_day.year + 1
        if self.days_left < 0:
            return (
                f"工作日历只覆盖到 {self.last_day.isoformat()}，已过期 {-self.days_left} 天："
                f"此后的期限暂按周一至周五计算并标为“暂定”。请尽快录入国务院办公厅"
                f"关于 {next_year} 年部分节假日安排的通知。"
            )
        return (
            f"工作日历只覆盖到 {self.last_day.isoformat()}（还剩 {self.days_left} 天）："
            f"国务院办公厅关于 {next_year} 年部分节假日安排的通知发布后，请及时录入；"
            f"在此之前，落在 {next_year} 年的期限按周一至周五计算并标为“暂定”。"
        )


def coverage(on: dt.date | None = None) -> Coverage:
    """The installed calendar's coverage as seen on `on` (default: today in Beijing)."""
    table = working_calendar.installed()
    on = on or today()
    return Coverage(table.first_year, table.last_day, (table.last_day - on).days)


def years(session: Session) -> list[CalendarYear]:
    return list(session.scalars(select(CalendarYear).order_by(CalendarYear.year.desc())))


def days_of(session: Session, year: int) -> tuple[list[SpecialDay], list[SpecialDay]]:
    rows = session.scalars(select(CalendarDay).where(CalendarDay.year == year))
    holidays, workdays = [], []
    for row in rows:
        (holidays if row.kind == HOLIDAY else workdays).append(SpecialDay(row.day, row.name))
    return sorted(holidays, key=lambda d: d.day), sorted(workdays, key=lambda d: d.day)
