"""Statements, flushes and case-row UPDATEs per request on the product path.

    .venv/bin/python -m bench.statements [--cases N]

Counted with SQLAlchemy's own events (`before_cursor_execute`, `after_flush`) on a SQLite
database, request by request as bench/product_path.py runs them: one submission, then one
task action at a time. Behaviour, not timing: the figures are the same on every machine.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event

from .product_path import _make_app, _run_case, _user_for_department

CASE_UPDATE = re.compile(r"^\s*UPDATE cases\b", re.IGNORECASE)


@dataclass
class Tally:
    """What one request sent to the database."""

    statements: int = 0
    flushes: int = 0
    case_updates: int = 0
    kinds: Counter = field(default_factory=Counter)


class Counting:
    """Counts every statement and flush of the app's engine while `current` is set."""

    def __init__(self, engine):
        self.current: Tally | None = None
        event.listen(engine, "before_cursor_execute", self._statement)

    def _statement(self, _conn, _cursor, statement, _params, _context, _many):
        if self.current is None:
            return
        self.current.statements += 1
        self.current.kinds[" ".join(statement.split()[:3])[:60]] += 1
        if CASE_UPDATE.match(statement):
            self.current.case_updates += 1


def per_request(n: int) -> list[Tally]:
    """Tallies of every request of `n` cases (after one untimed warm-up case)."""
    from sqlalchemy.orm import Session

    with tempfile.TemporaryDirectory(prefix="yjs-bench-stmts-") as tmp:
        app = _make_app(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", Path(tmp))
        engine = app.extensions["yjs_db"].engine
        counting = Counting(engine)
        tallies: list[Tally] = []

        def flushed(_session, _ctx):
            if counting.current is not None:
                counting.current.flushes += 1

        event.listen(Session, "after_flush", flushed)
        try:
            users = _user_for_department()
            _run_case(app, True, users)

            def on_request():
                counting.current = Tally()
                tallies.append(counting.current)

            for i in range(n):
                _run_case(app, i % 2 == 0, users, on_request=on_request)
            counting.current = None
        finally:
            event.remove(Session, "after_flush", flushed)
            engine.dispose()
    return tallies


def report(n: int = 4) -> str:
    tallies = per_request(n)
    count = len(tallies)
    stmts = sum(t.statements for t in tallies) / count
    flushes = sum(t.flushes for t in tallies) / count
    updates = [t.case_updates for t in tallies]
    kinds = Counter()
    for t in tallies:
        kinds.update(t.kinds)
    lines = [
        f"每请求语句 statements per request ({count} requests, {n} cases, SQLite): "
        f"mean {stmts:.1f}, max {max(t.statements for t in tallies)}; "
        f"flushes mean {flushes:.1f}; 办件行 UPDATE cases per request: max {max(updates)}, "
        f"mean {sum(updates) / count:.2f}  (目标 target ≤ 1)",
        "  最多的语句 most frequent (per request):",
    ]
    for kind, total in kinds.most_common(int(__import__("os").environ.get("YJS_BENCH_KINDS", "8"))):
        lines.append(f"    {total / count:5.1f}  {kind}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.statements")
    parser.add_argument("--cases", type=int, default=4)
    args = parser.parse_args(argv)
    print(report(args.cases))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
