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

from .db import db_session

log = logging.getLogger(__name__)


def sweep() -> int:
    """One pass over due work; returns how many cases it advanced."""
    session = db_session()
    advanced = 0
    session.commit()
    return advanced


def run_worker(app: Flask, *, once: bool = False, interval: float = 30.0) -> None:
    stop = threading.Event()

    def _stop(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("worker started")
    while not stop.is_set():
        with app.app_context():
            try:
                advanced = sweep()
                if advanced:
                    log.info("sweep advanced %d cases", advanced)
            except Exception:
                log.exception("sweep failed; retrying next round")
        if once:
            break
        stop.wait(interval)
    log.info("worker stopped")
