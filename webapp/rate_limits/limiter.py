"""Fixed-window rate limits stored in `rate_limit_windows`.

Every app process and worker shares the counters, so a limit holds however many processes
serve the product. A hit is one atomic upsert (INSERT … ON CONFLICT DO UPDATE, on SQLite and
PostgreSQL alike): two requests at once both count. Used for logins (per account and per
client address), the public progress query (办件查询) and, later, one-time codes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from webapp.clock import now as clock_now
from webapp.db import UtcDateTime
from webapp.rate_limits.models import RateLimitWindow


@dataclass(frozen=True)
class Limit:
    name: str
    max_hits: int
    window: dt.timedelta
    message: str  # what the person is told when the limit is reached


# Failed logins. Per account: slows guessing one password to 5 tries per quarter hour. Per
# address: stops one client spraying many accounts, yet leaves room for a service hall
# where many clerks share one address.
LOGIN_PER_ACCOUNT = Limit(
    "login-account", 5, dt.timedelta(minutes=15), "该账号登录失败次数过多，请 15 分钟后再试"
)
LOGIN_PER_ADDRESS = Limit(
    "login-address", 50, dt.timedelta(minutes=15), "登录失败次数过多，请 15 分钟后再试"
)
# One-time codes by SMS: one a minute and five an hour per mobile (texts cost money and
# annoy the owner of a number typed by someone else), twenty an hour per client address.
CODE_PER_MOBILE_MINUTE = Limit(
    "code-mobile-minute", 1, dt.timedelta(minutes=1), "验证码已发送，请 1 分钟后再重新获取"
)
CODE_PER_MOBILE = Limit(
    "code-mobile", 5, dt.timedelta(hours=1), "该手机号获取验证码过于频繁，请 1 小时后再试"
)
CODE_PER_ADDRESS = Limit(
    "code-address", 20, dt.timedelta(hours=1), "获取验证码过于频繁，请 1 小时后再试"
)

# The public 办件查询. Per address: every query counts, enough for a family or a hall's
# kiosk, far too few to walk through case numbers. Per case number: wrong codes only, so a
# 6-character code (31^6 values) cannot be guessed before the number is locked for an hour.
CASE_QUERY_PER_ADDRESS = Limit(
    "case-query-address", 30, dt.timedelta(minutes=10), "查询过于频繁，请 10 分钟后再试"
)
CASE_QUERY_FAILED_PER_CASE = Limit(
    "case-query-case", 10, dt.timedelta(hours=1), "该办件编号查询码错误次数过多，请 1 小时后再试"
)

# The public e-licence check (证照核验), on the same terms: every check counts per address,
# wrong codes per licence number lock that number for an hour.
LICENCE_CHECK_PER_ADDRESS = Limit(
    "licence-check-address", 30, dt.timedelta(minutes=10), "核验过于频繁，请 10 分钟后再试"
)
LICENCE_CHECK_FAILED_PER_NUMBER = Limit(
    "licence-check-number",
    10,
    dt.timedelta(hours=1),
    "该证照编号核验码错误次数过多，请 1 小时后再试",
)


def _key(limit: Limit, subject: str) -> str:
    return f"{limit.name}:{hashlib.sha256(subject.encode('utf-8')).hexdigest()}"


def is_blocked(session: Session, limit: Limit, subject: str, now: dt.datetime | None = None):
    """Whether `subject` has used up `limit` in its current window."""
    now = now or clock_now()
    row = session.get(RateLimitWindow, _key(limit, subject))
    return row is not None and row.window_start > now - limit.window and row.hits >= limit.max_hits


def record_hit(session: Session, limit: Limit, subject: str, now: dt.datetime | None = None):
    """Count one hit; a window older than `limit.window` starts over at this hit."""
    now = now or clock_now()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = RateLimitWindow.__table__
    expired = table.c.window_start <= now - limit.window
    stmt = insert(table).values(key=_key(limit, subject), window_start=now, hits=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "hits": case((expired, 1), else_=table.c.hits + 1),
            "window_start": case(
                (expired, literal(now, UtcDateTime())), else_=table.c.window_start
            ),
        },
    )
    session.execute(stmt)


def reset(session: Session, limit: Limit, subject: str) -> None:
    session.execute(delete(RateLimitWindow).where(RateLimitWindow.key == _key(limit, subject)))


def hits(session: Session, limit: Limit, subject: str) -> int:
    row = session.scalar(
        select(RateLimitWindow.hits).where(RateLimitWindow.key == _key(limit, subject))
    )
    return row or 0
