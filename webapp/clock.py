"""The one clock and the one time zone of the web app.

The database keeps UTC; case numbers, dates people promise and every time shown to people
are Beijing time. The zone is the working calendar's own (engine/working_calendar.py), so
deadlines and the pages can never disagree about which day it is.
"""

from __future__ import annotations

import datetime as dt

from engine.working_calendar import CHINA_TZ

__all__ = ["CHINA_TZ", "now", "today"]


def now() -> dt.datetime:
    """The current instant, timezone-aware (UTC)."""
    return dt.datetime.now(dt.UTC)


def today(at: dt.datetime | None = None) -> dt.date:
    """The date in Beijing at `at` (default: now)."""
    return (at or now()).astimezone(CHINA_TZ).date()
