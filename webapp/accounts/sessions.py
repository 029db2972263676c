"""Logging in and out: password checks that cost the same for every name, server-side
sessions, password changes and resets that end other sessions."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.accounts.models import LoginSession, User
from webapp.audit import trail
from webapp.clock import now
from webapp.domain_errors import Invalid

MIN_PASSWORD_LENGTH = 10


@cache
def _dummy_hash() -> str:
    # Hashed with the same method and cost as real passwords, once per process.
    return generate_password_hash(secrets.token_hex(16))


def password_matches(user: User | None, password: str) -> bool:
    """Whether `password` is the user's; an unknown or inactive user costs the same one
    hash computation as a known one, so response times do not tell which names exist."""
    stored = user.password_hash if user is not None else _dummy_hash()
    matches = check_password_hash(stored, password)
    return matches and user is not None and user.active


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(session: Session, user: User) -> str:
    """A new login session for `user`; returns the token the browser keeps."""
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(id=_digest(token), user_id=user.id, created_at=now()))
    session.flush()
    user.login_token = token
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user of a live session, or None (ended, unknown, or user deactivated)."""
    # One statement per request: the session row, its user and the user's roles joined
    # (every request asks the access policy about the roles).
    row = session.get(
        LoginSession,
        _digest(token),
        options=[joinedload(LoginSession.user).joinedload(User.role_grants)],
    )
    if row is None or row.ended_at is not None or not row.user.active:
        return None
    row.user.login_token = token
    return row.user


def end_session(session: Session, token: str | None, why: str = "logout") -> None:
    if token:
        _end(session, LoginSession.id == _digest(token), why)


def end_other_sessions(session: Session, user: User, keep_token: str | None, why: str) -> None:
    condition = LoginSession.user_id == user.id
    if keep_token:
        condition = condition & (LoginSession.id != _digest(keep_token))
    _end(session, condition, why)


def _end(session: Session, condition, why: str) -> None:
    session.execute(
        update(LoginSession)
        .where(condition, LoginSession.ended_at.is_(None))
        .values(ended_at=now(), ended_why=why)
    )


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符",
            details=[{"field": "new_password", "message": "密码过短"}],
        )


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """The user's own change: the current password is asked; other sessions end."""
    if not check_password_hash(user.password_hash, current):
        raise Invalid(
            "当前密码不正确", details=[{"field": "current_password", "message": "不正确"}]
        )
    check_new_password(new)
    if check_password_hash(user.password_hash, new):
        raise Invalid(
            "新密码不能与当前密码相同", details=[{"field": "new_password", "message": "未更改"}]
        )
    user.set_password(new)
    end_other_sessions(session, user, user.login_token, "password")
    trail.record(session, user, "user.password_changed", after={"user": user.username})


def reset_password(session: Session, admin: User, user: User) -> str:
    """An admin's reset: a one-time temporary password, every session of the user ends."""
    temporary = secrets.token_urlsafe(9)
    user.set_password(temporary)
    end_other_sessions(session, user, None, "reset")
    trail.record(session, admin, "user.password_reset", after={"user": user.username})
    return temporary
