"""The background worker process.

Each sweep runs in its own application context and transaction: it fires due BPMN timers,
moves yellow/red cards and flags missed 容缺 promises (deadlines/sweep.py). Several
workers may run at once against one PostgreSQL; row locks with SKIP LOCKED share the work.
"""

from __future__ import annotations

import logging
import signal
import threading

from flask import Flask

from webapp.db import WRITE_INTENT, db_session
from webapp.deadlines import sweep as deadline_sweep

log = logging.getLogger(__name__)


def sweep() -> int:
    """One pass over due work, a transaction per batch; returns how many cases it handled."""
    session = db_session()
    total = 0
    while True:
        try:
            # This transaction will write: on SQLite take the write lock at BEGIN, so
            # workers queue instead of deadlocking (no-op on PostgreSQL, which row-locks).
            session.connection(execution_options={WRITE_INTENT: True})
            handled = deadline_sweep.sweep_due_cases(session)
            session.commit()
        except Exception:
            session.rollback()
            raise
        total += handled
        if handled < deadline_sweep.BATCH:
            return total


def run_worker(app: Flask, *, once: bool = False, interval: float = 30.0) -> bool:
    """Sweep until stopped (SIGTERM/SIGINT); with `once`, one sweep. False if the last failed."""
    stop = threading.Event()

    def _stop(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("worker started")
    ok = True
    while not stop.is_set():
        with app.app_context():
            try:
                advanced = sweep()
                ok = True
                if advanced:
                    log.info("sweep handled %d cases", advanced)
            except Exception:
                ok = False
                log.exception("sweep failed; retrying next round")
        if once:
            break
        stop.wait(interval)
    log.info("worker stopped")
    return ok
