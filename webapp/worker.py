"""The background worker process.

Each sweep runs in its own application context. First it moves the cards whose instant has
come in bulk (deadlines/cards.py: a few statements per 200 tasks, a short transaction
each), so a thousand overdue tasks are red within a second of their deadline; then it
brings each due case up to date (deadlines/sweep.py: BPMN timers, 容缺 promises, the legal
limit, the next look), committing after every case; then it delivers the notification
outbox (notifications/delivery.py), committing after every message. Throughout, cards
that come due (or that a clerk's lock made it skip) are moved again every `CARDS_EVERY`
(CardMover). Several workers may run at once against one PostgreSQL; row locks with SKIP
LOCKED share the work.

Between sweeps it sleeps until the earliest due instant, woken early by a request that
scheduled something sooner (deadlines/wake.py), and never longer than `interval`.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time

from flask import Flask, current_app

from webapp.clock import now as clock_now
from webapp.clock import today
from webapp.db import WRITE_INTENT, db_session
from webapp.deadlines import cards, wake
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
# While a pass does slower work, due cards are moved again at least this often (CardMover).
CARDS_EVERY = 1.0
# Red tasks handed to 效能监督 per transaction: each is an audit event and a notice per
# recipient (~20 ms), so a chunk keeps the next card move within about a second.
ESCALATE_CHUNK = 50


def deliver_notifications(limit: int = 1000, mover: CardMover | None = None) -> int:
    """Send due outbox messages, one transaction each (notifications/delivery.py); with
    `mover`, due cards keep moving meanwhile."""
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
        if mover is not None:
            mover.keep_up()
    if mover is not None:
        mover.escalate()
    return done


def move_cards() -> cards.Moved:
    """Every due card move, in bulk, a short transaction per chunk (no escalation)."""
    session = db_session()
    at = clock_now()
    moved = cards.Moved()
    for step in (cards.move_task_cards, cards.move_case_cards):
        while True:
            try:
                session.connection(execution_options={WRITE_INTENT: True})
                chunk = step(session, at)
                session.commit()
            except Exception:
                session.rollback()
                raise
            moved += chunk
            if chunk.tasks + chunk.cases < cards.CHUNK:
                break
    return moved


class CardMover:
    """Due cards first, all through a pass: moves them in bulk, and again whenever
    `CARDS_EVERY` has passed while slower work runs (escalating red tasks, each due case,
    the outbox). A task skipped because a clerk held its case (SKIP LOCKED), or one that
    came due meanwhile, so turns red within about that delay, not after the whole pass
    (a pass escalating a thousand red tasks and delivering their notices takes ~40 s).
    The tasks it turned red go to 效能监督 in chunks, with a move between chunks."""

    def __init__(self) -> None:
        self._moved_at = -float("inf")
        self._red: list[tuple[list[int], dt.datetime]] = []

    def move(self) -> cards.Moved:
        at = clock_now()
        moved = move_cards()
        self._moved_at = time.monotonic()
        if moved.tasks or moved.cases:
            log.info("cards moved: %d tasks, %d cases", moved.tasks, moved.cases)
        if moved.red_task_ids:
            self._red.append((moved.red_task_ids, at))
        return moved

    def keep_up(self) -> None:
        """Move due cards again if `CARDS_EVERY` has passed since the last move."""
        if time.monotonic() - self._moved_at >= CARDS_EVERY:
            self.move()

    def escalate(self) -> None:
        """Hand every task turned red so far to 效能监督, a transaction per chunk."""
        session = db_session()
        while self._red:
            ids, at = self._red[0]
            chunk, rest = ids[:ESCALATE_CHUNK], ids[ESCALATE_CHUNK:]
            try:
                session.connection(execution_options={WRITE_INTENT: True})
                cards.turned_red(session, chunk, at)
                session.commit()
            except Exception:
                session.rollback()
                raise
            if rest:
                self._red[0] = (rest, at)
            else:
                self._red.pop(0)
            self.keep_up()


def sweep(budget: float | None = None, mover: CardMover | None = None) -> int:
    """One pass over due work: cards in bulk (and their escalation), then a transaction per
    case; returns how many cases it handled. With `budget` (seconds) it stops after that
    long with cases left, so the next pass moves newly due cards first."""
    session = db_session()
    mover = mover or CardMover()
    total = 0
    # The calendar an administrator entered in the web app counts here too.
    arrangement.refresh(session, recheck=False)
    session.rollback()
    mover.move()
    mover.escalate()
    started = time.monotonic()
    while True:
        if budget is not None and time.monotonic() - started > budget:
            break
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
            break
        if session.get_bind().dialect.name == "sqlite":
            time.sleep(SQLITE_TURN)
        mover.keep_up()
    mover.escalate()
    return total


def escalate_still_red(mover: CardMover | None = None) -> int:
    """效能监督: red cards still red after N more working days go up a level; a transaction
    per batch (supervision/escalation.py); with `mover`, due cards keep moving meanwhile."""
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
        if mover is not None:
            mover.keep_up()
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
    """Sweep until stopped (SIGTERM/SIGINT); with `once`, one sweep. False if the last failed.

    `interval` is the longest sleep: the worker wakes at the earliest due instant, or when
    told of new work (PostgreSQL), whichever comes first."""
    stop = threading.Event()

    def _stop(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("worker started")
    ok = True
    warned_on = None
    alarm = None
    try:
        while not stop.is_set():
            sleep = interval
            with app.app_context():
                if alarm is None and not once:
                    alarm = wake.Alarm(db_session().get_bind().engine, stop)
                try:
                    mover = CardMover()
                    advanced = sweep(None if once else PASS_SECONDS, mover)
                    escalate_still_red(mover)
                    sent = deliver_notifications(mover=mover)
                    ok = True
                    if advanced:
                        log.info("sweep handled %d cases", advanced)
                    warned_on = warn_calendar_coverage(warned_on)
                    if sent:
                        log.info("delivered %d notifications", sent)
                    sleep = _until_due(wake.next_due(db_session()), interval)
                    db_session().rollback()
                except Exception:
                    ok = False
                    log.exception("sweep failed; retrying next round")
            if once:
                break
            if sleep > 0:
                alarm.sleep(sleep)
    finally:
        if alarm is not None:
            alarm.close()
    log.info("worker stopped")
    return ok


# A sweep's per-case part stops after this long when cases are left (and the next pass
# starts at once): cards that come due meanwhile are moved within about this delay.
PASS_SECONDS = 2.0


def _until_due(due, longest: float) -> float:
    """Seconds to sleep before the earliest due instant (none: the longest sleep)."""
    if due is None:
        return longest
    return max(0.0, min(longest, (due - clock_now()).total_seconds()))
