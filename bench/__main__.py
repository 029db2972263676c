"""`make bench`: bare SpiffWorkflow vs. the product path on SQLite and PostgreSQL.

    .venv/bin/python -m bench [--cases N] [--bare-cases N] [--merge-repeat N]

PostgreSQL comes from YJS_BENCH_DATABASE_URL (default: local `yjs_bench`, created if
missing, schema `public` dropped and recreated); if it cannot be reached, that row is
skipped with the reason. Then the one-form merge bench (bench/merge_bench.py), a clerk's
action while a worker sweeps 300 due cases against the same action with no sweep
(bench/clerk_during_sweep.py) and the workbench bench (bench/workbench_bench.py: inbox with
200,000 open tasks, worker sweep). With YJS_BENCH_SUPERVISION=1, last, the 效能监督 bench
(bench/supervision_bench.py: dashboard and monthly report over 1,000,000 cases; several
minutes, so opt-in; `make bench-supervision` runs it alone). Also overdue tasks turning red
under one worker (bench/worker_wake.py); the inbox at 1,000,000 open tasks with
`make bench-large`. `make loadtest` is apart (bench/loadtest/).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import unicodedata
from importlib.metadata import version
from pathlib import Path

from sqlalchemy.engine import make_url

from .clerk_during_sweep import DUE_CASES
from .clerk_during_sweep import report as clerk_during_sweep_report
from .engine_state_bench import report as engine_state_report
from .engine_throughput import BPMN, REPO, bare_engine, floor_path
from .merge_bench import report as merge_report
from .product_path import (
    DEFAULT_PG_URL,
    PostgresUnavailable,
    ProductResult,
    postgres_path,
    postgres_url,
    sqlite_path,
)
from .statements import report as statements_report
from .supervision_bench import report_lines as supervision_report
from .workbench_bench import INBOX_TASKS
from .workbench_bench import report as workbench_report
from .worker_wake import report as wake_report

# The floor's cases: bare engine + one UPDATE + COMMIT per step (enough for a steady rate).
FLOOR_CASES = 100

COLUMNS = (
    ("路径 path", "<"),
    ("案件 cases", ">"),
    ("件/秒 cases/s", ">"),
    ("毫秒/件 ms/case", ">"),
    ("对裸引擎 vs bare", ">"),
    ("对下限 vs floor", ">"),
    ("平均状态 state B/case", ">"),
)


def width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, cols: int, align: str) -> str:
    fill = " " * max(0, cols - width(text))
    return text + fill if align == "<" else fill + text


def table(rows: list[tuple[str, ...]]) -> str:
    header = tuple(name for name, _ in COLUMNS)
    cols = [max(width(r[i]) for r in [header, *rows]) for i in range(len(COLUMNS))]
    lines = []
    for k, row in enumerate([header, *rows]):
        lines.append("  ".join(pad(cell, cols[i], COLUMNS[i][1]) for i, cell in enumerate(row)))
        if k == 0:
            lines.append("  ".join("-" * c for c in cols))
    return "\n".join(lines)


def floor_row(label: str, n: int, floor: float, bare: float) -> tuple[str, ...]:
    return (
        label,
        str(n),
        f"{floor:.1f}",
        f"{1000 / floor:.1f}",
        f"{floor / bare:.3f}×",
        "1.000×",
        "—",
    )


def product_row(
    label: str, result: ProductResult, bare: float, floor: float | None
) -> tuple[str, ...]:
    cases = str(result.cases)
    if result.completed != result.cases:
        cases += f" ({result.completed} 办结 completed)"
    state = f"{result.avg_state_bytes:,.0f}" if result.avg_state_bytes is not None else "—"
    return (
        label,
        cases,
        f"{result.cases_per_s:.1f}",
        f"{1000 / result.cases_per_s:.1f}",
        f"{result.cases_per_s / bare:.3f}× (1/{bare / result.cases_per_s:.0f})",
        f"{result.cases_per_s / floor:.2f}× (目标 ≥ 0.5)" if floor else "—",
        state,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--cases", type=int, default=40, metavar="N", help="product cases per database (40)"
    )
    parser.add_argument(
        "--bare-cases", type=int, default=300, metavar="N", help="bare engine cases (300)"
    )
    parser.add_argument(
        "--merge-repeat", type=int, default=30, metavar="N", help="merge bench repetitions (30)"
    )
    parser.add_argument(
        "--no-workbench",
        action="store_true",
        help="skip the inbox (200,000 tasks) and worker sweep (100,000 cases) bench",
    )
    parser.add_argument(
        "--no-wake",
        action="store_true",
        help="skip the worker wake bench (1,000 and 10,000 due among 100,000 waiting)",
    )
    args = parser.parse_args(argv)
    if args.cases < 1 or args.bare_cases < 1 or args.merge_repeat < 1:
        parser.error("case counts and repetitions must be at least 1")

    pg_url = os.environ.get("YJS_BENCH_DATABASE_URL") or DEFAULT_PG_URL
    print("YJS 吞吐基准 / throughput benchmark — 企业开办 enterprise-opening")
    print(f"流程 BPMN:      {BPMN.relative_to(REPO)}")
    print(
        f"机器 machine:   {os.cpu_count()} CPU, {platform.machine()}, "
        f"Python {platform.python_version()}, SpiffWorkflow {version('SpiffWorkflow')}, "
        f"SQLAlchemy {version('SQLAlchemy')}"
    )
    print(
        "产品路径 product path: 每个请求一个 app context + session + commit "
        "(submit_application / act_on_task); 1 warm-up case per database, untimed"
    )
    print(flush=True)

    print(f"… 裸引擎 bare engine, {args.bare_cases} cases", file=sys.stderr, flush=True)
    bare = bare_engine(args.bare_cases)
    rows = [
        (
            "裸引擎（内存） bare SpiffWorkflow, in memory",
            str(args.bare_cases),
            f"{bare:.1f}",
            f"{1000 / bare:.2f}",
            "1.000×",
            "—",
            "—",
        )
    ]

    print(f"… SQLite, floor + {args.cases} cases", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="yjs-bench-floor-") as tmp:
        floor_sqlite = floor_path(f"sqlite:///{Path(tmp) / 'floor.sqlite3'}", FLOOR_CASES)
    rows.append(
        floor_row("下限 floor: 裸引擎+每步一次写入, SQLite", FLOOR_CASES, floor_sqlite, bare)
    )
    sqlite = sqlite_path(args.cases)
    rows.append(product_row("产品路径 product path, SQLite", sqlite, bare, floor_sqlite))

    notes = []
    shown_url = make_url(pg_url).render_as_string(hide_password=True)
    print(f"… PostgreSQL {shown_url}, {args.cases} cases", file=sys.stderr, flush=True)
    try:
        pg = postgres_path(pg_url, args.cases)
        floor_pg = floor_path(postgres_url(pg_url).render_as_string(False), FLOOR_CASES)
    except PostgresUnavailable as exc:
        notes.append(f"PostgreSQL 已跳过 skipped ({shown_url}): {exc}")
    else:
        rows.append(
            floor_row("下限 floor: 裸引擎+每步一次写入, PostgreSQL", FLOOR_CASES, floor_pg, bare)
        )
        rows.append(product_row("产品路径 product path, PostgreSQL", pg, bare, floor_pg))
        notes.append(f"PostgreSQL: {shown_url}")

    print(table(rows))
    print()
    steps = sqlite.steps / sqlite.cases
    print(
        f"每件请求数 requests per case (product): {steps:.1f} "
        "(1 次提交 submission + 受理/事项/出件 tasks; housing_fund alternates True/False)"
    )
    print("状态大小 state size: len(json.dumps(case.state, ensure_ascii=False).encode()), 办结案件")
    for note in notes:
        print(note)
    for label, result in (("SQLite", sqlite), ("PostgreSQL", locals().get("pg"))):
        if result is not None and result.footprint:
            print(f"每件办结案件字节 bytes per completed case, {label}: {result.footprint}")
    print()
    print("… 引擎状态 engine state: bytes, restore, store", file=sys.stderr, flush=True)
    print(engine_state_report())
    print()
    print("… 每请求语句 statements per request", file=sys.stderr, flush=True)
    print(statements_report())
    print()
    print(f"… 一表合并 merge bench, {args.merge_repeat} repetitions", file=sys.stderr, flush=True)
    print(merge_report(args.merge_repeat))
    print()
    print(
        f"… 扫描中的窗口操作 clerk during a sweep, {DUE_CASES} due cases",
        file=sys.stderr,
        flush=True,
    )
    print(clerk_during_sweep_report(pg_url))
    if not args.no_wake:
        print()
        print("… 到期变红 worker wake bench (100,000 waiting)", file=sys.stderr, flush=True)
        print(wake_report(pg_url))
    if not args.no_workbench:
        print()
        print(f"… 工作台 workbench bench ({INBOX_TASKS:,} tasks)", file=sys.stderr, flush=True)
        print(workbench_report(pg_url))
    if os.environ.get("YJS_BENCH_SUPERVISION") == "1":
        print()
        print("… 效能监督 supervision bench (1,000,000 cases)", file=sys.stderr, flush=True)
        print(supervision_report())
    else:
        print()
        print("效能监督 supervision bench (1,000,000 cases): YJS_BENCH_SUPERVISION=1 to run it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
