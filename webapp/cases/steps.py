"""One engine step of a locked case: restore its workflow, act, store, bring the rest along.

    case, task = lock_for_action(session, actor, task_id)   # cases/locking.py
    with engine_step(session, case, at) as step:
        step.complete(task, decision_data(task, outcome))

On leaving the block every timer that fired during the step is audited (`timer.fired`,
whoever's step it was: a clerk's action polls due timers as the worker's sweep does), the
state is stored, the task projection synced, deadlines and cards moved and the worker's
next look scheduled (`after_engine_step`). An exception inside the block stores nothing;
the request rolls back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from time import perf_counter
from typing import Any

from engine import cases as engine_cases
from engine.problems import CaseStepError, TaskNotReady
from engine.timers import BEFORE_START, FiredTimer, fired_since, next_timer_at, timer_snapshot
from webapp.audit import trail
from webapp.cases.engine_state import restore_workflow, store_workflow
from webapp.cases.locking import TAKEN
from webapp.cases.models import Case, CaseTask, TaskKind, TaskStatus
from webapp.cases.tasks import reschedule_open_tasks, sync_tasks
from webapp.deadlines import limits, wake
from webapp.domain_errors import Conflict
from webapp.monitoring.metrics import ENGINE_STEP_SECONDS


class EngineStep:
    """The case's workflow, restored on first use, with the engine's verbs.

    `started` is a workflow `start_case` has just made: what it did while starting (a timer
    already due fires at once) belongs to this step.
    """

    def __init__(self, case: Case, started: Any = None):
        self.case = case
        self._workflow = started
        self._timers_before = BEFORE_START

    @property
    def workflow(self) -> Any:
        if self._workflow is None:
            self._workflow = restore_workflow(self.case)
            self._timers_before = timer_snapshot(self._workflow)
        return self._workflow

    @property
    def fired_timers(self) -> list[FiredTimer]:
        """The timers that fired since the case was loaded (or started) for this step."""
        if self._workflow is None:
            return []  # never loaded: the engine did not run
        return fired_since(self._workflow, self._timers_before)

    def complete(self, task: CaseTask, data: dict) -> None:
        """Complete the task's BPMN element with `data` and run the engine on."""
        try:
            engine_cases.complete_task(self.workflow, task.engine_task_id, data)
        except TaskNotReady:
            raise Conflict(TAKEN) from None
        except CaseStepError as exc:
            raise Conflict(str(exc)) from None

    def cancel(self) -> None:
        """End the case's process where it stands (不予受理, 终止, 撤回)."""
        engine_cases.cancel_case(self.workflow)

    def refresh_timers(self) -> None:
        engine_cases.refresh_timers(self.workflow)

    @property
    def is_complete(self) -> bool:
        return engine_cases.is_complete(self.workflow)


@contextmanager
def engine_step(
    session, case: Case, at: dt.datetime, *, started: Any = None
) -> Iterator[EngineStep]:
    timed_from = perf_counter()  # /metrics: how long a step that succeeds takes
    step = EngineStep(case, started)
    # The caller's changes inside the block (status, marks, audit events) and the step's
    # own reach the database together: no query in between flushes the case row early.
    with session.no_autoflush:
        yield step
    after_engine_step(session, step, at)
    ENGINE_STEP_SECONDS.observe(perf_counter() - timed_from)


def after_engine_step(session, step: EngineStep, at: dt.datetime) -> None:
    """Audit the timers that fired, store the workflow, bring projection and deadlines along.

    Without autoflush: every change to the case row made here (state, cards, next checks)
    goes to the database in one UPDATE with the request's next flush, not one per query
    that happens to run in between (the row is rewritten whole each time)."""
    case, workflow = step.case, step.workflow
    with session.no_autoflush:
        for timer in step.fired_timers:
            # The system's act, not the clerk's whose step happened to poll it: no actor.
            trail.record(
                session,
                None,
                "timer.fired",
                case=case,
                after={
                    "element": timer.bpmn_id,
                    "name": timer.name,
                    "due_at": timer.due_at.isoformat() if timer.due_at else None,
                    "at": at.isoformat(),
                },
            )
        store_workflow(case, workflow)
        sync_tasks(session, case, engine_cases.open_tasks(workflow), at)
        _hold_delivery_for_gaps(session, case, at)
        limits.evaluate_cards(session, case, at)
        case.next_timer_at = next_timer_at(workflow) if case.status_is_open else None
        case.next_check_at = limits.next_check(case, at, case.next_timer_at)
        wake.announce_if_soon(session, at, case.next_check_at)


def _hold_delivery_for_gaps(session, case: Case, at: dt.datetime) -> None:
    """A result waiting for a 容缺 material: its clock (and the case's) stops until it arrives."""
    waiting = any(t.kind == TaskKind.DELIVERY and t.status == TaskStatus.OPEN for t in case.tasks)
    if not waiting:
        return  # most steps: the gaps need not even be read
    missing = any(g.received_at is None for g in case.gaps)
    if missing and not limits.is_paused(case):
        limits.pause(session, case, "gap", at)
        reschedule_open_tasks(case)
