"""When the worker wakes: at the earliest due instant, and at once when new work comes due
sooner than it planned to look.

The worker sleeps until the earliest `cases.next_check_at` (or outbox retry), never longer
than its `--interval`. A request that schedules a look within `SOON` (a timer of a few
seconds, a deadline that is already near) tells it at commit: on PostgreSQL with
`NOTIFY yjs_worker` (the worker LISTENs on a connection of its own; the notice is sent
only if the transaction commits); SQLite has no such channel, and the worker wakes at the
earliest instant it knew of, or after `--interval` at the latest.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from webapp.cases.models import Case
from webapp.notifications.models import OutboxMessage, OutboxStatus

CHANNEL = "yjs_worker"
# A look scheduled sooner than this is announced; later ones the worker finds by itself
# (its longest sleep, 30 s by default, is well inside it).
SOON = dt.timedelta(minutes=2)
_ANNOUNCE = "yjs_wake_worker"
log = logging.getLogger(__name__)


def announce_if_soon(session: Session, at: dt.datetime, next_check_at: dt.datetime | None):
    """Remember to wake the worker at commit if the case must be looked at soon."""
    if next_check_at is not None and next_check_at - at < SOON:
        session.info[_ANNOUNCE] = True


@event.listens_for(Session, "before_commit")
def _notify(session: Session) -> None:
    if not session.info.pop(_ANNOUNCE, False):
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous) -> None:
    session.info.pop(_ANNOUNCE, None)


def next_due(session: Session) -> dt.datetime | None:
    """The earliest instant anything waits for: a case's next look or an outbox retry."""
    case_at = session.scalar(select(func.min(Case.next_check_at)))
    message_at = session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING
        )
    )
    return min((t for t in (case_at, message_at) if t is not None), default=None)


class Alarm:
    """The worker's sleep: until a deadline, a NOTIFY (PostgreSQL) or a stop request."""

    def __init__(self, engine: Engine, stop: threading.Event):
        self.stop = stop
        self._conn = None
        if engine.dialect.name == "postgresql":
            try:
                import psycopg

                url = make_url(engine.url).set(drivername="postgresql")
                self._conn = psycopg.connect(
                    url.render_as_string(hide_password=False), autocommit=True
                )
                self._conn.execute(f"LISTEN {CHANNEL}")
            except Exception:  # noqa: BLE001 - without it the worker still wakes on time
                log.warning("无法监听新任务通知，仅按最早到期时间唤醒", exc_info=True)
                self._conn = None

    def sleep(self, seconds: float) -> None:
        """Sleep up to `seconds`; return early on a notice or a stop request."""
        if self._conn is None:
            self.stop.wait(seconds)
            return
        until = time.monotonic() + seconds
        # In slices, so a SIGTERM (which sets `stop`) is honoured within one of them.
        while not self.stop.is_set():
            left = until - time.monotonic()
            if left <= 0:
                return
            try:
                for _ in self._conn.notifies(timeout=min(left, 0.5), stop_after=1):
                    return
            except Exception:  # noqa: BLE001 - a lost listening connection must not stop the worker
                log.warning("新任务通知连接中断，改为仅按最早到期时间唤醒", exc_info=True)
                self.close()
                self._conn = None
                self.stop.wait(max(0.0, until - time.monotonic()))
                return

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                log.debug("closing the listening connection failed", exc_info=True)
