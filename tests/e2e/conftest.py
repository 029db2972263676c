"""Real-browser tests: a live YJS server on a random port, driven by Debian's Chromium.

The whole directory is skipped (with the reason) when Chromium or the built front-end
bundle is missing; `make test` builds the bundle with npm first. Browsers are never
downloaded: Playwright drives /usr/bin/chromium.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
MODELER_BUNDLE = REPO / "webapp" / "static" / "dist" / "modeler.js"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 10_000


def _missing_prerequisite() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "e2e: the Python package 'playwright' is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.is_file():
        return (
            f"e2e: {CHROMIUM} is missing "
            "(apt-get install -y chromium fonts-wqy-microhei; never `playwright install`)"
        )
    if not MODELER_BUNDLE.is_file():
        return f"e2e: {MODELER_BUNDLE} is not built (run `make test`, or `npm ci && npm run build`)"
    return None


def pytest_collection_modifyitems(config, items):
    # A hook in a sub-directory conftest still sees every collected item: only mark ours.
    reason = _missing_prerequisite()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if Path(str(item.path)).resolve().is_relative_to(HERE):
            item.add_marker(skip)


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: object

    def __call__(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The real app, migrated and loaded like `make run`, served by werkzeug in a thread.

    Always a fresh SQLite file, even when YJS_TEST_DATABASE_URL points at PostgreSQL: the
    root conftest drops and recreates that database's public schema for its own `app`
    fixture, so sharing it would let one wipe the other's data mid-run.
    """
    from werkzeug.serving import make_server

    from webapp import create_app
    from webapp.migrate import upgrade

    tmp = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{tmp / 'yjs-e2e.sqlite3'}"

    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "e2e-" + "k" * 40,
            "INSTANCE_DIR": tmp,
        }
    )
    engine = app.extensions["yjs_db"].engine  # this app's own Database
    upgrade(url)
    with app.app_context():
        from webapp.accounts.users import ensure_demo_users
        from webapp.db import db_session
        from webapp.themes.shipped import load_shipped

        session = db_session()
        load_shipped(session, app.config["PROCESSES_DIR"])
        # Without the real-name demo persons: tests register the sample's persons themselves
        ensure_demo_users(session, real_name=False)
        session.commit()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    # What instruments print and put in their QR codes: this server's own address.
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="yjs-e2e-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_context(browser):
    """Fresh, isolated browser contexts (own cookies); all closed after the test."""
    contexts = []

    def _new():
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield _new
    for context in contexts:
        context.close()


@pytest.fixture
def login_page(live_server, new_context):
    """Open a new context and log in through the form; returns the page on the home URL."""
    from webapp.accounts.users import DEMO_PASSWORD

    def _login(username: str, password: str = DEMO_PASSWORD):
        page = new_context().new_page()
        page.goto(live_server("/login"))
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("form[action='/login'] button[type=submit]")
        assert "/login" not in page.url, f"login as {username} failed: {page.url}"
        return page

    return _login


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
