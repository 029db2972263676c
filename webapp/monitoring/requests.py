"""Per request: an id (the client's or proxy's X-Request-ID when sane, else a new one),
echoed in the response; the latency histogram; one log line."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from .metrics import REQUEST_SECONDS

REQUEST_ID_HEADER = "X-Request-ID"
# Taken as given only when short and plain: the id goes into every log line and back into a
# response header, where a newline or a megabyte would do harm.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Probes poll every few seconds: their lines would drown the others.
_QUIET_ENDPOINTS = frozenset({"health.healthz", "health.readyz", "health.metrics", "static"})

log = logging.getLogger("webapp.requests")


def request_id_for(incoming: str | None) -> str:
    """The incoming id if it is sane, else a fresh one."""
    if incoming and _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def register(app: Flask) -> None:
    # Registered before the other extensions' hooks (CSRF), so a request they refuse still
    # has its id when it is logged.
    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()
        g.request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER))

    @app.after_request
    def _finish(response: Response) -> Response:
        if "request_id" not in g:  # a hook before ours refused the request
            g.request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER))
        response.headers[REQUEST_ID_HEADER] = g.request_id
        started = g.get("request_started")
        seconds = time.perf_counter() - started if started is not None else 0.0
        # An unknown URL has no endpoint; labelling by path would let anyone mint series.
        endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        REQUEST_SECONDS.labels(endpoint, method, str(response.status_code)).observe(seconds)
        level = logging.DEBUG if endpoint in _QUIET_ENDPOINTS else logging.INFO
        log.log(
            level,
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
        return response
