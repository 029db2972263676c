"""How soon overdue cases turn red: one `yjs worker` with default settings, against the same
change made as one bulk SQL statement (the reference, same run, same database).

    .venv/bin/python -m bench.worker_wake [--due 1000,10000]

Setup by bulk SQL (not through the product): 100,000 waiting cases, each with an open task
due in days, and `--due` cases whose task (already yellow) falls due a few seconds after
the worker has started and gone to sleep. The worker is started once per size, as
deployed (`python -m webapp.cli worker`, its default `--interval`), and must wake by
itself at the deadline. Measured: from the deadline to the moment every one of those tasks
reads red in the database (polled every 20 ms), and a clerk's 认领/取消认领 over HTTP on
the same database during that sweep against the same action with no worker running.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select, text, update

from .clerk_during_sweep import Clerk, Latencies, _claim_and_release
from .engine_throughput import REPO

WAITING = 100_000
DUE_SIZES = (1_000, 10_000)
LEAD = dt.timedelta(seconds=15)  # the worker starts (slowly on a busy machine) and sleeps
BATCH = 5_000
REFERENCE_ACTIONS = 30


def _populate(app, now: dt.datetime, due: int, due_at: dt.datetime) -> list[int]:
    """WAITING + due cases with one open task each; returns the due tasks' ids."""
    from webapp.audit.chain import GENESIS
    from webapp.db import db_session
    from webapp.models import AuditChainHead, Case, CaseTask, Department, Theme, ThemeVersion, User

    with app.app_context():
        session = db_session()
        version = session.scalars(
            select(ThemeVersion).join(Theme).where(Theme.code == "enterprise-opening")
        ).first()
        applicant = session.scalars(select(User).where(User.username == "zhangsan")).one()
        samr = session.scalars(select(Department).where(Department.code == "SAMR")).one()
        first = (session.scalar(select(func.max(Case.id))) or 0) + 1
        total = WAITING + due
        for start in range(0, total, BATCH):
            cases, tasks = [], []
            for i in range(start, min(start + BATCH, total)):
                case_id = first + i
                is_due = i >= WAITING
                created = now - dt.timedelta(hours=20)
                task_due = due_at if is_due else now + dt.timedelta(days=2 + i % 30)
                cases.append(
                    {
                        "id": case_id, "case_no": f"YJS-WAKE-{case_id:08d}",
                        "theme_version_id": version.id, "applicant_id": applicant.id,
                        "status": "in_progress", "answers": {}, "selected_items": ["SAMR-QYSLDJ"],
                        "state": {}, "row_version": 1, "submitted_at": created,
                        "accepted_at": created, "card": "none", "pauses": [],
                        "promised_at": now + dt.timedelta(days=20),
                        # As limits.next_check says: red means strictly past due.
                        "next_check_at": task_due + dt.timedelta(microseconds=1),
                    }
                )  # fmt: skip
                tasks.append(
                    {
                        "case_id": case_id, "engine_task_id": f"wake-{case_id}",
                        "bpmn_id": "Task_Registration", "kind": "item", "name": "企业设立登记",
                        "department_id": samr.id, "item_code": "SAMR-QYSLDJ", "status": "open",
                        "created_at": created, "allowed_days": Decimal(1), "due_at": task_due,
                        # 自然日: the due instant is the start + 24 h exactly, so the deadline
                        # set below agrees with what the case's own check recomputes (else
                        # that check turns the red cards back, and the figure measures that).
                        "calendar_days": is_due,
                        "yellow_at": created + dt.timedelta(hours=1)
                        if is_due
                        else task_due - dt.timedelta(days=1),
                        "card": "yellow" if is_due else "none",
                    }
                )  # fmt: skip
            session.execute(insert(Case.__table__), cases)
            session.execute(insert(CaseTask.__table__), tasks)
            # Every case has its audit chain from its submission on.
            session.execute(
                insert(AuditChainHead.__table__),
                [
                    {"chain": f"case:{c['id']}", "seq": 0, "hash": GENESIS, "event_id": 0}
                    for c in cases
                ],
            )
            session.commit()
        due_ids = session.scalars(
            select(CaseTask.id).where(CaseTask.due_at == due_at).order_by(CaseTask.id)
        ).all()
        return list(due_ids)


def _start_worker(url: str, instance_dir: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "YJS_DATABASE_URL": url,
        "YJS_INSTANCE_DIR": instance_dir,
        "YJS_SECRET_KEY": "w" * 40,
        "YJS_PROCESSES_DIR": str(REPO / "processes"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "webapp.cli", "worker"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        # A file, not a pipe: a worker logging a long sweep must never block on it.
        stderr=open(Path(instance_dir) / "worker.log", "w"),  # noqa: SIM115
        text=True,
    )


def _red(engine, ids: list[int]) -> int:
    from webapp.models import CaseTask

    with engine.connect() as conn:
        return conn.scalar(select(func.count()).where(CaseTask.id.in_(ids), CaseTask.card == "red"))


def _bulk_reference(engine, ids: list[int]) -> float:
    """The same change as one statement: every due task red, committed (seconds)."""
    from webapp.models import CaseTask

    with engine.begin() as conn:
        conn.execute(update(CaseTask).where(CaseTask.id.in_(ids)).values(card="yellow"))
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(update(CaseTask).where(CaseTask.id.in_(ids)).values(card="red"))
    return time.perf_counter() - started


def run(url: str, label: str, due: int) -> list[str]:
    from .product_path import _make_app

    with tempfile.TemporaryDirectory(prefix="yjs-bench-wake-") as tmp:
        app = _make_app(url, Path(tmp))
        engine = app.extensions["yjs_db"].engine
        worker = None
        try:
            loading = time.perf_counter()
            now = dt.datetime.now(dt.UTC)
            # Loading takes a while: the deadline is set after it, from the clock then.
            ids = _populate(app, now, due, now + dt.timedelta(days=365))
            loaded = time.perf_counter() - loading
            clerk = Clerk(app)
            reference = Latencies([], 0)
            for k in range(REFERENCE_ACTIONS // 2):
                _claim_and_release(clerk, ids[k * len(ids) // (REFERENCE_ACTIONS // 2)], reference)
            deadline = dt.datetime.now(dt.UTC) + LEAD
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "UPDATE case_tasks SET due_at = :due, created_at = :start WHERE id IN "
                        f"({','.join(map(str, ids))})"
                    ),
                    {"due": deadline, "start": deadline - dt.timedelta(days=1)},
                )
                conn.execute(
                    text(
                        "UPDATE cases SET next_check_at = :check WHERE id IN (SELECT case_id "
                        f"FROM case_tasks WHERE id IN ({','.join(map(str, ids))}))"
                    ),
                    {"check": deadline + dt.timedelta(microseconds=1)},
                )
            worker = _start_worker(url, tmp)
            during = Latencies([], 0)
            until = time.monotonic() + LEAD.total_seconds() + 120
            all_red_at = None
            k = 0
            while time.monotonic() < until and worker.poll() is None:
                red = _red(engine, ids)
                if red == len(ids):
                    all_red_at = dt.datetime.now(dt.UTC)
                    break
                if dt.datetime.now(dt.UTC) >= deadline:
                    # The clerk works on while the worker sweeps (a task it has not reached).
                    _claim_and_release(clerk, ids[-1 - (k % 50)], during)
                    k += 1
                else:
                    time.sleep(0.02)
            if worker.poll() is not None:
                log = (Path(tmp) / "worker.log").read_text(errors="replace")
                raise RuntimeError(f"the worker stopped: {log[-500:]}")
            bulk = _bulk_reference(engine, ids)
            if all_red_at is None:
                late = f"未全部变红 not all red after 120 s ({_red(engine, ids)}/{len(ids)})"
                ratio = ""
            else:
                seconds = (all_red_at - deadline).total_seconds()
                late = f"全部变红 all red {seconds:.2f} s after the deadline"
                ratio = f" = {seconds / bulk:.0f}× the bulk statement"
            target = "5 s" if due <= 1_000 else "15 s"
            return [
                f"{label}: {WAITING:,} 等待 waiting + {due:,} 到期 due (载入 loaded in "
                f"{loaded:.0f} s); 一个 worker, 默认设置 default settings",
                f"  {late} (目标 target ≤ {target}); 参照 reference: 同一变更一条 SQL "
                f"the same change as one UPDATE + COMMIT {bulk:.2f} s{ratio}",
                reference.line("认领/取消认领 claim/unclaim, 无 worker (reference)"),
                during.line("认领/取消认领 claim/unclaim, 扫描中 during   "),
            ]
        finally:
            if os.environ.get("YJS_BENCH_WORKER_LOG") and worker is not None:
                print((Path(tmp) / "worker.log").read_text(errors="replace")[-3000:])
            if worker is not None and worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
            engine.dispose()


def report(pg_url: str | None, sizes=DUE_SIZES) -> str:
    from .product_path import PostgresUnavailable, postgres_url, prepare_postgres

    lines = [
        "到期变红 / overdue cases turn red: worker 按最早到期时刻唤醒 wakes at the earliest due"
    ]
    if not pg_url:
        return "\n".join([*lines, "  PostgreSQL 未配置 not configured: skipped"])
    for due in sizes:
        try:
            prepare_postgres(pg_url)
        except PostgresUnavailable as exc:
            lines.append(f"PostgreSQL 已跳过 skipped: {exc}")
            break
        url = postgres_url(pg_url).render_as_string(hide_password=False)
        lines += run(url, "PostgreSQL", due)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from .product_path import DEFAULT_PG_URL

    parser = argparse.ArgumentParser(prog="python -m bench.worker_wake")
    parser.add_argument("--due", default=",".join(map(str, DUE_SIZES)))
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.due.split(",")]
    print(report(os.environ.get("YJS_BENCH_DATABASE_URL") or DEFAULT_PG_URL, sizes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
