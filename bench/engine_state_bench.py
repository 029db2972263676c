"""A completed 企业开办 case's engine state: its size, and the time to restore and store it.

    .venv/bin/python -m bench.engine_state_bench [--rounds N]

The cases are made through the product on a temporary SQLite database (bench/product_path.py:
one submission, then each task as a clerk does it, housing_fund True and False). Then, on
the same workflows in the same run, each way of storing the state is timed:
- the product: `store_workflow` / `restore_workflow` (webapp/cases/engine_state.py);
- SpiffWorkflow 1.5 as the product wrote it before (spec apart, task data whole), when the
  serializer still offers it: states written so before stay readable;
- the reference: SpiffWorkflow's own `BpmnWorkflowSerializer` (CAMUNDA_CONFIG), plain
  `to_dict` / `from_dict` of the same workflow (its spec inside, task data as deltas).
Restore starts from the decoded dict a database driver hands back, store ends with the dict
the ORM encodes. Times are medians per operation over interleaved rounds; the machine is
shared, so read the ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from .product_path import _make_app, _run_case, _user_for_department

TARGET_BYTES = 8192
BATCH = 20  # operations per timed batch


def state_bytes(state: dict) -> int:
    """As bench/product_path.py measures a stored state: its UTF-8 JSON."""
    return len(json.dumps(state, ensure_ascii=False).encode())


@dataclass
class Way:
    """One way of storing a workflow: store gives the dict kept, restore takes it back."""

    label: str
    store: Callable[[Any], dict]
    restore: Callable[[dict], Any]
    copy_before_restore: bool = False  # restore consumes its input (SpiffWorkflow's does)


@dataclass
class Figures:
    label: str
    bytes: list[int]
    restore_ms: float
    store_ms: float


def _ms_per_op(fn: Callable[[Any], Any], inputs: list) -> float:
    start = time.perf_counter()
    for item in inputs:
        fn(item)
    return (time.perf_counter() - start) * 1000 / len(inputs)


def measure(ways: list[Way], workflows: list[Any], rounds: int) -> list[Figures]:
    """Each way's state bytes per workflow and median restore/store ms per operation."""
    stored = {w.label: [w.store(wf) for wf in workflows] for w in ways}
    # A restore must give back the workflow it was given (same tasks, states and data).
    for way in ways:
        for wf, state in zip(workflows, stored[way.label], strict=True):
            back = way.restore(deepcopy(state))
            if _fingerprint(back) != _fingerprint(wf):
                raise RuntimeError(f"{way.label}: restore does not give the workflow back")
    times = {w.label: {"restore": [], "store": []} for w in ways}
    for _ in range(rounds):
        for way in ways:  # interleaved: noise hits every way alike
            samples = times[way.label]
            for wf, state in zip(workflows, stored[way.label], strict=True):
                if way.copy_before_restore:
                    inputs = [deepcopy(state) for _ in range(BATCH)]
                else:
                    inputs = [state] * BATCH
                samples["restore"].append(_ms_per_op(way.restore, inputs))
                samples["store"].append(_ms_per_op(way.store, [wf] * BATCH))
    return [
        Figures(
            w.label,
            [state_bytes(s) for s in stored[w.label]],
            statistics.median(times[w.label]["restore"]),
            statistics.median(times[w.label]["store"]),
        )
        for w in ways
    ]


def _fingerprint(workflow) -> list:
    return sorted(
        (str(t.id), t.task_spec.name, t.state, json.dumps(t.data, sort_keys=True, default=str))
        for t in workflow.get_tasks()
    )


def _ways(case) -> list[Way]:
    from webapp.cases import engine_state

    ways = [
        Way(
            "产品 product (store_workflow / restore_workflow)",
            lambda wf: (engine_state.store_workflow(case, wf), case.state)[1],
            lambda state: (setattr(case, "state", state), engine_state.restore_workflow(case))[1],
        )
    ]
    serializer = engine_state.serializer
    spec, subs = engine_state.spec_for(case.theme_version)
    legacy = getattr(serializer, "spiff_state_to_dict", None)
    if legacy is not None:
        ways.append(
            Way(
                "改前 before: SpiffWorkflow 1.5, spec apart",
                legacy,
                lambda state: serializer.state_from_dict(state, spec, subs),
            )
        )
    reference = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    ways.append(
        Way(
            "参照 reference: BpmnWorkflowSerializer",
            reference.to_dict,
            reference.from_dict,
            copy_before_restore=True,
        )
    )
    return ways


def run(rounds: int = 15) -> list[Figures]:
    from sqlalchemy import select

    from webapp.cases import engine_state
    from webapp.db import db_session
    from webapp.models import Case

    with tempfile.TemporaryDirectory(prefix="yjs-bench-state-") as tmp:
        app = _make_app(f"sqlite:///{Path(tmp) / 'state.sqlite3'}", Path(tmp))
        engine = app.extensions["yjs_db"].engine
        try:
            users = _user_for_department()
            case_ids = [_run_case(app, housing_fund, users)[0] for housing_fund in (True, False)]
            with app.app_context():
                session = db_session()
                cases = session.scalars(select(Case).where(Case.id.in_(case_ids))).all()
                workflows = [engine_state.restore_workflow(c) for c in cases]
                figures = measure(_ways(cases[0]), workflows, rounds)
                session.rollback()  # the timed stores changed case.state in memory only
        finally:
            engine.dispose()
    return figures


def report(rounds: int = 15) -> str:
    figures = run(rounds)
    reference = figures[-1]
    lines = [
        "引擎状态 engine state — 办结的企业开办案件 completed 企业开办 cases "
        f"(housing_fund True, False; {rounds} rounds × {BATCH} ops, median per op)",
        f"{'方式 way':<48} {'字节 bytes (each → mean)':>30} {'恢复 restore ms':>16} "
        f"{'对参照':>8} {'保存 store ms':>14} {'对参照':>8}",
    ]
    for f in figures:
        mean = sum(f.bytes) / len(f.bytes)
        sizes = " / ".join(f"{b:,}" for b in f.bytes) + f" → {mean:,.0f}"
        lines.append(
            f"{f.label:<48} {sizes:>30} {f.restore_ms:>16.3f} "
            f"{f.restore_ms / reference.restore_ms:>7.2f}× {f.store_ms:>14.3f} "
            f"{f.store_ms / reference.store_ms:>7.2f}×"
        )
    product = figures[0]
    mean = sum(product.bytes) / len(product.bytes)
    verdict = "达标 met" if mean <= TARGET_BYTES else "未达标 NOT met"
    lines.append(
        f"产品状态 product state {mean:,.0f} B, 目标 target ≤ {TARGET_BYTES:,} B: {verdict}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_state_bench")
    parser.add_argument("--rounds", type=int, default=15, metavar="N", help="timed rounds (15)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("rounds must be at least 1")
    print(report(args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
