"""The production server as it is started for real: `yjs serve` processes on a database
migrated and loaded the way `make run` does it.

A cold server meets a crowd of first requests of every kind at once and must neither crash
nor answer 5xx; its /metrics adds up the samples of all its worker processes. Then the
server is started exactly as docs/deploy.md says (its systemd unit's command and settings)
and must serve.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from webapp.accounts.users import DEMO_PASSWORD

from .conftest import enterprise_answers

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
THEMES = sorted(p.parent.name for p in (REPO / "processes" / "themes").glob("*/theme.yaml"))
DEPLOY_DOC = REPO / "docs" / "deploy.md"
# SQLAlchemy's default pool keeps 5 connections per engine: one engine per server process.
POOL_SIZE_PER_PROCESS = 5


# --- processes ------------------------------------------------------------------------


def _free_port() -> int:
    for port in range(5600, 5700):  # the range these tests may use
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 5600–5699")


def _yjs(*args: str, env: dict) -> str:
    done = subprocess.run(
        [str(BIN / "yjs"), *args], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class Server:
    """A `yjs serve` process with its log in a file (a pipe could fill up and block it)."""

    def __init__(self, command: list[str], env: dict, log: Path, port: int, cwd: Path = REPO):
        self.port = port
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=self._log_file, stderr=subprocess.STDOUT
        )

    def wait_until_listening(self, timeout: float = 60) -> None:
        """Until the port takes connections: no HTTP request, so nothing is warmed up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("the server never listened:\n" + self.log.read_text()[-3000:])

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()  # gunicorn: finish running requests, then exit
        try:
            code = self.process.wait(timeout=60)
        finally:
            self._log_file.close()
        return code

    def log_entries(self) -> list[dict]:
        """The JSON lines of the log (the first line is the start-up banner, plain text)."""
        return [json.loads(line) for line in self.log.read_text().splitlines() if line[:1] == "{"]


@pytest.fixture(scope="module")
def served_database(database_url, tmp_path_factory):
    """A database of its own, prepared by the commands `make run` runs before serving."""
    instance = tmp_path_factory.mktemp("served-instance")
    if database_url.startswith("postgresql"):
        base, _, name = database_url.rpartition("/")
        url = f"{base}/{name}_serve"
        admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_serve" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}_serve"'))
        admin.dispose()
    else:
        url = f"sqlite:///{instance / 'yjs.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YJS_", "PROMETHEUS_"))}
    env.update({"YJS_DATABASE_URL": url, "YJS_INSTANCE_DIR": str(instance)})
    _yjs("db", "upgrade", env=env)
    _yjs("load-themes", env=env)
    _yjs("demo-users", env=env)
    return env


# --- a browser ------------------------------------------------------------------------


class _NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer to look at, not to follow


class Browser:
    """One person's cookies; counts every request it sends."""

    sent = 0
    _count_lock = threading.Lock()

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _NoRedirects())
        self.csrf = None

    def open(self, method: str, path: str, *, form=None, json_body=None, headers=None):
        headers = dict(headers or {})
        data = None
        if form is not None:
            data = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
            headers["X-CSRFToken"] = self.csrf
        request = Request(self.base + path, data=data, headers=headers, method=method)
        with Browser._count_lock:
            Browser.sent += 1
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.headers, response.read()
        except HTTPError as answer:
            return answer.code, answer.headers, answer.read()

    def get(self, path: str, **kw):
        return self.open("GET", path, **kw)

    def login(self, username: str) -> list[int]:
        status, _, page = self.get("/login")
        match = re.search(rb'name="csrf-token" content="([^"]+)"', page)
        assert match, page[:300]
        self.csrf = match.group(1).decode()
        form = {"username": username, "password": DEMO_PASSWORD, "csrf_token": self.csrf}
        return [status, self.open("POST", "/login", form=form)[0]]


# --- the crowd ------------------------------------------------------------------------

Visit = Callable[[Browser], list[int]]


def _page(path: str) -> Visit:
    return lambda b: [b.get(path)[0]]


def _applying(username: str, theme: str) -> Visit:
    def visit(b: Browser) -> list[int]:
        # The guidance questions, then the one form for an answer to 企业开办's question.
        return b.login(username) + [
            b.get(f"/applicant/apply/{theme}")[0],
            b.get("/applicant/apply/enterprise-opening?step=form&housing_fund.needed=false")[0],
        ]

    return visit


def _submitting(username: str) -> Visit:
    def visit(b: Browser) -> list[int]:
        body = {"theme": "enterprise-opening", "answers": enterprise_answers()}
        return b.login(username) + [b.open("POST", "/api/cases/", json_body=body)[0]]

    return visit


def _working(username: str, path: str) -> Visit:
    return lambda b: b.login(username) + [b.get(path)[0]]


CROWD: dict[str, tuple[Visit, list[int]]] = {
    "login page 1": (_page("/login"), [200]),
    "login page 2": (_page("/login"), [200]),
    **{f"notice {t}": (_page(f"/notice/{t}"), [200]) for t in THEMES},
    **{f"API notice {t}": (_page(f"/api/themes/{t}/notice"), [200]) for t in THEMES},
    "openapi.json": (_page("/api/openapi.json"), [200]),
    "healthz": (_page("/healthz"), [200]),
    "readyz": (_page("/readyz"), [200]),
    "metrics": (_page("/metrics"), [200]),
    **{
        f"apply {t}": (_applying(("zhangsan", "lisi")[i % 2], t), [200, 302, 200, 200])
        for i, t in enumerate(THEMES)
    },
    "submit 1": (_submitting("zhangsan"), [200, 302, 201]),
    "submit 2": (_submitting("lisi"), [200, 302, 201]),
    "inbox": (_working("window", "/clerk/"), [200, 302, 200]),
    "modeler": (_working("analyst", "/modeler/themes/enterprise-opening"), [200, 302, 200]),
}


def _metrics(port: int) -> dict[tuple[str, tuple], float]:
    status, _, body = Browser(port).get("/metrics")
    assert status == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def test_a_cold_server_survives_a_crowd_of_first_requests(served_database, tmp_path):
    port = _free_port()
    server = Server(
        [str(BIN / "yjs"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        served_database,
        tmp_path / "server.log",
        port,
    )
    try:
        server.wait_until_listening()
        start = threading.Barrier(len(CROWD))
        answers: dict[str, list[int] | str] = {}

        def visit(name: str, go: Visit) -> None:
            start.wait()
            try:
                answers[name] = go(Browser(port))
            except (OSError, URLError) as exc:  # a reset connection: the server fell over
                answers[name] = repr(exc)

        threads = [
            threading.Thread(target=visit, args=(name, go)) for name, (go, _) in CROWD.items()
        ]
        Browser.sent = 0
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert server.process.poll() is None, "the server died:\n" + server.log.read_text()
        assert answers == {name: expected for name, (_, expected) in CROWD.items()}

        # Every worker process's requests are counted, whichever process answers the scrape.
        sent = Browser.sent
        samples = _metrics(port)
        counted = sum(
            value
            for (name, _), value in samples.items()
            if name == "yjs_http_request_duration_seconds_count"
        )
        assert counted == sent
        # Both worker processes' gauges: each made its own app and pool at boot.
        assert samples[("yjs_db_pool_size", ())] == 2 * POOL_SIZE_PER_PROCESS
        assert samples[("yjs_engine_step_seconds_count", ())] >= 2  # the two submissions
    finally:
        code = server.stop()
    entries = server.log_entries()
    assert code == 0
    assert not [e for e in entries if e["level"] in ("ERROR", "CRITICAL")]
    assert "Traceback" not in server.log.read_text()
    request_lines = [e for e in entries if e["logger"] == "webapp.requests"]
    assert request_lines and all(len(e["request_id"]) == 32 for e in request_lines)


# --- as docs/deploy.md says -------------------------------------------------------------


def _doc_block(first_line: str) -> list[str]:
    """The lines of the fenced block in docs/deploy.md that starts with `first_line`."""
    doc = DEPLOY_DOC.read_text(encoding="utf-8")
    match = re.search(r"```\w*\n" + re.escape(first_line) + r"\n(.*?)```", doc, re.S)
    assert match, f"docs/deploy.md has no block starting {first_line!r}"
    return [line for line in match.group(1).splitlines() if line and not line.startswith("#")]


def _unit(name: str) -> tuple[dict[str, str], list[str]]:
    """A systemd unit of the doc: its environment (file, then lines) and its command."""
    lines = _doc_block(f"# /etc/systemd/system/{name}")
    env: dict[str, str] = {}
    command = None
    for line in lines:
        key, _, value = line.partition("=")
        if key == "EnvironmentFile":
            for setting in _doc_block(f"# {value}"):
                var, _, val = setting.partition("=")
                env[var] = val
        elif key == "Environment":
            var, _, val = value.partition("=")
            env[var] = val
        elif key == "ExecStart":
            command = shlex.split(value)
    assert command, f"{name} has no ExecStart"
    # The doc's installation folder is this checkout.
    assert command[0] == "/opt/yjs/.venv/bin/yjs"
    return env, [str(BIN / "yjs"), *command[1:]]


def test_the_server_starts_as_the_deploy_doc_says(served_database, tmp_path):
    env, command = _unit("yjs-web.service")
    assert env["YJS_ENV"] == "production"
    port = _free_port()
    assert command[-2:] == ["--port", "8000"]
    command[-1] = str(port)
    settings = {
        **env,
        # The doc's placeholders, made real for this machine.
        "YJS_DATABASE_URL": served_database["YJS_DATABASE_URL"],
        "YJS_SECRET_KEY": secrets.token_hex(32),
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith(("YJS_", "PROMETHEUS_"))}
    server = Server(command, {**base, **settings}, tmp_path / "server.log", port)
    try:
        server.wait_until_listening()
        browser = Browser(port)
        assert browser.get("/healthz")[0] == 200
        status, _, body = browser.get("/readyz")
        assert (status, json.loads(body)) == (200, {"status": "ready"})
        # A proxy's kept-alive connection, idle a few seconds, still answers: the server
        # does not close it under the proxy (nginx would answer a POST sent on it with 502).
        kept = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            for pause in (0, 3):
                time.sleep(pause)
                kept.request("GET", "/healthz")
                response = kept.getresponse()
                assert response.status == 200 and response.read()
        finally:
            kept.close()
        status, headers, _ = browser.get("/login", headers={"X-Request-ID": "from-nginx-1"})
        assert status == 200 and headers["X-Request-ID"] == "from-nginx-1"
        # YJS_SECURE_COOKIES=1: the session cookie is for HTTPS only.
        assert "Secure" in headers["Set-Cookie"]
        # Through the proxy (X-Forwarded-For): only with the token.
        proxied = {"X-Forwarded-For": "203.0.113.9"}
        assert browser.get("/metrics", headers=proxied)[0] == 403
        bearer = {**proxied, "Authorization": f"Bearer {env['YJS_METRICS_TOKEN']}"}
        assert browser.get("/metrics", headers=bearer)[0] == 200
    finally:
        code = server.stop()
    assert code == 0
    logged = [e for e in server.log_entries() if e.get("request_id") == "from-nginx-1"]
    assert [(e["path"], e["status"]) for e in logged] == [("/login", 200)]

    # The workers' unit, for one round.
    env, command = _unit("yjs-worker@.service")
    worker = subprocess.run(
        [*command, "--once"],
        env={**base, **env, **settings},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert all(json.loads(line) for line in worker.stderr.splitlines())
