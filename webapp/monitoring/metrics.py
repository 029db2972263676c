"""Prometheus metrics of the web app, and their exposition at /metrics.

Under the production server several worker processes answer requests; a scrape reaches
one of them. So the server runs prometheus_client's multiprocess mode: `yjs serve` points
PROMETHEUS_MULTIPROC_DIR at a fresh directory before any worker starts, every process
writes its samples there, and a scrape sums them (webapp/serving.py). Without that
variable (tests, `yjs serve --dev`) the samples are this process's own.

What a scrape computes from the database (worker lag, due cases) is asked at scrape time,
not kept in a process: every process would tell the same answer.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from webapp.cases.models import Case

# The classic text format, which every Prometheus version reads (what generate_latest
# writes for our plain metric names).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Read once, as prometheus_client itself does at import: a process is either writing to the
# shared directory or keeping its samples in memory, never both.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

# Pages answer in tens of milliseconds; a submission runs the engine and may take a second.
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUEST_SECONDS = Histogram(
    "yjs_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint, method and status",
    ["endpoint", "method", "status"],
    buckets=_LATENCY_BUCKETS,
)
ENGINE_STEP_SECONDS = Histogram(
    "yjs_engine_step_seconds",
    "Time one engine step of a case takes: run the workflow, store it, move deadlines",
    buckets=_LATENCY_BUCKETS,
)
# livesum: the connections of the processes alive now, summed; a dead worker's count goes.
POOL_IN_USE = Gauge(
    "yjs_db_pool_connections_in_use",
    "Database connections checked out of the pools, summed over the app's processes",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "yjs_db_pool_size",
    "Connections the pools keep open (more may overflow), summed over the app's processes",
    multiprocess_mode="livesum",
)


def watch_pool(engine: Engine) -> None:
    """Count the engine's checked-out connections in POOL_IN_USE."""
    size = getattr(engine.pool, "size", None)
    if callable(size):
        POOL_SIZE.inc(size())
    event.listen(engine, "checkout", lambda *_: POOL_IN_USE.inc())
    event.listen(engine, "checkin", lambda *_: POOL_IN_USE.dec())


def database_families(session: Session, now: dt.datetime) -> list[Metric]:
    """Worker lag and due cases, asked of the database now; `yjs_database_up` 0 if it fails.

    Worker lag is the age of the oldest check that is due (`cases.next_check_at`: a timer,
    a card to move, a promised material): 0 when the workers keep up.
    """
    up = GaugeMetricFamily("yjs_database_up", "Whether the scrape could query the database")
    try:
        oldest, due = session.execute(
            select(func.min(Case.next_check_at), func.count()).where(Case.next_check_at <= now)
        ).one()
    except SQLAlchemyError:
        session.rollback()
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    lag = GaugeMetricFamily(
        "yjs_worker_lag_seconds",
        "Age of the oldest due check (timer, deadline card, promised material); 0 if none",
    )
    # SQLite hands back naive values from an aggregate; they are UTC as stored.
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    lag.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)
    due_cases = GaugeMetricFamily(
        "yjs_worker_due_cases", "Cases whose next check is due and not yet done by a worker"
    )
    due_cases.add_metric([], due)
    return [up, lag, due_cases]


class _Families:
    """A collector for metrics computed at scrape time."""

    def __init__(self, families: Iterable[Metric]):
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


def exposition(scrape_time: Iterable[Metric]) -> bytes:
    """The Prometheus text of every process's samples, then the scrape-time families."""
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    extra = CollectorRegistry()
    extra.register(_Families(scrape_time))
    return generate_latest(registry) + generate_latest(extra)
