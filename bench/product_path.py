"""企业开办 cases per second through the product's engine + persistence path.

Each step does what one HTTP request does, minus HTTP: its own app context, its own
session, the service call, one commit. A case is one submission, then one task at a
time (受理 → department items → 出件) until the case is completed.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from .engine_throughput import REPO

THEME = "enterprise-opening"
APPLICANT = "zhangsan"
PROCESSES_DIR = REPO / "processes"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/yjs_bench"
MAX_STEPS_PER_CASE = 50  # the process has 4–6 human tasks; more means it is stuck

# What a clerk submits for each kind of task (CaseTask.kind tells which).
OUTCOMES = {
    "acceptance": {"opinion": "材料齐全，予以受理"},
    "item": {"opinion": "同意", "result_no": "91441322MA5BENCH06"},
    "delivery": {"method": "post", "tracking_no": "EMS0000000000"},  # as the sample chose
}


SAMPLE = REPO / "processes" / "themes" / "enterprise-opening" / "sample-application.yaml"


def enterprise_answers(*, housing_fund: bool = True) -> dict:
    """The shipped valid 企业开办 application, with or without 公积金."""
    answers = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    # Without 公积金 its fields are hidden, and hidden fields are ignored, never stored.
    answers["housing_fund.needed"] = housing_fund
    return answers


# --- results


@dataclass
class ProductResult:
    cases: int  # timed cases
    completed: int  # of those, how many reached "completed"
    seconds: float
    steps: int  # requests made in the timed loop (submissions + task actions)
    avg_state_bytes: float | None  # UTF-8 JSON of case.state, completed cases
    footprint: str = ""  # bytes per completed case: state, tasks, audit; live and on disk

    @property
    def cases_per_s(self) -> float:
        return self.cases / self.seconds


class PostgresUnavailable(Exception):
    """PostgreSQL cannot be reached or the bench database cannot be prepared."""


# --- the product path


def _make_app(url: str, instance_dir: Path):
    from webapp import create_app
    from webapp.accounts.users import ensure_demo_users
    from webapp.cases import engine_state as case_engine
    from webapp.db import db_session
    from webapp.migrate import upgrade
    from webapp.themes.shipped import load_shipped

    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "b" * 40,
            "INSTANCE_DIR": instance_dir,
            "PROCESSES_DIR": PROCESSES_DIR,
        }
    )
    upgrade(url)
    with app.app_context():
        session = db_session()
        load_shipped(session, app.config["PROCESSES_DIR"])
        ensure_demo_users(session)
        session.commit()
    # Start every database cold, so each one pays (in its warm-up case) the same restore
    # cost as the first request after a deploy.
    case_engine._SPECS.clear()
    return app


def _user_for_department() -> dict[str, str]:
    from webapp.accounts.models import Role
    from webapp.accounts.users import DEMO_USERS

    # The first clerk of each department: the window at the county hall and each
    # department's 承办人 (its 科室负责人 and 分管领导 act on higher levels only).
    first: dict[str, str] = {}
    for username, role, _name, dept in DEMO_USERS:
        if dept and role in (Role.FRONT_DESK, Role.APPROVER):
            first.setdefault(dept, username)
    return first


def _run_case(
    app, housing_fund: bool, users_by_dept: dict[str, str], *, on_request=None
) -> tuple[int, int]:
    """One case, request by request; returns (case id, number of requests).

    `on_request`, if given, is called before each request (bench/statements.py counts)."""
    from webapp.applications import drafts
    from webapp.db import db_session
    from webapp.models import CaseStatus, CaseTask, TaskStatus, User
    from webapp.themes.lookup import get_theme
    from webapp.workbench.actions import act_on_task

    if on_request:
        on_request()
    with app.app_context():
        session = db_session()
        applicant = session.scalars(select(User).where(User.username == APPLICANT)).one()
        theme = get_theme(session, THEME)
        # The applicant's submission, materials declared on paper as in the sample: the
        # front desk receives them as it accepts.
        case = drafts.submit(
            session, applicant, theme, enterprise_answers(housing_fund=housing_fund)
        )
        session.commit()
        case_id = case.id
    steps = 1

    for _ in range(MAX_STEPS_PER_CASE):
        if on_request:
            on_request()
        with app.app_context():
            session = db_session()
            task = session.scalars(
                select(CaseTask)
                .where(CaseTask.case_id == case_id, CaseTask.status == TaskStatus.OPEN)
                .order_by(CaseTask.id)
                .limit(1)
            ).first()
            if task is None:
                raise RuntimeError(f"case {case_id} has no open task and is not completed")
            username = users_by_dept[task.department.code]
            user = session.scalars(select(User).where(User.username == username)).one()
            done = act_on_task(session, user, task.id, None, OUTCOMES[task.kind])
            session.commit()
            steps += 1
            if done.case.status == CaseStatus.COMPLETED:
                return case_id, steps
    raise RuntimeError(f"case {case_id} not completed after {MAX_STEPS_PER_CASE} steps")


def _state_sizes(app, case_ids: list[int]) -> tuple[int, float | None]:
    from webapp.db import db_session
    from webapp.models import Case, CaseStatus

    with app.app_context():
        session = db_session()
        rows = session.scalars(
            select(Case).where(Case.id.in_(case_ids), Case.status == CaseStatus.COMPLETED)
        ).all()
        sizes = [len(json.dumps(c.state, ensure_ascii=False).encode()) for c in rows]
    return len(sizes), (sum(sizes) / len(sizes) if sizes else None)


def product_path(url: str, n: int, *, warmup: int = 1) -> ProductResult:
    """Cases/s through the product on `url`; setup and `warmup` cases are not timed."""
    with tempfile.TemporaryDirectory(prefix="yjs-bench-instance-") as instance_dir:
        app = _make_app(url, Path(instance_dir))
        # create_app re-initialises one module-level Database: keep this app's engine.
        engine = app.extensions["yjs_db"].engine
        try:
            users_by_dept = _user_for_department()
            for i in range(warmup):
                _run_case(app, i % 2 == 0, users_by_dept)
            case_ids, steps = [], 0
            start = time.perf_counter()
            for i in range(n):
                case_id, case_steps = _run_case(app, i % 2 == 0, users_by_dept)
                case_ids.append(case_id)
                steps += case_steps
            seconds = time.perf_counter() - start
            completed, avg_state = _state_sizes(app, case_ids)
            footprint = _footprint(engine, case_ids)
        finally:
            engine.dispose()
    return ProductResult(n, completed, seconds, steps, avg_state, footprint)


def _footprint(engine, case_ids: list[int]) -> str:
    """Bytes per completed case as stored: the state, its task rows and audit events (the
    rows' own sizes), and the three tables on disk (dead row versions included: before
    any vacuum) divided by the cases in them."""
    ids = ",".join(str(i) for i in case_ids)
    postgres = engine.dialect.name == "postgresql"
    size = "pg_column_size({})" if postgres else "length(CAST({} AS BLOB))"
    row = "pg_column_size(t.*)" if postgres else "0"
    with engine.connect() as conn:
        state = conn.scalar(
            text(f"SELECT avg({size.format('state')}) FROM cases WHERE id IN ({ids})")
        )
        tasks = (
            conn.scalar(text(f"SELECT sum({row}) FROM case_tasks t WHERE case_id IN ({ids})")) or 0
        )
        audit = (
            conn.scalar(text(f"SELECT sum({row}) FROM audit_events t WHERE case_id IN ({ids})"))
            or 0
        )
        cases = conn.scalar(text("SELECT count(*) FROM cases"))
        if postgres:
            disk = conn.scalar(
                text(
                    "SELECT pg_total_relation_size('cases') + pg_total_relation_size('case_tasks')"
                    " + pg_total_relation_size('audit_events')"
                )
            )
        else:
            disk = (
                conn.scalar(
                    text(
                        "SELECT sum(pgsize) FROM dbstat WHERE name IN "
                        "(SELECT name FROM sqlite_master "
                        "WHERE tbl_name IN ('cases', 'case_tasks', 'audit_events'))"
                    )
                )
                if _has_dbstat(conn)
                else None
            )
    n = len(case_ids)
    parts = [f"引擎状态 engine state {state or 0:,.0f} B (目标 target ≤ 8,192)"]
    if postgres:
        parts.append(f"任务行 task rows {tasks / n:,.0f} B")
        parts.append(f"留痕 audit rows {audit / n:,.0f} B")
    if disk:
        parts.append(f"磁盘 on disk (三表含死行 3 tables, dead rows incl.) {disk / cases:,.0f} B")
    return ", ".join(parts)


def _has_dbstat(conn) -> bool:
    try:
        conn.execute(text("SELECT 1 FROM dbstat LIMIT 1"))
        return True
    except DBAPIError:
        conn.rollback()
        return False


def sqlite_path(n: int) -> ProductResult:
    with tempfile.TemporaryDirectory(prefix="yjs-bench-sqlite-") as tmp:
        return product_path(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", n)


# --- PostgreSQL


def postgres_url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).strip().splitlines() if line.strip()]
    return (lines[0] if lines else type(orig).__name__)[:200]


def prepare_postgres(url: str) -> None:
    """Create the bench database if missing, then drop and recreate schema `public`."""
    parsed = postgres_url(url)
    if not parsed.database:
        raise PostgresUnavailable("URL 未指定数据库 / no database in the URL")
    connect_args = {"connect_timeout": 5}
    try:
        admin = create_engine(
            parsed.set(database="postgres"),
            isolation_level="AUTOCOMMIT",
            connect_args=connect_args,
        )
        try:
            with admin.connect() as conn:
                exists = conn.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"),
                    {"name": parsed.database},
                )
                if not exists:
                    quoted = conn.dialect.identifier_preparer.quote_identifier(parsed.database)
                    conn.execute(text(f"CREATE DATABASE {quoted}"))
        finally:
            admin.dispose()
        bench = create_engine(parsed, connect_args=connect_args)
        try:
            with bench.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        finally:
            bench.dispose()
    except (DBAPIError, OSError) as exc:
        raise PostgresUnavailable(_reason(exc)) from None


def postgres_path(url: str, n: int) -> ProductResult:
    prepare_postgres(url)
    return product_path(postgres_url(url).render_as_string(hide_password=False), n)
