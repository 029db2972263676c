"""The one clock and the one time zone of the web app.

The database keeps UTC; case numbers, dates people promise and every time shown to people
are Beijing time. The zone is the working calendar's own (engine/working_calendar.py), so
deadlines and the pages can never disagree about which day it is.

`travel_to` moves this clock (tests, demonstrations): the calendar's coverage warning and
provisional deadlines of a year not yet published are seen by moving to that year, not
by waiting for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from engine.working_calendar import CHINA_TZ

__all__ = ["CHINA_TZ", "now", "today", "travel_to"]

_offset = dt.timedelta(0)


def now() -> dt.datetime:
    """The current instant, timezone-aware (UTC)."""
    return dt.datetime.now(dt.UTC) + _offset


def today(at: dt.datetime | None = None) -> dt.date:
    """The date in Beijing at `at` (default: now)."""
    return (at or now()).astimezone(CHINA_TZ).date()


@contextmanager
def travel_to(instant: dt.datetime) -> Iterator[None]:
    """Run the clock from `instant` (it keeps ticking) until the block ends."""
    global _offset
    before = _offset
    _offset = instant - dt.datetime.now(dt.UTC)
    try:
        yield
    finally:
        _offset = before
