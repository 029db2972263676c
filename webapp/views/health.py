"""What probes and monitoring read: liveness (/healthz), readiness (/readyz), /metrics.

/healthz and /readyz are public (a load balancer asks them and they reveal nothing).
/metrics tells traffic and backlog figures: it answers a request made directly on this
machine (a loopback address, through no proxy), or one that shows YJS_METRICS_TOKEN as a
bearer token; anyone else gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webapp.clock import now
from webapp.db import db_session
from webapp.monitoring import metrics as prometheus
from webapp.monitoring import readiness

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

# Headers a reverse proxy adds: a request that carries one came from elsewhere, even when
# the proxy itself connects from 127.0.0.1.
_PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


@bp.get("/healthz")
def healthz():
    """Alive and able to reach the database."""
    try:
        db_session().execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.warning("health check: the database does not answer", exc_info=True)
        return jsonify({"status": "unavailable", "database": "down"}), 503
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Ready for traffic: schema at the migrations' head, shipped themes loaded."""
    found = readiness.problems(db_session(), current_app.config["PROCESSES_DIR"])
    if found:
        return jsonify({"status": "not_ready", "problems": found}), 503
    return jsonify({"status": "ready"})


@bp.get("/metrics")
def metrics():
    if not _may_read_metrics():
        abort(403)
    body = prometheus.exposition(prometheus.database_families(db_session(), now()))
    return Response(body, content_type=prometheus.CONTENT_TYPE)


def _may_read_metrics() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode()):
            return True
    return _direct_local_request()


def _direct_local_request() -> bool:
    if any(header in request.headers for header in _PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    # A dual-stack socket shows an IPv4 client as ::ffff:a.b.c.d.
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback
