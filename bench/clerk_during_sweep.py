"""A clerk's action while a worker sweeps a few hundred due cases, against the same action
with no sweep running (the reference, measured in the same run on the same database).

Setup: 300 企业开办 cases accepted through the services, each waiting at 企业设立登记 (市场监管局);
then every one is made due for the worker as a timer would make it (`next_timer_at` in the
past), so the sweep restores, steps, stores and re-schedules each case: a timer's full
engine work, minus the new task.

The clerk is `samr` over HTTP (the Flask test client: login session, CSRF, access check,
row lock, write, commit): 认领 then 取消认领 of the registration task of the case at the
head of the sweep's queue (the case the worker holds or takes next), case after case while
the worker (`webapp.worker.sweep`, in a process of its own as `yjs worker` runs) works
through the queue. Refusals (409) are counted, not timed. Nothing is asserted.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .engine_throughput import REPO
from .product_path import (
    APPLICANT,
    PROCESSES_DIR,
    THEME,
    PostgresUnavailable,
    _make_app,
    enterprise_answers,
    postgres_url,
    prepare_postgres,
)

DUE_CASES = 300
REFERENCE_ACTIONS = 60
CLERK = "samr"


@dataclass
class Latencies:
    samples_ms: list[float]
    refused: int

    def line(self, label: str) -> str:
        if not self.samples_ms:
            return f"  {label}: 无成功样本 no successful action, {self.refused} 被拒 refused"
        ordered = sorted(self.samples_ms)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return (
            f"  {label}: n={len(ordered):<4} p50 {statistics.median(ordered):7.1f} ms   "
            f"p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms   被拒 refused {self.refused}"
        )


# --- setup


def _accepted_cases(app, n: int) -> list[int]:
    """n cases accepted by the front desk, each one request's worth of work and commit."""
    from webapp.applications import drafts
    from webapp.db import db_session
    from webapp.models import CaseTask, TaskStatus, User
    from webapp.themes.lookup import get_theme
    from webapp.workbench.actions import act_on_task

    ids = []
    for i in range(n):
        with app.app_context():
            session = db_session()
            applicant = session.scalars(select(User).where(User.username == APPLICANT)).one()
            # As the product path: materials declared on paper, received as it accepts.
            case = drafts.submit(
                session,
                applicant,
                get_theme(session, THEME),
                enterprise_answers(housing_fund=i % 2 == 0),
            )
            session.commit()
            ids.append(case.id)
        with app.app_context():
            session = db_session()
            window = session.scalars(select(User).where(User.username == "window")).one()
            task = session.scalars(
                select(CaseTask).where(
                    CaseTask.case_id == ids[-1], CaseTask.status == TaskStatus.OPEN
                )
            ).one()
            act_on_task(session, window, task.id, None, {"opinion": "受理"})
            session.commit()
    return ids


def _registration_tasks(engine, case_ids: list[int]) -> dict[int, int]:
    from webapp.models import CaseTask, TaskStatus

    with Session(engine) as session:
        rows = session.execute(
            select(CaseTask.case_id, CaseTask.id).where(
                CaseTask.case_id.in_(case_ids),
                CaseTask.bpmn_id == "Task_Registration",
                CaseTask.status == TaskStatus.OPEN,
            )
        )
        return dict(rows.all())


def _make_due(engine, case_ids: list[int]) -> dt.datetime:
    """Due for the worker, in case order (the sweep takes the earliest first)."""
    from webapp.models import Case

    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session:
        for k, case_id in enumerate(case_ids):
            due = now - dt.timedelta(seconds=len(case_ids) - k)
            session.execute(
                update(Case).where(Case.id == case_id).values(next_timer_at=due, next_check_at=due)
            )
        session.commit()
    return now


def _head_of_queue(
    engine, case_ids: list[int], cutoff: dt.datetime, passed: set[int]
) -> int | None:
    """The earliest case still due that the clerk has not acted on yet in this round.

    Not simply the earliest due: a case the clerk held when the worker came to it was
    skipped (SKIP LOCKED) and stays due, and acting on it again would measure nothing.
    """
    from webapp.models import Case

    with Session(engine) as session:
        return session.scalar(
            select(Case.id)
            .where(Case.id.in_(case_ids), Case.id.not_in(passed), Case.next_check_at <= cutoff)
            .order_by(Case.next_check_at)
            .limit(1)
        )


# --- the clerk


class Clerk:
    def __init__(self, app):
        from webapp.accounts.users import DEMO_PASSWORD

        self.client = app.test_client()
        page = self.client.get("/login").get_data(as_text=True)
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        response = self.client.post(
            "/login",
            data={"username": CLERK, "password": DEMO_PASSWORD, "csrf_token": self.csrf},
        )
        if response.status_code != 302:
            raise RuntimeError(f"login as {CLERK} failed: {response.status_code}")

    def act(self, task_id: int, verb: str) -> tuple[float, int]:
        started = time.perf_counter()
        response = self.client.post(
            f"/api/tasks/{task_id}/{verb}", json={}, headers={"X-CSRFToken": self.csrf}
        )
        return (time.perf_counter() - started) * 1000, response.status_code


def _claim_and_release(clerk: Clerk, task_id: int, result: Latencies) -> None:
    for verb in ("claim", "unclaim"):
        ms, status = clerk.act(task_id, verb)
        if status == 200:
            result.samples_ms.append(ms)
        elif status == 409:
            result.refused += 1
        else:
            raise RuntimeError(f"{verb} of task {task_id} answered {status}")


# --- the worker, in a process of its own

WORKER = """
import sys, time
from webapp import create_app
from webapp.worker import sweep
app = create_app({"DATABASE_URL": sys.argv[1], "SECRET_KEY": "w" * 40,
                  "INSTANCE_DIR": sys.argv[2], "PROCESSES_DIR": sys.argv[3]})
with app.app_context():
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    handled = sweep()
    print("done", handled, time.perf_counter() - started, flush=True)
"""


def _start_worker(url: str, instance_dir: str) -> subprocess.Popen:
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, url, instance_dir, str(PROCESSES_DIR)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    if worker.stdout.readline().strip() != "ready":
        worker.kill()
        raise RuntimeError("the worker process did not start")
    return worker


def run(url: str, label: str) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="yjs-bench-sweep-") as tmp:
        app = _make_app(url, Path(tmp))
        engine = app.extensions["yjs_db"].engine
        try:
            case_ids = _accepted_cases(app, DUE_CASES)
            tasks = _registration_tasks(engine, case_ids)
            clerk = Clerk(app)
            cutoff = _make_due(engine, case_ids)

            reference = Latencies([], 0)
            for k in range(REFERENCE_ACTIONS // 2):
                case_id = case_ids[k * len(case_ids) // (REFERENCE_ACTIONS // 2)]
                _claim_and_release(clerk, tasks[case_id], reference)

            worker = _start_worker(url, tmp)
            during = Latencies([], 0)
            worker.stdin.write("go\n")
            worker.stdin.flush()
            passed: set[int] = set()
            while worker.poll() is None:
                head = _head_of_queue(engine, case_ids, cutoff, passed)
                if head is None:
                    if not passed:
                        break  # nothing due any more: the sweep is finishing
                    passed.clear()
                    continue
                passed.add(head)
                _claim_and_release(clerk, tasks[head], during)
            out, _ = worker.communicate(timeout=600)
            done = out.split()
            if worker.returncode != 0 or not done or done[0] != "done":
                raise RuntimeError(f"the sweep failed (exit {worker.returncode})")
            handled, seconds = int(done[1]), float(done[2])
            return [
                f"{label}: worker 一轮 sweep 处理 handled {handled} 到期办件 due cases "
                f"in {seconds:.1f} s ({1000 * seconds / max(1, handled):.0f} ms/件 per case)",
                reference.line("认领/取消认领 claim/unclaim, 无扫描 no sweep (reference)"),
                during.line("认领/取消认领 claim/unclaim, 扫描中 during the sweep      "),
            ]
        finally:
            engine.dispose()


def report(pg_url: str | None) -> str:
    lines = [
        "扫描中的窗口操作 / a clerk's action while the worker sweeps "
        f"{DUE_CASES} due cases (head of the queue)"
    ]
    with tempfile.TemporaryDirectory() as tmp:
        lines += run(f"sqlite:///{Path(tmp) / 'sweep.sqlite3'}", "SQLite")
    if pg_url:
        try:
            prepare_postgres(pg_url)
        except PostgresUnavailable as exc:
            lines.append(f"PostgreSQL 已跳过 skipped: {exc}")
        else:
            lines += run(postgres_url(pg_url).render_as_string(hide_password=False), "PostgreSQL")
    return "\n".join(lines)


if __name__ == "__main__":
    from .product_path import DEFAULT_PG_URL

    print(report(os.environ.get("YJS_BENCH_DATABASE_URL") or DEFAULT_PG_URL))
