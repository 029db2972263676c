"""The production server behind `yjs serve`: gunicorn, run from Python.

YJS_WEB_WORKERS processes with YJS_WEB_THREADS threads each (gthread workers); each worker
makes its own app after the fork, so nothing the app opens (database pools, files) is
shared between processes. The server trusts no X-Forwarded-* header itself: that is the
app's ProxyFix, set by YJS_PROXY_HOPS, so there is one place that decides.

Metrics: every worker writes its samples to PROMETHEUS_MULTIPROC_DIR and /metrics sums them
(prometheus_client's multiprocess mode). The directory must be set before prometheus_client
is first imported, which is why the app imports it only when it is made, in the workers.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from gunicorn.app.base import BaseApplication

from .logging_setup import logging_config

METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


class ProductionServer(BaseApplication):
    """gunicorn with our options, loading `create_app()` in each worker."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from webapp import create_app

        return create_app()


def server_options(config: dict, host: str, port: int) -> dict:
    """gunicorn settings from the app's settings (webapp/config.py)."""
    bind_host = f"[{host}]" if ":" in host else host  # an IPv6 address
    return {
        "bind": f"{bind_host}:{port}",
        "workers": config["WEB_WORKERS"],
        "threads": config["WEB_THREADS"],
        "worker_class": "gthread",
        "timeout": config["WEB_TIMEOUT"],
        "keepalive": config["WEB_KEEPALIVE"],
        "graceful_timeout": 30,
        "proc_name": "yjs",
        # gunicorn's control socket sits at one fixed path per user: two servers on one
        # machine would take it from each other. Nothing of ours uses it.
        "control_socket_disable": True,
        "secure_scheme_headers": {},
        "forwarded_allow_ips": "",
        "logconfig_dict": logging_config(config["LOG_FORMAT"], config["LOG_LEVEL"]),
        "child_exit": _child_exit,
    }


def _child_exit(_server, worker) -> None:
    # A worker that died or was replaced leaves its gauge files; "livesum" gauges must stop
    # counting them. Counters and histograms keep its samples: totals never go back.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _metrics_dir() -> tuple[Path, bool]:
    """The multiprocess directory, emptied; True when it is ours to remove afterwards."""
    if "prometheus_client" in sys.modules:
        # The master already chose in-memory samples: workers forked from it would keep
        # theirs apart and /metrics would show one worker's share. A bug, not a setting.
        raise RuntimeError("prometheus_client was imported before the server set its directory")
    configured = os.environ.get(METRICS_DIR_VARIABLE)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        # Files of an earlier run would add its counts to this one's.
        for stale in path.glob("*.db"):
            stale.unlink()
        return path, False
    path = Path(tempfile.mkdtemp(prefix="yjs-metrics-"))
    os.environ[METRICS_DIR_VARIABLE] = str(path)
    return path, True


def run_production_server(config: dict, host: str, port: int) -> None:
    """Serve until stopped (SIGTERM/SIGINT: workers finish their requests first)."""
    path, ours = _metrics_dir()
    try:
        ProductionServer(server_options(config, host, port)).run()
    finally:
        if ours:
            shutil.rmtree(path, ignore_errors=True)
