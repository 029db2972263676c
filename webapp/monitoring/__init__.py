"""What operators see of a running app: request ids and request logs, Prometheus metrics,
health and readiness. `register(app)` wires the per-request parts into an app."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Request ids, request logs and latency; the database pool's use."""
    from . import metrics, requests

    requests.register(app)
    metrics.watch_pool(app.extensions["yjs_db"].engine)
