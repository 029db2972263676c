"""The background worker process.

Each sweep runs in its own application context: it fires due BPMN timers, moves yellow/red
cards and flags missed 容缺 promises (deadlines/sweep.py), committing after every case, then
delivers the notification outbox (notifications/delivery.py), committing after every message.
Several workers may run at once against one PostgreSQL; row locks with SKIP LOCKED share
the work.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from flask import Flask, current_app

from webapp.clock import today
from webapp.db import WRITE_INTENT, db_session
from webapp.deadlines import sweep as deadline_sweep
from webapp.notifications import delivery
from webapp.notifications.sms import channel_from_config as sms_channel_from_config
from webapp.supervision import escalation
from webapp.working_calendar import arrangement

log = logging.getLogger(__name__)

# Cases locked (and worked) per transaction. A clerk acting on a case the sweep holds waits
# for the sweep's commit: with one case per transaction that is one case's engine work, not
# a whole batch's (a 394-timer batch once kept a clerk's 准予 waiting 1.2 s instead of
# 0.13 s). A killed worker loses at most this much work, which another worker redoes.
CASES_PER_TRANSACTION = 1
# SQLite has one writer and no queue: a clerk's request waiting for the write lock tries
# again every millisecond (db.py), while a worker going straight on to its next case takes
# the lock back within microseconds. A pause after each case lets the waiting clerk in.
# (PostgreSQL queues a waiter for the row lock: no pause there.)
SQLITE_TURN = 0.002


def deliver_notifications(limit: int = 1000) -> int:
    """Send due outbox messages, one transaction each (notifications/delivery.py)."""
    session = db_session()
    sms = sms_channel_from_config(current_app.config)
    done = 0
    while done < limit:
        try:
            session.connection(execution_options={WRITE_INTENT: True})
            sent = delivery.deliver_next(session, sms)
            session.commit()
        except Exception:
            session.rollback()
            raise
        if not sent:
            break
        done += 1
    return done


def sweep() -> int:
    """One pass over due work, a transaction per case; returns how many cases it handled."""
    session = db_session()
    total = 0
    # The calendar an administrator entered in the web app counts here too.
    arrangement.refresh(session)
    session.rollback()
    while True:
        try:
            # This transaction will write: on SQLite take the write lock at BEGIN, so
            # workers queue instead of deadlocking (no-op on PostgreSQL, which row-locks).
            session.connection(execution_options={WRITE_INTENT: True})
            handled = deadline_sweep.sweep_due_cases(session, limit=CASES_PER_TRANSACTION)
            session.commit()
        except Exception:
            session.rollback()
            raise
        total += handled
        if handled < CASES_PER_TRANSACTION:
            return total
        if session.get_bind().dialect.name == "sqlite":
            time.sleep(SQLITE_TURN)


def escalate_still_red() -> int:
    """效能监督: red cards still red after N more working days go up a level; a transaction
    per batch (supervision/escalation.py)."""
    session = db_session()
    total = 0
    while True:
        try:
            session.connection(execution_options={WRITE_INTENT: True})
            handled = escalation.escalate_still_red(session)
            session.commit()
        except Exception:
            session.rollback()
            raise
        total += handled
        if handled < escalation.BATCH:
            return total


def warn_calendar_coverage(warned_on):
    """Log the calendar's coverage warning once a day (per worker) while it applies.

    Returns the day it last warned, for the next round to compare with.
    """
    on = today()
    if warned_on == on:
        return warned_on
    warning = arrangement.coverage(on).warning
    if warning is None:
        return warned_on
    log.warning(warning)
    return on


def run_worker(app: Flask, *, once: bool = False, interval: float = 30.0) -> bool:
    """Sweep until stopped (SIGTERM/SIGINT); with `once`, one sweep. False if the last failed."""
    stop = threading.Event()

    def _stop(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("worker started")
    ok = True
    warned_on = None
    while not stop.is_set():
        with app.app_context():
            try:
                advanced = sweep()
                escalate_still_red()
                sent = deliver_notifications()
                ok = True
                if advanced:
                    log.info("sweep handled %d cases", advanced)
                warned_on = warn_calendar_coverage(warned_on)
                if sent:
                    log.info("delivered %d notifications", sent)
            except Exception:
                ok = False
                log.exception("sweep failed; retrying next round")
        if once:
            break
        stop.wait(interval)
    log.info("worker stopped")
    return ok
