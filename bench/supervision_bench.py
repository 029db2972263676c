"""效能监督 at real volume: the dashboard and the monthly report over 1,000,000 cases.

    .venv/bin/python -m bench.supervision_bench [--cases N] [--repeat N]
    make bench-supervision            (or YJS_BENCH_SUPERVISION=1 make bench)

PostgreSQL only (the production database; the rows are made by `generate_series` in a few
statements): YJS_SUPERVISION_BENCH_DATABASE_URL, else YJS_BENCH_DATABASE_URL, else local
`yjs_bench` (schema `public` dropped and recreated). A year of cases — refused, in 补正, in
progress (some yellow, some red), completed — each with two item tasks, 补正 instruments and
容缺 gaps, on the real schema and indexes. Printed beside a plain `SELECT count(*) FROM cases`
measured in the same run: the dashboard for this month, for a whole year, for one
department, and the time to write one month's report (XLSX + PDF). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select, text

DEFAULT_CASES = 1_000_000

# One statement per table; :n cases, ids from :base + 1. `g` is the case's ordinal.
CASES_SQL = """
INSERT INTO cases (id, case_no, theme_version_id, applicant_id, status, answers,
                   selected_items, state, row_version, submitted_at, accepted_at,
                   completed_at, promised_at, card, pauses)
SELECT :base + g,
       'YJS-SUP-' || lpad(g::text, 9, '0'),
       (:versions)[1 + g % array_length(:versions, 1)],
       :applicant,
       CASE WHEN g % 100 < 4 THEN 'refused' WHEN g % 100 < 7 THEN 'correction'
            WHEN g % 100 < 15 OR g % 365 < 5 THEN 'in_progress' ELSE 'completed' END,
       '{}'::jsonb, '[]'::jsonb, '{}'::jsonb, 1,
       s.at,
       CASE WHEN g % 100 >= 7 THEN s.at + interval '2 hours' END,
       CASE WHEN g % 100 >= 15 AND g % 365 >= 5
            THEN s.at + interval '2 hours' + (1 + g % 6) * interval '1 day' END,
       CASE WHEN g % 100 >= 7 THEN s.at + interval '4 days' END,
       CASE WHEN (g % 100 BETWEEN 7 AND 14 OR (g % 365 < 5 AND g % 100 >= 7))
            THEN (ARRAY['none', 'yellow', 'red'])[1 + g % 3] ELSE 'none' END,
       '[]'::jsonb
FROM generate_series(1, :n) AS g,
     LATERAL (SELECT :now - (g % 365) * interval '1 day'
                          - (g * 37 % 28800) * interval '1 second' AS at) AS s
"""

# Two item tasks per accepted case: 市场监管局's, then one of 公安局/税务局/人社局.
TASKS_SQL = """
INSERT INTO case_tasks (case_id, kind, engine_task_id, bpmn_id, name, department_id,
                        item_code, status, created_at, completed_at, allowed_days, due_at,
                        yellow_at, card, calendar_days, legal_days, legal_due_at,
                        legal_overdue_at, used_days)
SELECT c.id, 'item', 'sup-' || c.id || '-' || k, t.bpmn, t.name, t.department, t.item,
       CASE WHEN c.status = 'completed' THEN 'completed' ELSE 'open' END,
       c.accepted_at,
       CASE WHEN c.status = 'completed' THEN c.completed_at END,
       1, c.accepted_at + interval '1 day', c.accepted_at + interval '19 hours',
       CASE WHEN c.status = 'completed' THEN 'none' ELSE c.card END,
       false, 3, c.accepted_at + interval '3 days',
       CASE WHEN c.status <> 'completed' AND c.card = 'red'
            THEN c.accepted_at + interval '3 days' END,
       CASE WHEN c.status = 'completed'
            THEN round(extract(epoch FROM c.completed_at - c.accepted_at) / 86400.0, 2) END
FROM cases c
CROSS JOIN generate_series(1, 2) AS k
CROSS JOIN LATERAL (
    SELECT CASE WHEN k = 1 THEN 'Task_Registration' ELSE 'Task_Other' END AS bpmn,
           CASE WHEN k = 1 THEN '企业设立登记'
                ELSE (ARRAY['公章刻制备案', '涉税事项办理及首次申领发票',
                            '单位参保登记'])[1 + c.id % 3]
           END AS name,
           CASE WHEN k = 1 THEN (:departments)[1]
                ELSE (:departments)[2 + c.id % 3] END AS department,
           CASE WHEN k = 1 THEN 'SAMR-QYSLDJ'
                ELSE (ARRAY['PSB-GZKZBA', 'TAX-SSSXBL', 'HRSS-DWCBDJ'])[1 + c.id % 3] END AS item
) AS t
WHERE c.case_no LIKE 'YJS-SUP-%' AND c.accepted_at IS NOT NULL
"""

INSTRUMENTS_SQL = """
INSERT INTO instruments (case_id, kind, number, title, issued_at, facts, html, digest)
SELECT c.id, 'correction', c.case_no || '-BZ01', '一次性补正告知书', c.submitted_at,
       '{}'::jsonb, '', ''
FROM cases c
WHERE c.case_no LIKE 'YJS-SUP-%' AND (c.status = 'correction' OR c.id % 20 = 0)
"""

GAPS_SQL = """
INSERT INTO case_material_gaps (case_id, material_code, material_name, promised_date,
                           recorded_by_id, recorded_at)
SELECT c.id, 'CL-SQWTS', '授权委托书', (c.accepted_at + interval '3 days')::date,
       :clerk, c.accepted_at
FROM cases c
WHERE c.case_no LIKE 'YJS-SUP-%' AND c.accepted_at IS NOT NULL AND c.id % 25 = 0
"""


def _populate(app, n: int, now: dt.datetime) -> float:
    from webapp.db import db_session
    from webapp.models import Case, Department, Theme, ThemeVersion, User

    started = time.perf_counter()
    with app.app_context():
        session = db_session()
        versions = list(
            session.scalars(
                select(ThemeVersion.id)
                .join(Theme, Theme.id == ThemeVersion.theme_id)
                .where(Theme.code == "enterprise-opening")
            )
        )
        applicant = session.scalar(select(User.id).where(User.username == "zhangsan"))
        clerk = session.scalar(select(User.id).where(User.username == "window"))
        codes = ("SAMR", "PSB", "TAX", "HRSS")
        by_code = {code: i for code, i in session.execute(select(Department.code, Department.id))}
        base = session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) or 0
        params = {
            "base": base,
            "n": n,
            "versions": versions,
            "applicant": applicant,
            "now": now,
            "departments": [by_code[c] for c in codes],
            "clerk": clerk,
        }
        for label, sql in (
            ("cases", CASES_SQL),
            ("case_tasks", TASKS_SQL),
            ("instruments", INSTRUMENTS_SQL),
            ("case_material_gaps", GAPS_SQL),
        ):
            step = time.perf_counter()
            session.execute(text(sql), params)
            session.commit()
            print(f"  … {label} {time.perf_counter() - step:.1f} s", file=sys.stderr, flush=True)
        session.execute(text("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))"))
        session.commit()
    engine = app.extensions["yjs_db"].engine
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def _median_ms(action, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def run(url: str, n: int, repeat: int) -> list[str]:
    from webapp.db import db_session
    from webapp.models import Department
    from webapp.supervision import figures, report

    from .product_path import _make_app

    with tempfile.TemporaryDirectory() as tmp:
        app = _make_app(url, Path(tmp))
        engine = app.extensions["yjs_db"].engine
        try:
            now = dt.datetime.now(dt.UTC)
            loaded = _populate(app, n, now)
            with app.app_context():
                session = db_session()
                cases = session.scalar(text("SELECT count(*) FROM cases"))
                tasks = session.scalar(text("SELECT count(*) FROM case_tasks"))
                lines = [
                    f"载入 loaded {cases:,} 办件 cases, {tasks:,} 任务 tasks "
                    f"(generate_series, + VACUUM ANALYZE) in {loaded:.0f} s"
                ]
                today = now.astimezone(figures.CHINA_TZ).date()
                month = figures.Filters(today.replace(day=1), today)
                year = figures.Filters(today - dt.timedelta(days=364), today)
                samr = session.scalar(select(Department.id).where(Department.code == "SAMR"))
                one_department = figures.Filters(today.replace(day=1), today, department_id=samr)

                def timed(action):
                    def once():
                        action()
                        session.rollback()

                    once()  # warm: plans and caches, as a running server has them
                    return _median_ms(once, repeat)

                count_ms = timed(lambda: session.scalar(text("SELECT count(*) FROM cases")))
                rows = [("SELECT count(*) FROM cases（参照 reference）", count_ms)]
                for label, filters in (
                    ("看板 dashboard, 本月 this month", month),
                    ("看板 dashboard, 近一年 a year (按月 monthly)", year),
                    ("看板 dashboard, 本月 + 部门 department", one_department),
                ):
                    rows.append((label, timed(lambda f=filters: figures.dashboard(session, f))))
                last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
                chosen = report.Month(last_month.year, last_month.month)

                def write_report():
                    made = report.monthly_report(session, chosen)
                    report.write_xlsx(made)
                    report.write_pdf(made)

                rows.append(
                    (f"月报 monthly report {chosen.code} (XLSX + PDF)", timed(write_report))
                )
            width = max(len(label) for label, _ in rows) + 2
            lines.append(f"中位数 median of {repeat}, after one warm-up; 倍数 = ÷ count(*)")
            for label, ms in rows:
                lines.append(f"  {label:<{width}} {ms:9.1f} ms   {ms / count_ms:7.1f}×")
            return lines
        finally:
            engine.dispose()


def report_lines(n: int = DEFAULT_CASES, repeat: int = 5) -> str:
    from .product_path import DEFAULT_PG_URL, PostgresUnavailable, postgres_url, prepare_postgres

    url = (
        os.environ.get("YJS_SUPERVISION_BENCH_DATABASE_URL")
        or os.environ.get("YJS_BENCH_DATABASE_URL")
        or DEFAULT_PG_URL
    )
    lines = [f"效能监督 supervision: 看板与月报 / dashboard and monthly report, {n:,} cases"]
    try:
        prepare_postgres(url)
    except PostgresUnavailable as exc:
        lines.append(f"PostgreSQL 已跳过 skipped: {exc}")
        return "\n".join(lines)
    lines += run(postgres_url(url).render_as_string(hide_password=False), n, repeat)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.supervision_bench")
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES, metavar="N")
    parser.add_argument("--repeat", type=int, default=5, metavar="N")
    args = parser.parse_args(argv)
    print(report_lines(args.cases, args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
