"""One-time codes (短信验证码) that prove a mobile number: sent through the notification
outbox, guarded by the one rate limiter, kept only as a hash, valid for `VALID_FOR`, dead
after `MAX_WRONG` wrong tries, and usable once."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.accounts.models import OneTimeCode
from webapp.clock import now
from webapp.domain_errors import ServiceError
from webapp.notifications import outbox
from webapp.rate_limits import limiter

VALID_FOR = dt.timedelta(minutes=10)
MAX_WRONG = 5
PURPOSES = {"register": "注册", "reset": "找回密码"}


class TooManyRequests(ServiceError):
    status = 429
    code = "too_many_requests"


def _hash(purpose: str, mobile: str, code: str) -> str:
    return hashlib.sha256(f"{purpose}:{mobile}:{code}".encode()).hexdigest()


def request_code(session: Session, mobile: str, purpose: str, address: str) -> str:
    """Send a new code to `mobile` (earlier unused ones stop working) through the outbox;
    returns the outbox message's key. Raises TooManyRequests when the number or the
    address asked too often."""
    # Per number and purpose: a code just used to register does not hold up a reset.
    checks = (
        (limiter.CODE_PER_MOBILE_MINUTE, f"{purpose}:{mobile}"),
        (limiter.CODE_PER_MOBILE, f"{purpose}:{mobile}"),
        (limiter.CODE_PER_ADDRESS, address),
    )
    for limit, subject in checks:
        if limiter.is_blocked(session, limit, subject):
            raise TooManyRequests(limit.message)
    for limit, subject in checks:
        limiter.record_hit(session, limit, subject)
    at = now()
    session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.mobile == mobile,
            OneTimeCode.purpose == purpose,
            OneTimeCode.used_at.is_(None),
        )
        .values(used_at=at)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(
        OneTimeCode(
            purpose=purpose,
            mobile=mobile,
            code_hash=_hash(purpose, mobile, code),
            created_at=at,
            expires_at=at + VALID_FOR,
            attempts=0,
        )
    )
    message = outbox.send_code(
        session, mobile, code, PURPOSES[purpose], int(VALID_FOR.total_seconds() // 60)
    )
    session.flush()
    return message.key


def check_code(session: Session, mobile: str, purpose: str, code: str) -> str | None:
    """Use the code: None when right; else what to tell the person. A wrong try counts
    even though the caller refuses the request: the caller commits either way."""
    at = now()
    row = session.scalars(
        select(OneTimeCode)
        .where(
            OneTimeCode.mobile == mobile,
            OneTimeCode.purpose == purpose,
            OneTimeCode.used_at.is_(None),
        )
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return "请先获取验证码"
    if row.expires_at <= at:
        return "验证码已过期，请重新获取"
    if row.attempts >= MAX_WRONG:
        return "验证码错误次数过多，请重新获取"
    if not hmac.compare_digest(row.code_hash, _hash(purpose, mobile, code.strip())):
        row.attempts += 1
        session.flush()
        return "验证码错误"
    row.used_at = at
    session.flush()
    return None
