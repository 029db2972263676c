"""The provincial e-licence library over HTTP, against a real local server started here:
good answers exempt materials, errors, malformed bodies and slow answers degrade to
"please upload" on the form — never a 5xx — and the log names no one."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from webapp.licences import sources
from webapp.models import User
from webapp.parties import case_parties
from webapp.parties.models import Capacity

from .test_guidance import RESTAURANT_APPLY
from .test_licence_wallet import COMPANY, USCC, _restaurant, _yyzz

TOKEN = "library-token-2026"
SLOW_SECONDS = 3


class Library(BaseHTTPRequestHandler):
    """The stub library: the path picks the behaviour; every request is recorded."""

    seen: list[dict] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        url = urlsplit(self.path)
        Library.seen.append(
            {"path": url.path, "query": parse_qs(url.query), "auth": self.headers["Authorization"]}
        )
        holders = parse_qs(url.query).get("holder", [])
        if url.path == "/good":
            licences = [{"type": "营业执照", "number": USCC, "status": "valid"}]
            licences += [{"type": "食品经营许可证", "number": "JY1", "status": "revoked"}]
            body = {"licences": licences if USCC in holders else []}
            self._send(200, json.dumps(body, ensure_ascii=False).encode())
        elif url.path == "/error":
            self._send(503, b'{"error": "maintenance"}')
        elif url.path == "/malformed":
            self._send(200, b'{"licences": [{"type": 1')
        elif url.path == "/wrong-shape":
            self._send(200, b'{"licences": {"type": "x"}}')
        elif url.path == "/slow":
            time.sleep(SLOW_SECONDS)
            self._send(200, b'{"licences": []}')
        else:
            self._send(404, b"{}")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # The client may have given up waiting (the timeout test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture(scope="module")
def library() -> Iterator[str]:
    server = None
    for port in range(5410, 5420):  # this workplace's ports
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), Library)
            break
        except OSError:
            continue
    assert server is not None, "no free port in 5410–5419"
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def agent_of_the_company(session):
    """lisi acts for the company (经办人); the platform issued it no licence."""
    user = session.scalars(select(User).where(User.username == "lisi")).one()
    company = case_parties.company(session, USCC, COMPANY)
    case_parties.link_account(session, None, company, user, Capacity.AGENT)
    session.commit()
    return user


def _use(app, monkeypatch, url: str, timeout: float = 1) -> None:
    monkeypatch.setitem(app.config, "LICENCE_SOURCE", "http")
    monkeypatch.setitem(app.config, "LICENCE_LIBRARY_URL", url)
    monkeypatch.setitem(app.config, "LICENCE_LIBRARY_TOKEN", TOKEN)
    monkeypatch.setitem(app.config, "LICENCE_LIBRARY_TIMEOUT", timeout)


def test_the_library_s_answer_is_read(library):
    Library.seen.clear()
    found = sources.ProvincialLibrary(f"{library}/good", TOKEN, 1).fetch([USCC, "X"])
    assert found == (("营业执照", USCC),)  # the revoked one is not held
    (request,) = Library.seen
    assert request["query"]["holder"] == [USCC, "X"] and request["auth"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("path", ["/error", "/malformed", "/wrong-shape", "/missing"])
def test_a_failing_library_is_unavailable(library, path):
    with pytest.raises(sources.LibraryUnavailable):
        sources.ProvincialLibrary(f"{library}{path}", TOKEN, 1).fetch([USCC])


def test_a_slow_library_times_out(library):
    started = time.monotonic()
    with pytest.raises(sources.LibraryUnavailable, match="timeout|Timeout"):
        sources.ProvincialLibrary(f"{library}/slow", TOKEN, 0.5).fetch([USCC])
    assert time.monotonic() - started < SLOW_SECONDS  # it did not wait for the answer


def test_nothing_listening_is_unavailable():
    with pytest.raises(sources.LibraryUnavailable):
        sources.ProvincialLibrary("http://127.0.0.1:9/", TOKEN, 1).fetch([USCC])


def test_the_library_s_licence_exempts_the_material_on_the_form(
    app, monkeypatch, library, login, agent_of_the_company
):
    _use(app, monkeypatch, f"{library}/good")
    lisi = login("lisi")
    saved = lisi.post_form(f"{RESTAURANT_APPLY}/draft", data=_restaurant(USCC))
    assert saved.status_code == 302
    part = _yyzz(lisi.get(saved.headers["Location"]).get_data(as_text=True))
    assert f"免提交：已调用电子证照《营业执照》（证号 {USCC}）" in part
    # The local wallet alone (the default source) knows no such licence: asked.
    monkeypatch.setitem(app.config, "LICENCE_SOURCE", "local")
    part = _yyzz(lisi.get(saved.headers["Location"]).get_data(as_text=True))
    assert "免提交" not in part and "上传" in part


@pytest.mark.parametrize(("path", "timeout"), [("/error", 1), ("/malformed", 1), ("/slow", 0.5)])
def test_the_form_asks_for_the_material_when_the_library_fails(
    app, monkeypatch, library, login, agent_of_the_company, caplog, path, timeout
):
    _use(app, monkeypatch, f"{library}{path}", timeout)
    lisi = login("lisi")
    with caplog.at_level(logging.WARNING, logger="webapp.licences.sources"):
        saved = lisi.post_form(f"{RESTAURANT_APPLY}/draft", data=_restaurant(USCC))
        assert saved.status_code == 302
        page = lisi.get(saved.headers["Location"])
    assert page.status_code == 200
    part = _yyzz(page.get_data(as_text=True))
    assert "省电子证照库暂不可用，请上传该材料" in part and "免提交" not in part
    # Submitting without it: refused with the form (422), never a server error.
    refused = lisi.post_form(RESTAURANT_APPLY, data=_restaurant(USCC))
    assert refused.status_code == 422
    assert "省电子证照库暂不可用" in _yyzz(refused.get_data(as_text=True))
    logged = [r.getMessage() for r in caplog.records if r.name == "webapp.licences.sources"]
    assert logged and all("unavailable" in m for m in logged)
    assert not [m for m in logged if USCC in m or COMPANY in m or "holder=" in m]
