"""The background worker process.

Each sweep runs in its own application context and transaction. Timers and deadline
cards arrive with the deadlines issue; the loop, its signal handling and its
one-sweep-one-transaction shape are here so deployments can run it from day one.
"""

from __future__ import annotations

import logging
import signal
import threading

from flask import Flask
from sqlalchemy import text

from .db import db_session

log = logging.getLogger(__name__)


def sweep() -> int:
    """One pass over due work; returns how many cases it advanced.

    Nothing is due yet: timers and deadline cards come with the deadlines issue. The
    sweep still opens and commits its own transaction, so the worker's connection to the
    database is exercised from day one (a wrong URL fails here, visibly).
    """
    session = db_session()
    session.execute(text("SELECT 1"))
    session.commit()
    return 0


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
                    log.info("sweep advanced %d cases", advanced)
            except Exception:
                ok = False
                log.exception("sweep failed; retrying next round")
        if once:
            break
        stop.wait(interval)
    log.info("worker stopped")
    return ok
