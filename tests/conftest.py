"""Shared fixtures: one migrated database per run (SQLite, or PostgreSQL when
YJS_TEST_DATABASE_URL is set), loaded with the shipped themes and demo accounts; each test
runs inside a transaction that is rolled back, unless it asks for committed data."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker
from werkzeug.datastructures import MultiDict

from webapp import create_app
from webapp.migrate import upgrade

REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("YJS_TEST_DATABASE_URL")


def pytest_report_header(config):
    if PG_URL:
        return f"database: PostgreSQL ({PG_URL.rsplit('@', 1)[-1]})"
    return (
        "database: SQLite (set YJS_TEST_DATABASE_URL=postgresql+psycopg://… "
        "to run the suite on PostgreSQL)"
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if PG_URL:
        return PG_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'yjs-test.sqlite3'}"


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret-key-" + "x" * 32,
            "INSTANCE_DIR": tmp_path_factory.mktemp("instance"),
            "TESTING": True,
        }
    )
    engine = app.extensions["yjs_db"].engine
    if database_url.startswith("postgresql"):
        with engine.begin() as conn:  # a clean schema every run: migrations from zero
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(database_url)
    with app.app_context():
        from webapp.accounts.users import ensure_demo_users
        from webapp.db import db_session
        from webapp.themes.shipped import load_shipped

        session = db_session()
        load_shipped(session, app.config["PROCESSES_DIR"])
        # Without the real-name demo persons: tests register the sample's persons themselves
        # (`yjs demo-users`, where a test runs it, adds them in that test's transaction).
        ensure_demo_users(session, real_name=False)
        session.commit()
    yield app
    engine.dispose()


@pytest.fixture
def db(app):
    """Per-test isolation: everything a test does, commits included, is rolled back."""
    database = app.extensions["yjs_db"]
    connection = database.engine.connect()
    outer = connection.begin()
    original = database.session_factory
    database.session_factory = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    yield database.session_factory
    database.session_factory = original
    outer.rollback()
    connection.close()


@pytest.fixture
def session(db):
    s = db()
    yield s
    s.close()


class UserClient:
    """A logged-in browser stand-in: keeps the cookie and sends the CSRF token."""

    def __init__(self, client, username: str):
        self.client = client
        self.username = username
        self.csrf = None

    def login(self, password: str) -> UserClient:
        page = self.client.get("/login")
        self.csrf = _csrf_from(page.get_data(as_text=True))
        response = self.client.post(
            "/login",
            data={"username": self.username, "password": password, "csrf_token": self.csrf},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return self

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post_form(self, url, data=None, **kw):
        # A MultiDict keeps repeated names (ticked checkboxes) as a browser posts them.
        data = MultiDict(data or {})
        data.setdefault("csrf_token", self.csrf)
        return self.client.post(url, data=data, **kw)

    def post_json(self, url, payload=None, **kw):
        return self.client.post(url, json=payload or {}, headers={"X-CSRFToken": self.csrf}, **kw)

    def post_xml(self, url, xml, **kw):
        return self.client.post(
            url,
            data=xml.encode("utf-8") if isinstance(xml, str) else xml,
            content_type="application/xml",
            headers={"X-CSRFToken": self.csrf},
            **kw,
        )


def _csrf_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def login(app, db):
    from webapp.accounts.users import DEMO_PASSWORD

    def _login(username: str, password: str = DEMO_PASSWORD) -> UserClient:
        return UserClient(app.test_client(), username).login(password)

    return _login
