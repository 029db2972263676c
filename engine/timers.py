"""BPMN timer events of a case: when the next one is due, which fired during a step, and
what a timer value must be.

SpiffWorkflow fires timers only when the application polls (`refresh_timers`), comparing
against `datetime.now()`. So that a worker need not load every case to poll it, the web
app stores `next_timer_at(workflow)` in an indexed column and loads only due cases.

A waiting timer task keeps its due instant in the task's internal data under
`event_value` (SpiffWorkflow 3.2.0, bpmn/specs/event_definitions/timer.py), computed the
first time the timer is reached:
- timeDate: the evaluated expression as written, an ISO 8601 date-time (or week date);
- timeDuration: start + duration, as an ISO 8601 date-time in UTC;
- timeCycle: `{"cycles": left, "next": ISO date-time, "duration": seconds}`; when no
  cycle is left the task ends at the next poll.
A date-time without an offset is read by SpiffWorkflow in the *server's* local time zone,
which is why `timer_value_problem` asks analysts for an explicit offset.

Timer values are expressions in SpiffWorkflow 3.2.0: `"P2D"` with quotes is a duration, `P2D`
without them is a variable name that fails when the timer is reached. What the expression
evaluates to is checked again when a case reaches the timer (`check_timer_value`), before
SpiffWorkflow reads it.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .problems import ExpressionOverBudget, UnsafeExpression, excerpt

TIMER_KINDS = {"timeDate": "时间点", "timeDuration": "时长", "timeCycle": "周期"}
# The longest wait a timer may express. SpiffWorkflow 3.2.0 turns a duration into a
# timedelta by adding its months one at a time (`get_timedelta_from_start`): "P999999999M"
# would keep a worker busy for hours, and "P9999999999D" overflows timedelta. No deadline in
# a 一件事 comes near a century.
MAX_TIMER_YEARS = 100
_MAX_TIMER_DAYS = MAX_TIMER_YEARS * 366
_DAYS_PER_UNIT = {
    "years": 366,
    "months": 31,
    "weeks": 7,
    "days": 1,
    "hours": 1 / 24,
    "minutes": 1 / 1440,
    "seconds": 1 / 86400,
}


def next_timer_at(workflow: BpmnWorkflow) -> dt.datetime | None:
    """The earliest due instant (UTC) of the case's waiting timers, None if none is waiting.

    Covers intermediate catch timers and boundary timers of active tasks, in subprocesses
    too. Timers not reached yet (their task is FUTURE) are not counted: their clock has
    not started. A due instant may lie in the past: the timer fires at the next poll.
    """
    due = [
        instant
        for task in workflow.get_tasks(state=TaskState.WAITING)
        if (instant := _timer_due_at(task)) is not None
    ]
    return min(due, default=None)


def forget_unreached_events(workflow: BpmnWorkflow) -> None:
    """Stop the engine from polling catch events whose task has not been reached yet.

    SpiffWorkflow 3.2.0's `SimpleTaskConverter` (which serialization.py uses) registers
    every FUTURE catch event with the event manager on restore, where the default
    converter registers only WAITING ones. `refresh_timers` then starts those timers early:
    after a save and load, a timer placed after an open approval task fired and released
    the next task while the approval was still open. Call this before stepping a restored
    case; it only undoes that registration (a task registers itself again when reached).
    """
    manager = workflow.top_workflow.event_manager
    for task in list(manager.tasks.values()):
        if task.state != TaskState.WAITING:
            manager.remove_task(task)


@dataclass(frozen=True)
class FiredTimer:
    """A timer event that fired: its BPMN element, the element's name and when it was due."""

    bpmn_id: str
    name: str
    due_at: dt.datetime | None


@dataclass(frozen=True)
class TimerSnapshot:
    """How far a case's timers had got at one moment; compare a later state with `fired_since`.

    SpiffWorkflow 3.2.0 has no record of fired timers: a timer task that fires goes READY
    and is run (COMPLETED) in the same or the next engine pass, and a cycle timer stays
    WAITING and adds one child per output each time it fires. So a snapshot keeps the
    timer tasks that had fired already and, for cycle timers, how many children they had.
    """

    fired: frozenset[UUID] = frozenset()
    cycle_children: Mapping[UUID, int] = field(default_factory=dict)


# Before a case starts no timer has fired: what `start_case` fires counts as fired since.
BEFORE_START = TimerSnapshot()


def timer_snapshot(workflow: BpmnWorkflow) -> TimerSnapshot:
    """The case's timers as they stand now (take it before a step, when the case is loaded)."""
    fired, cycle_children = set(), {}
    for task, definition in _timer_tasks(workflow):
        if isinstance(definition, CycleTimerEventDefinition):
            cycle_children[task.id] = len(task.children)
        elif _has_fired(task):
            fired.add(task.id)
    return TimerSnapshot(frozenset(fired), cycle_children)


def fired_since(workflow: BpmnWorkflow, before: TimerSnapshot) -> list[FiredTimer]:
    """Every timer fire between `before` and now, one entry per fire, in order of due instant.

    Wherever the engine polled timers (a clerk's step runs `do_engine_steps`, which polls
    them too, not only the worker's `refresh_timers`), a fire shows here. A timer that is
    cancelled (its task done first, another branch of an event gateway taken) did not fire.
    """
    result = []
    for task, definition in _timer_tasks(workflow):
        spec = task.task_spec
        bpmn_id = spec.bpmn_id or spec.name
        name = spec.bpmn_name or bpmn_id
        if isinstance(definition, CycleTimerEventDefinition):
            outputs = max(1, len(spec.outputs))
            fires = (len(task.children) - before.cycle_children.get(task.id, 0)) // outputs
            result += [
                FiredTimer(bpmn_id, name, _cycle_due_at(task, fires - k)) for k in range(fires)
            ]
        elif task.id not in before.fired and _has_fired(task):
            result.append(FiredTimer(bpmn_id, name, _timer_due_at(task)))
    far_past = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(result, key=lambda f: (f.due_at or far_past, f.bpmn_id))


def _timer_tasks(workflow: BpmnWorkflow):
    for task in workflow.get_tasks():
        definition = _timer_definition(task.task_spec)
        if definition is not None:
            yield task, definition


def _timer_definition(spec) -> TimerEventDefinition | MultipleEventDefinition | None:
    definition = getattr(spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        return definition
    if isinstance(definition, MultipleEventDefinition) and any(
        isinstance(d, TimerEventDefinition) for d in definition.event_definitions
    ):
        return definition
    return None


def _has_fired(task: Task) -> bool:
    # A catch event goes READY when its event fires and COMPLETED when the engine runs it;
    # a timer that did not fire ends CANCELLED (or is still waiting or not reached).
    return task.has_state(TaskState.READY | TaskState.STARTED | TaskState.COMPLETED)


def _cycle_due_at(task: Task, cycles_ago: int) -> dt.datetime | None:
    """When the cycle that fired `cycles_ago` cycles before the upcoming one was due."""
    value = task._get_internal_data("event_value")
    if not isinstance(value, dict) or "next" not in value or "duration" not in value:
        return None
    upcoming = dt.datetime.fromisoformat(value["next"])
    return (upcoming - cycles_ago * dt.timedelta(seconds=value["duration"])).astimezone(dt.UTC)


def timer_value_problem(kind: str, expression: str) -> str | None:
    """What is wrong with a timer value written in a diagram, in Chinese; None if fine.

    `kind` is the BPMN element: timeDate, timeDuration or timeCycle. A quoted literal is
    parsed as SpiffWorkflow will parse it when the timer is reached, so mistakes show at
    publish time instead of in a running case. Any other expression (a variable such as
    `pickup_at`) can only be checked at run time; the safe-expression check still applies.
    """
    what = TIMER_KINDS.get(kind)
    if what is None:
        return f"未知的定时器类型 {kind}"
    text = (expression or "").strip()
    try:
        tree = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    if not (isinstance(tree, ast.Constant) and isinstance(tree.value, str)):
        # `P2D` is a variable name and `R3/PT4H` a division: both pass the safe-expression
        # check and fail only when a case reaches the timer.
        if any(ch.isdigit() for ch in text) and _reading_problem(kind, text) is None:
            return f'定时器{what}“{text}”需要加引号，写作 "{text}"'
        return None  # a variable or expression: only the run time can tell
    value = tree.value
    problem = _reading_problem(kind, value)
    if problem is not None:
        return str(problem)
    if kind == "timeDate" and not _has_offset(value):
        example = value if "T" in value.upper() else f"{value}T00:00:00"
        return f"定时器时间点“{value}”需要写明时区（北京时间加 +08:00），如 {example}+08:00"
    return None


def check_timer_value(kind: str, value: object) -> None:
    """Raise UnsafeExpression (Chinese) unless SpiffWorkflow can read `value` for this timer.

    `value` is what the timer's expression evaluated to in a running case; a wait longer
    than MAX_TIMER_YEARS raises ExpressionOverBudget. Called before SpiffWorkflow reads
    the value, which would otherwise fail outside any expression error (a TypeError for a
    duration where an instant belongs) or keep the worker busy (a huge month count).
    """
    what = TIMER_KINDS.get(kind, kind)
    if not isinstance(value, str):
        raise UnsafeExpression(
            f"定时器{what}的值应为 ISO 8601 文字，实际为 {type(value).__name__}：{excerpt(value)}"
        )
    problem = _reading_problem(kind, value)
    if problem is not None:
        raise problem


def timer_kind(definition: object) -> str | None:
    """The BPMN element (timeDate, timeDuration, timeCycle) a SpiffWorkflow timer came from."""
    if isinstance(definition, TimeDateEventDefinition):
        return "timeDate"
    if isinstance(definition, DurationTimerEventDefinition):
        return "timeDuration"
    if isinstance(definition, CycleTimerEventDefinition):
        return "timeCycle"
    return None


def _reading_problem(kind: str, value: str) -> UnsafeExpression | None:
    """Why SpiffWorkflow would fail on, or labour over, `value` for this kind; None if fine."""
    what = TIMER_KINDS[kind]
    invalid = UnsafeExpression(
        f"定时器{what}“{excerpt(value)}”不是有效的 ISO 8601 {_EXAMPLES[kind]}"
    )
    try:
        if kind == "timeDuration":
            durations = [TimerEventDefinition.parse_iso_duration(value)]
        elif kind == "timeCycle":
            # parse_iso_recurring_interval computes its durations right away: size them first.
            parts = value.upper().replace("--", "/").strip("R").split("/")[1:3]
            durations = [TimerEventDefinition.parse_time_or_duration(part) for part in parts]
        else:
            # A duration where an instant belongs fails later, comparing it with now.
            instant = TimerEventDefinition.parse_time_or_duration(value)
            if not isinstance(instant, dt.datetime):
                return invalid
            durations = []
    except Exception:  # noqa: BLE001 - SpiffWorkflow raises bare Exception for bad values
        return invalid
    for duration in durations:
        if isinstance(duration, dict) and not _duration_in_range(duration):
            return ExpressionOverBudget(
                f"定时器{what}“{excerpt(value)}”超出范围：最长 {MAX_TIMER_YEARS} 年"
            )
    if kind == "timeCycle":
        try:
            TimerEventDefinition.parse_iso_recurring_interval(value)
        except Exception:  # noqa: BLE001 - as above
            return invalid
    return None


def _duration_in_range(duration: dict) -> bool:
    days = 0.0
    for unit, amount in duration.items():
        # Compare before any float arithmetic: a 4,000-digit amount does not fit a float.
        if not 0 <= amount <= _MAX_TIMER_DAYS * 86400:
            return False
        days += amount * _DAYS_PER_UNIT.get(unit, 1)
    return days <= _MAX_TIMER_DAYS


_EXAMPLES = {
    "timeDate": "时间点（如 2026-10-09T09:00:00+08:00）",
    "timeDuration": "时长（如 P2D、PT1H）",
    "timeCycle": "周期（如 R3/PT4H）",
}


def _has_offset(value: str) -> bool:
    # SpiffWorkflow reads week dates itself; only their time part can carry an offset.
    time_part = value.upper().partition("T")[2]
    return time_part.endswith("Z") or "+" in time_part or "-" in time_part


def _timer_due_at(task: Task) -> dt.datetime | None:
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        # A multiple event with a timer keeps the timer's value like a plain timer does.
        timers = [d for d in definition.event_definitions if isinstance(d, TimerEventDefinition)]
        definition = timers[0] if timers else None
    if not isinstance(definition, TimerEventDefinition):
        return None
    value = task._get_internal_data("event_value")
    if value is None:
        # Not evaluated yet (the engine does it on the next poll): due as soon as possible,
        # i.e. since the task last changed state.
        return dt.datetime.fromtimestamp(task.last_state_change, dt.UTC)
    if isinstance(definition, CycleTimerEventDefinition):
        upcoming = dt.datetime.fromisoformat(value["next"])
        if value["cycles"] == 0:
            # Every cycle has fired; the task ends at the next poll. It was due when the
            # last cycle fired, one period before "next".
            upcoming -= dt.timedelta(seconds=value["duration"])
        return upcoming.astimezone(dt.UTC)
    if isinstance(definition, DurationTimerEventDefinition):
        return TimerEventDefinition.get_datetime(value)
    if isinstance(definition, TimeDateEventDefinition):
        instant = TimerEventDefinition.parse_time_or_duration(value)
        if isinstance(instant, dt.datetime):
            return instant.astimezone(dt.UTC)
    return None
