"""The clerk's inbox and the worker's sweep at county-hall scale.

- inbox: one department (市场监管局) with 200,000 open tasks in the database; the first page
  and the counts per filter, as `/clerk/` computes them (p50/p95 over repetitions);
- sweep: 100,000 waiting cases, 1,000 of them due (their task is two weeks old: red);
  one worker pass in batches, as `yjs worker` does it (seconds);
- 同城通办: the same inbox for a clerk placed at a town centre, where 1 case in 100 was
  handed in: its cases first, then the pool (and the 本服务点 / 通办池 filters), beside the
  plain first page of the same run as the reference (ratio).

Rows are bulk-inserted with SQLAlchemy Core around one real published theme version, so the
queries run on the real schema, indexes and services. Nothing is asserted.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select

INBOX_TASKS = 200_000
WAITING = 100_000
DUE = 1_000
BATCH = 5_000


POINT_SHARE = 100  # one case in 100 handed in at the town centre


def _populate(app, now: dt.datetime) -> None:
    from webapp.db import db_session
    from webapp.models import Case, CaseTask, Department, ServicePoint, Theme, ThemeVersion, User

    with app.app_context():
        session = db_session()
        version = session.scalars(
            select(ThemeVersion).join(Theme).where(Theme.code == "enterprise-opening")
        ).first()
        applicant = session.scalars(select(User).where(User.username == "zhangsan")).one()
        samr = session.scalars(select(Department).where(Department.code == "SAMR")).one()
        town = session.scalars(select(ServicePoint).where(ServicePoint.code == "BL-YZ")).one()
        cases, tasks = Case.__table__, CaseTask.__table__
        next_id = (session.scalar(select(func.max(Case.id))) or 0) + 1
        for start in range(0, INBOX_TASKS, BATCH):
            rows, task_rows = [], []
            for i in range(start, min(start + BATCH, INBOX_TASKS)):
                case_id = next_id + i
                # The due ones arrived two weeks ago: whatever the calendar, they are overdue.
                created = now - (
                    dt.timedelta(days=14) if i < DUE else dt.timedelta(minutes=i % 20_000)
                )
                if i < DUE:
                    check = now - dt.timedelta(minutes=1)  # due: yellow line crossed
                elif i < WAITING:
                    check = now + dt.timedelta(hours=1 + i % 400)
                else:
                    check = None
                rows.append(
                    {
                        "id": case_id,
                        "case_no": f"YJS-BENCH-{case_id:08d}",
                        "theme_version_id": version.id,
                        "applicant_id": applicant.id,
                        "status": "in_progress",
                        "answers": {},
                        "selected_items": ["SAMR-QYSLDJ"],
                        "state": {},
                        "row_version": 1,
                        "submitted_at": created,
                        "accepted_at": created,
                        "card": "none",
                        "pauses": [],
                        "next_check_at": check,
                        "submitted_point_id": town.id if i % POINT_SHARE == 0 else None,
                    }
                )
                task_rows.append(
                    {
                        "case_id": case_id,
                        "engine_task_id": f"bench-{case_id}",
                        "bpmn_id": "Task_Registration",
                        "kind": "item",
                        "name": "企业设立登记",
                        "department_id": samr.id,
                        "item_code": "SAMR-QYSLDJ",
                        "status": "open",
                        "created_at": created,
                        "allowed_days": Decimal(1),
                        "due_at": created + dt.timedelta(days=1 + (i % 5)),
                        "yellow_at": now - dt.timedelta(minutes=2)
                        if i < DUE
                        else created + dt.timedelta(hours=20),
                        "card": "none",
                    }
                )
            session.execute(insert(cases), rows)
            session.execute(insert(tasks), task_rows)
            session.commit()


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _time_inbox(app, repeat: int) -> list[tuple[str, float, float]]:
    from webapp.db import db_session
    from webapp.models import User
    from webapp.workbench import inbox

    results = []
    with app.app_context():
        session = db_session()
        clerk = session.scalars(select(User).where(User.username == "samr")).one()
        for view in ("all", "unclaimed", "due_soon", "red", "yellow"):
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                page = inbox.inbox(session, clerk, view=view)
                samples.append((time.perf_counter() - started) * 1000)
                session.rollback()
            if view == "all":
                assert page.tasks, "the inbox came back empty"
            p50, p95 = _percentiles(samples)
            results.append((view, p50, p95))
    return results


def _time_point_inbox(app, repeat: int) -> list[tuple[str, float, float]]:
    """The same department's inbox for a clerk placed at the town centre."""
    from webapp.accounts.models import Role, RoleGrant
    from webapp.db import db_session
    from webapp.models import Department, ServicePoint, User
    from webapp.workbench import inbox

    results = []
    with app.app_context():
        session = db_session()
        clerk = session.scalars(select(User).where(User.username == "samr")).one()
        samr = session.scalars(select(Department).where(Department.code == "SAMR")).one()
        town = session.scalars(select(ServicePoint).where(ServicePoint.code == "BL-YZ")).one()
        # A window clerk of this department at the town: the inbox splits by point.
        session.add(
            RoleGrant(
                user_id=clerk.id, role=Role.FRONT_DESK.value, department_id=samr.id,
                service_point_id=town.id,
            )
        )  # fmt: skip
        session.commit()
        session.expire_all()
        for view in ("all", "point", "pool"):
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                page = inbox.inbox(session, clerk, view=view)
                samples.append((time.perf_counter() - started) * 1000)
                session.rollback()
            assert page.tasks, f"the {view} inbox came back empty"
            p50, p95 = _percentiles(samples)
            results.append((view, p50, p95))
    return results


def _time_sweep(app) -> tuple[float, int]:
    from webapp.worker import sweep

    with app.app_context():
        started = time.perf_counter()
        handled = sweep()
        return time.perf_counter() - started, handled


def run(url: str, label: str, repeat: int) -> list[str]:
    from .product_path import _make_app

    with tempfile.TemporaryDirectory() as tmp:
        app = _make_app(url, Path(tmp))
        engine = app.extensions["yjs_db"].engine
        try:
            now = dt.datetime.now(dt.UTC)
            started = time.perf_counter()
            _populate(app, now)
            loaded = time.perf_counter() - started
            lines = [
                f"{label}: 载入 loaded {INBOX_TASKS:,} 办件+待办 cases with open tasks "
                f"in {loaded:.1f} s"
            ]
            # The sweep first: it turns the 1,000 overdue tasks red, so the red filter below
            # has rows to find among 200,000 (and the yellow one is empty: its worst case).
            seconds, handled = _time_sweep(app)
            lines.append(
                f"  worker 一轮 sweep: {WAITING:,} 等待中 waiting, {DUE:,} 到期 due → "
                f"处理 handled {handled:,} in {seconds:.2f} s"
            )
            plain = _time_inbox(app, repeat)
            for view, p50, p95 in plain:
                lines.append(
                    f"  待办首页+各筛选计数 inbox page + counts, view={view:<9} "
                    f"p50 {p50:7.1f} ms   p95 {p95:7.1f} ms"
                )
            reference = plain[0][1]  # the plain first page ("all"), this run
            for view, p50, p95 in _time_point_inbox(app, repeat):
                lines.append(
                    f"  同城通办 at a point (1 in {POINT_SHARE}), view={view:<6} "
                    f"p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   "
                    f"= {p50 / reference:4.1f}× the plain first page"
                )
            return lines
        finally:
            engine.dispose()


def report(pg_url: str | None, repeat: int = 20) -> str:
    from .product_path import PostgresUnavailable, postgres_url, prepare_postgres

    lines = ["工作台 workbench: 待办查询与 worker 扫描 / inbox query and worker sweep"]
    with tempfile.TemporaryDirectory() as tmp:
        lines += run(f"sqlite:///{Path(tmp) / 'workbench.sqlite3'}", "SQLite", repeat)
    if pg_url:
        try:
            prepare_postgres(pg_url)
        except PostgresUnavailable as exc:
            lines.append(f"PostgreSQL 已跳过 skipped: {exc}")
        else:
            url = postgres_url(pg_url).render_as_string(hide_password=False)
            lines += run(url, "PostgreSQL", repeat)
    return "\n".join(lines)
