"""Time limits in 工作日 on the Chinese calendar: holidays, 调休 make-up workdays, pauses.

The model, in four rules:

1. A day is a working day by the State Council's arrangement (holidays off, 调休 weekends
   on), held in a `HolidayTable` of whole years. The table starts as the years the
   `chinesecalendar` package ships; the web app installs the one its administrators keep
   (`install`), with the notices they entered for later years. Past the last covered day
   Monday to Friday count as working days *provisionally*: `covers()` and `provisional()`
   say so, and the web app marks such deadlines and warns admins before coverage ends.
2. Days are judged in Beijing time (Asia/Shanghai): a working day runs from 00:00 to
   24:00 Beijing time, whatever time zone an instant was given in.
3. "Working time" is calendar time that falls on working days. N working days of allowed
   time are N × 24 h of working time, so 0.5 day is 12 h and 1 day started at 15:00 on a
   Friday before a normal weekend ends at 15:00 on Monday. A task started on a holiday
   starts counting at 00:00 of the next working day, because nothing before that counts.
4. A 即办件 (0 days) is due at the end (24:00) of the working day it started on, or of
   the next working day if it started on a rest day.

A `Deadline` adds pauses: time in 补正 or waiting for a 容缺 material does not count.
Pauses may overlap (a case can be in 补正 and waiting for a material at once); their union
is what stops the clock, and an open pause means the clock is stopped now.

All instants must be timezone-aware; naive datetimes are refused rather than guessed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

import chinese_calendar

CHINA_TZ = ZoneInfo("Asia/Shanghai")
WORKING_DAY = dt.timedelta(hours=24)
_MICROSECOND = dt.timedelta(microseconds=1)
_ZERO = dt.timedelta(0)
_ONE_DAY = dt.timedelta(days=1)

# The years the installed `chinesecalendar` release ships (it raises outside them).
FIRST_COVERED_YEAR = min(chinese_calendar.holidays).year
LAST_COVERED_YEAR = max(chinese_calendar.holidays).year


@dataclass(frozen=True)
class HolidayTable:
    """The State Council's arrangement for the whole years `first_year`..`last_year`.

    `holidays` are the notice's rest days (a holiday span, weekends in it included);
    `workdays` the 调休 weekend days worked. Any other day is a working day from Monday to
    Friday. Immutable: a new arrangement is a new table, swapped in whole by `install`.
    """

    first_year: int
    last_year: int
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.last_year, 12, 31)

    def covers(self, day: dt.date) -> bool:
        return self.first_year <= day.year <= self.last_year

    def is_working(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


def package_table() -> HolidayTable:
    """The arrangement as the installed `chinesecalendar` release ships it."""
    return HolidayTable(
        FIRST_COVERED_YEAR,
        LAST_COVERED_YEAR,
        frozenset(chinese_calendar.holidays),
        frozenset(chinese_calendar.workdays),
    )


_table = package_table()


def install(table: HolidayTable) -> None:
    """Use `table` from now on, in this process (the web app's administrators keep it)."""
    global _table
    _table = table


def installed() -> HolidayTable:
    return _table


def covers(day: dt.date) -> bool:
    """Whether the holiday data covers `day`; outside it only weekends are rest days."""
    return _table.covers(_beijing_date(day))


def last_covered_day() -> dt.date:
    return _table.last_day


def provisional(instant: dt.datetime | None) -> bool:
    """Whether a deadline falling at `instant` was counted past the covered range.

    A due instant on or before the last covered day was counted on known days only (the
    days counted all lie before it); one after it counted at least one day as Monday–Friday.
    """
    if instant is None:
        return False
    return _beijing_date(instant) > _table.last_day


def is_working_day(day: dt.date) -> bool:
    """Whether `day` is a working day (an aware datetime is judged by its Beijing date)."""
    return _is_working_date(_beijing_date(day))


def _is_working_date(day: dt.date) -> bool:
    return _table.is_working(day)


def working_time_between(start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """Working time from `start` to `end`; negative when `end` is before `start`."""
    start, end = _utc(start), _utc(end)
    if end < start:
        return -working_time_between(end, start)
    total = _ZERO
    day = start.astimezone(CHINA_TZ).date()
    last = end.astimezone(CHINA_TZ).date()
    while day <= last:
        if _is_working_date(day):
            lo = max(start, _day_start(day))
            hi = min(end, _day_start(day + _ONE_DAY))
            if hi > lo:
                total += hi - lo
        day += _ONE_DAY
    return total


def add_working_time(start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
    """The earliest instant by which `amount` of working time has passed since `start`.

    The inverse of `working_time_between`: for any amount ≥ 0,
    `working_time_between(start, add_working_time(start, amount)) == amount`. When the
    amount runs out exactly at the end of a working day, the answer is that day's 24:00,
    not the start of the next working day. The result is in Beijing time.
    """
    if amount < _ZERO:
        raise ValueError("amount of working time must not be negative")
    start = _utc(start)
    left = amount
    if not left:
        return start.astimezone(CHINA_TZ)
    day = start.astimezone(CHINA_TZ).date()
    while True:
        if _is_working_date(day):
            lo = max(start, _day_start(day))
            available = _day_start(day + _ONE_DAY) - lo
            if left <= available:
                return (lo + left).astimezone(CHINA_TZ)
            left -= available
        day += _ONE_DAY


def end_of_working_day(at: dt.datetime) -> dt.datetime:
    """24:00 of the working day `at` falls on, or of the next one if `at` is a rest day."""
    day = _utc(at).astimezone(CHINA_TZ).date()
    while not _is_working_date(day):
        day += _ONE_DAY
    return _day_start(day + _ONE_DAY).astimezone(CHINA_TZ)


class Card(StrEnum):
    """效能监督 card of a task or case; `label` is what people see."""

    NONE = "none"
    YELLOW = "yellow"
    RED = "red"

    @property
    def label(self) -> str:
        return _CARD_LABELS[self]


_CARD_LABELS = {Card.NONE: "正常", Card.YELLOW: "黄牌", Card.RED: "红牌"}


@dataclass(frozen=True)
class Pause:
    """The clock stopped from `start` until `end`; `end=None` means it is still stopped."""

    start: dt.datetime
    end: dt.datetime | None = None

    def __post_init__(self) -> None:
        _utc(self.start)
        if self.end is not None and _utc(self.end) < _utc(self.start):
            raise ValueError("a pause cannot end before it starts")


@dataclass(frozen=True)
class Deadline:
    """A time limit of `allowed_days` working days from `started_at`, minus `pauses`.

    With `calendar_days` the days are 自然日 (some social-insurance and utility items): every
    day counts, holidays and weekends included; pauses still stop the clock.

    `due_at()` gives the due instant as far as it is known: while the clock is stopped
    with time still left, the due instant depends on when the case resumes, so it is
    None (a projection "as if resumed now" would silently move every minute). Once the
    allowed time ran out before the pause began, the due instant is fixed and returned.
    `remaining()` turns negative once the allowed time is used up.
    """

    started_at: dt.datetime
    allowed_days: Decimal
    pauses: tuple[Pause, ...] = field(default=())
    calendar_days: bool = False

    def __post_init__(self) -> None:
        _utc(self.started_at)
        if isinstance(self.allowed_days, int):
            object.__setattr__(self, "allowed_days", Decimal(self.allowed_days))
        if not isinstance(self.allowed_days, Decimal) or not self.allowed_days.is_finite():
            raise TypeError("allowed_days must be a finite Decimal")
        if self.allowed_days < 0:
            raise ValueError("allowed_days must not be negative")
        object.__setattr__(self, "pauses", tuple(self.pauses))

    @property
    def allowed(self) -> dt.timedelta:
        """The allowed amount of working time (for a 即办件: the rest of its start day)."""
        if self.allowed_days == 0:
            if self.calendar_days:
                day = _utc(self.started_at).astimezone(CHINA_TZ).date()
                return _day_start(day + _ONE_DAY) - _utc(self.started_at)
            return working_time_between(self.started_at, end_of_working_day(self.started_at))
        return _scaled(WORKING_DAY, self.allowed_days)

    @property
    def is_paused(self) -> bool:
        return any(p.end is None for p in self.pauses)

    def used(self, now: dt.datetime) -> dt.timedelta:
        """Working time counted so far, pauses left out (zero before the start)."""
        now = _utc(now)
        total = _ZERO
        for lo, hi in self._counting_spans():
            if lo >= now:
                break
            total += self._between(lo, now if hi is None else min(hi, now))
        return total

    def remaining(self, now: dt.datetime) -> dt.timedelta:
        """Working time left; negative by how much the limit is exceeded."""
        return self.allowed - self.used(now)

    def fraction_used(self, now: dt.datetime) -> Decimal:
        """Share of the allowed time used, exact (1 at the due instant, more when overdue)."""
        allowed = self.allowed
        if not allowed:  # a limit rounded to nothing is used up at once
            return Decimal(1)
        return Decimal(self.used(now) // _MICROSECOND) / Decimal(allowed // _MICROSECOND)

    def due_at(self) -> dt.datetime | None:
        """The instant the allowed time runs out, or None while paused with time left."""
        return self._instant_after(self.allowed)

    def reached_at(self, fraction: Decimal) -> dt.datetime | None:
        """The instant `fraction` of the allowed time is used (e.g. 0.8 for the yellow card).

        None while paused before that point. Unlike a Deadline of `allowed_days × fraction`
        days, this is right for a 即办件 too, whose allowed time is not a whole number of days.
        """
        return self._instant_after(_scaled(self.allowed, Decimal(fraction)))

    def card(self, now: dt.datetime, yellow_at: Decimal = Decimal("0.8")) -> Card:
        """Red once `now` is past the due instant, yellow from `yellow_at` of the time used."""
        due = self.due_at()
        if due is not None and _utc(now) > due:
            return Card.RED
        if self.fraction_used(now) >= yellow_at:
            return Card.YELLOW
        return Card.NONE

    def paused(self, at: dt.datetime) -> Deadline:
        """This deadline with the clock stopped from `at` on."""
        if self.is_paused:
            raise ValueError("the clock is already paused")
        return replace(self, pauses=(*self.pauses, Pause(at)))

    def resumed(self, at: dt.datetime) -> Deadline:
        """This deadline with every open pause closed at `at`."""
        if not self.is_paused:
            raise ValueError("the clock is not paused")
        pauses = tuple(Pause(p.start, at) if p.end is None else p for p in self.pauses)
        return replace(self, pauses=pauses)

    def _counting_spans(self) -> list[tuple[dt.datetime, dt.datetime | None]]:
        """Spans in which the clock runs, in order; the last has end None if it runs on."""
        start = _utc(self.started_at)
        stops = sorted(
            ((_utc(p.start), None if p.end is None else _utc(p.end)) for p in self.pauses),
            key=lambda stop: stop[0],
        )
        spans: list[tuple[dt.datetime, dt.datetime | None]] = []
        cursor = start
        for stop_start, stop_end in stops:
            if stop_end is not None and stop_end <= cursor:
                continue  # wholly before the start or inside an earlier pause
            if stop_start > cursor:
                spans.append((cursor, stop_start))
            if stop_end is None:
                return spans  # stopped now: nothing counts after this
            cursor = stop_end
        spans.append((cursor, None))
        return spans

    def _instant_after(self, amount: dt.timedelta) -> dt.datetime | None:
        left = amount
        for lo, hi in self._counting_spans():
            if hi is not None:
                available = self._between(lo, hi)
                if left > available:
                    left -= available
                    continue
            if self.calendar_days:
                return (_utc(lo) + left).astimezone(CHINA_TZ)
            return add_working_time(lo, left)
        return None

    def _between(self, lo: dt.datetime, hi: dt.datetime) -> dt.timedelta:
        if self.calendar_days:
            return _utc(hi) - _utc(lo)
        return working_time_between(lo, hi)


def _utc(value: dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()}: give a time zone")
    return value.astimezone(dt.UTC)


def _scaled(amount: dt.timedelta, factor: Decimal) -> dt.timedelta:
    """`amount × factor`, exact to the microsecond (timedelta does not multiply by Decimal)."""
    micros = (Decimal(amount // _MICROSECOND) * factor).to_integral_value()
    return dt.timedelta(microseconds=int(micros))


def _beijing_date(day: dt.date) -> dt.date:
    if isinstance(day, dt.datetime):
        return _utc(day).astimezone(CHINA_TZ).date()
    return day


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), CHINA_TZ).astimezone(dt.UTC)
