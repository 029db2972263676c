"""Database engine, metadata and the per-request session.

One session per application context; the request (or worker job) commits at its edge,
services only flush.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Every id column is an INTEGER: 32-bit signed on PostgreSQL. A larger number names no row,
# and handed to the database it overflows (an error, not "not found"): inputs refuse it first.
MAX_ROW_ID = 2**31 - 1

# jsonb on PostgreSQL (queryable, compact); JSON text elsewhere. Engine state survives
# jsonb's key reordering because its tasks are a list, each task's data rebuilt from its
# parent's in list order, never in key order (engine/serialization.py).
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator):
    """An instant, always timezone-aware in Python.

    SQLite keeps no zone and hands back naive values; deadline arithmetic must never mix
    naive and aware instants, so values are stored as UTC and come back tagged UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware instant")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _dumps(value) -> str:
    # Chinese stays readable UTF-8 in the database instead of \uXXXX escapes.
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            json_serializer=_dumps,
            connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
        )
        _tune_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, json_serializer=_dumps, pool_pre_ping=True)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (the documented
        # recipe), so row versions and rollbacks behave as on PostgreSQL.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A job that will write (the worker's sweep) asks for the write lock up front: two
        # deferred transactions that both read, then both write, would deadlock in SQLite.
        # So does a request that may change something: a transaction that has read cannot
        # wait for the lock (SQLite refuses at once: "database is locked"), so a clerk's
        # 准予 would be refused whenever a worker was writing a case, and concurrent logins
        # (read the user, write the session) refused each other. PostgreSQL locks rows.
        if conn.get_execution_options().get(WRITE_INTENT) or _request_may_write():
            _begin_writing(conn)
        else:
            conn.exec_driver_sql("BEGIN")


def _request_may_write() -> bool:
    return has_request_context() and request.method not in SAFE_METHODS


def _begin_writing(conn) -> None:
    """BEGIN IMMEDIATE, tried every millisecond until it succeeds or SQLITE_BUSY_SECONDS pass.

    SQLite's own wait (busy_timeout) sleeps ever longer between tries, up to 100 ms, while a
    worker takes the lock back a moment after each case: a request waiting that way missed
    every turn of a sweep. Tried this often, it gets the lock within a case.
    """
    dbapi_conn = conn.connection.driver_connection
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    dbapi_conn.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi_conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    break
            time.sleep(0.001)
        # The last try goes through SQLAlchemy, so the failure is reported as any other
        # ("database is locked" becomes the usual 409).
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        dbapi_conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")


# Execution option: "this transaction will write"; SQLite then takes its write lock at BEGIN.
WRITE_INTENT = "yjs_write_intent"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SQLITE_BUSY_SECONDS = 15


class Database:
    """Flask extension holding the engine and handing out one session per app context."""

    def __init__(self):
        self.engine: Engine | None = None
        self.session_factory: sessionmaker | None = None

    def init_app(self, app: Flask) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"])
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        app.extensions["yjs_db"] = self
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def _close_session(_exc=None) -> None:
        session = g.pop("_yjs_session", None)
        if session is not None:
            session.close()


def get_db() -> Database:
    return current_app.extensions["yjs_db"]


def conflict_insert(session: Session, table):
    """An INSERT that can say ON CONFLICT DO NOTHING / DO UPDATE: each database's own
    construct (PostgreSQL and SQLite both have the clause)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def db_session() -> Session:
    """The session of the current request or job."""
    if "_yjs_session" not in g:
        g._yjs_session = get_db().session_factory()
    return g._yjs_session
