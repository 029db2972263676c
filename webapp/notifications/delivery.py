"""Delivering the outbox: the worker's job, one message per transaction.

A message is taken with `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite's one writer does the
same), so two workers never hold the same message at once. It is sent, then marked sent,
then the transaction commits:

- in-app: the `Message` row (unique on the key) is written in that very transaction —
  exactly once, whatever happens;
- SMS: a worker that dies after the gateway took the message but before its commit leaves
  the row pending, and the next try sends it again *with the same key*: at least once,
  never lost, and the gateway (or the phone's receiver) can drop the duplicate.
A failed send is tried again later with exponential backoff (30 s, 1 min, 2 min … at most
an hour between tries); after `MAX_ATTEMPTS` the row is `failed`, kept for the operator.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.clock import now as clock_now
from webapp.notifications.models import Channel, Message, OutboxMessage, OutboxStatus
from webapp.notifications.sms import SmsChannel, SmsError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
FIRST_RETRY = dt.timedelta(seconds=30)
LONGEST_RETRY = dt.timedelta(hours=1)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed try."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def next_due(session: Session, at: dt.datetime) -> OutboxMessage | None:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= at)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(stmt).first()


def deliver_next(session: Session, sms: SmsChannel, at: dt.datetime | None = None) -> bool:
    """Send one due message and mark it, in the caller's transaction (the caller commits);
    False when none is due."""
    at = at or clock_now()
    row = next_due(session, at)
    if row is None:
        return False
    _deliver(session, row, sms, at)
    return True


def deliver_now(session: Session, key: str, sms: SmsChannel) -> bool:
    """Send one message at once (a one-time code should not wait for the worker's next
    round); the same send-then-mark as the worker, which takes it up if this fails."""
    at = clock_now()
    row = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.key == key, OutboxMessage.status == OutboxStatus.PENDING)
        .with_for_update(skip_locked=True)
    ).first()
    if row is None:
        return False
    _deliver(session, row, sms, at)
    return True


def _deliver(session: Session, row: OutboxMessage, sms: SmsChannel, at: dt.datetime) -> None:
    try:
        if row.channel == Channel.IN_APP:
            _to_inbox(session, row, at)
        else:
            sms.send(row.mobile or "", row.body, row.key)
    except SmsError as exc:
        _failed(row, str(exc), at, retry=exc.retry)
    else:
        row.status, row.sent_at, row.last_error = OutboxStatus.SENT, at, None
        row.attempts += 1
    session.flush()


def _to_inbox(session: Session, row: OutboxMessage, at: dt.datetime) -> None:
    if row.user_id is None:
        return
    if session.scalar(select(Message.id).where(Message.key == row.key)) is not None:
        return  # delivered before: the in-app channel shows each message once
    try:
        with session.begin_nested():
            session.add(
                Message(
                    key=row.key,
                    user_id=row.user_id,
                    case_id=row.case_id,
                    case_no=_case_no(session, row),
                    event=row.event,
                    title=row.title,
                    body=row.body,
                    created_at=row.created_at or at,
                )
            )
    except IntegrityError:
        pass  # another delivery of the same key won the race: still exactly one message


def _case_no(session: Session, row: OutboxMessage) -> str | None:
    from webapp.cases.models import Case

    if row.case_id is None:
        return None
    case = session.get(Case, row.case_id)
    return case.case_no if case is not None else None


def _failed(row: OutboxMessage, error: str, at: dt.datetime, *, retry: bool) -> None:
    row.attempts += 1
    row.last_error = error[:300]
    if not retry or row.attempts >= MAX_ATTEMPTS:
        row.status = OutboxStatus.FAILED
        log.error("notification %s (%s) given up: %s", row.key, row.event, error)
    else:
        row.next_attempt_at = at + backoff(row.attempts)
        log.warning("notification %s (%s) will be retried: %s", row.key, row.event, error)
