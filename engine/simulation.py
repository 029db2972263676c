"""Path simulation: run a draft in memory for every distinct guidance outcome before it is
published, and report what only running shows.

The structural check (structure.py) looks at the graph and assumes every branch possible;
it cannot tell that with `fire_check == True` the case waits forever, that an item the
guidance selects is never reached, or how many working days a path takes. Here:

1. The guidance decision's answer space is enumerated from its input columns: a yes/no
   question both ways, a choice question each option, a number the boundary values of
   every threshold the table compares it with (299, 300, 301 for `> 300`) and the
   question's own minimum and maximum. Answers that select the same items are one path.
2. Each path runs in a fresh in-memory workflow (no database) with every person's task
   completed at once as 准予; a waiting timer is fired as if its time had come. When the
   theme lets the other items go on after a 不予 (`on_denial: continue`), each item of the
   path is also run denied, since gateways may route on `<task>_decision`.
3. Per path: the tasks reached, whether the end was reached or where the case stopped,
   items selected but never reached (and reached but not selected), and the promised
   completion in working days (the heaviest chain of the reached items, as the case page
   will promise it) with the date it falls on by the working calendar passed in.

Blocking problems, each naming the element: a path that stops, a path that ends without
统一出件 or runs an item beside it, an item selected but not reached or reached but not
selected, a person's task no path reaches (tasks behind a boundary timer excepted: they run
only when a deadline is missed, which the simulation does not play out).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from .cases import complete_task, is_complete, open_tasks, refresh_timers, start_case
from .critical_path import promised_days
from .guidance import Guidance, GuidanceError
from .problems import CaseStepError, Problem
from .theme_spec import CompiledTheme
from .working_calendar import is_working_day as chinese_working_day

# Answer combinations tried at most; past this the rest are left out and the report says so.
MAX_ANSWER_COMBINATIONS = 5_000
# Distinct item sets (paths) run at most.
MAX_PATHS = 256
# Runs in all (paths, and their 不予 variants): bounds the time a save may take.
MAX_RUNS = 1_000
# Task completions in one run: a loop that never lets the case out stops here.
MAX_STEPS_PER_RUN = 200
# Answer combinations the table cannot decide, listed one by one.
MAX_LISTED_UNDECIDED = 5
# Timer rounds in one run (a cycle timer fires again and again).
MAX_TIMER_ROUNDS = 20
_LONG_AGO = "2000-01-01T00:00:00+00:00"
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_TEXT = re.compile(r"\"([^\"\\]*)\"|'([^'\\]*)'")


@dataclass(frozen=True)
class Question:
    """A guidance question as the answer space needs it (from the theme's form)."""

    variable: str
    label: str
    type: str  # boolean, integer, decimal, money, enum, string, …
    options: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    decimals: int | None = None


@dataclass(frozen=True)
class SimulatedItem:
    code: str
    name: str
    task: str
    days: Decimal
    guided: bool


@dataclass(frozen=True)
class SimulationTheme:
    """What a theme definition says that running a path needs."""

    items: tuple[SimulatedItem, ...]
    variables: Mapping[str, str]  # BPMN variable → item code
    acceptance_task: str
    delivery_task: str
    on_denial: str = "terminate"
    front_desk_days: Decimal = Decimal(1)


@dataclass(frozen=True)
class PathResult:
    number: int
    selected: tuple[str, ...]  # item codes, theme order
    answers: Mapping[str, Any]  # one example of answers leading here (variable → value)
    answer_count: int  # how many answer combinations tried lead here
    denied: str | None  # the item code run as 不予 on this path, if any
    tasks: tuple[str, ...]  # BPMN ids of the people's tasks reached, in order
    ended: bool
    stuck_at: tuple[str, ...] = ()
    stuck_reason: str | None = None
    selected_not_reached: tuple[str, ...] = ()
    reached_not_selected: tuple[str, ...] = ()
    promised_days: Decimal | None = None
    promised_date: dt.date | None = None
    # Tasks open beside 统一出件 or reached after it (a branch that bypasses it).
    strays: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.ended and not (
            self.selected_not_reached or self.reached_not_selected or self.strays
        )


@dataclass
class SimulationReport:
    paths: list[PathResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    answer_combinations: int = 0
    truncated: bool = False
    task_names: dict[str, str] = field(default_factory=dict)
    item_names: dict[str, str] = field(default_factory=dict)
    timer_only_tasks: tuple[str, ...] = ()
    question_labels: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "answer_combinations": self.answer_combinations,
            "truncated": self.truncated,
            "problems": [p.as_dict() for p in self.problems],
            "paths": [
                {
                    "number": p.number,
                    "selected": list(p.selected),
                    "answers": {k: _plain(v) for k, v in p.answers.items()},
                    "answer_count": p.answer_count,
                    "denied": p.denied,
                    "tasks": list(p.tasks),
                    "ended": p.ended,
                    "stuck_at": list(p.stuck_at),
                    "stuck_reason": p.stuck_reason,
                    "selected_not_reached": list(p.selected_not_reached),
                    "reached_not_selected": list(p.reached_not_selected),
                    "promised_days": _plain(p.promised_days),
                    "promised_date": p.promised_date.isoformat() if p.promised_date else None,
                    "strays": list(p.strays),
                }
                for p in self.paths
            ],
        }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


# --- the answer space -------------------------------------------------------------------


def answer_candidates(question: Question, cells: Sequence[str]) -> list[Any]:
    """The values worth trying for one question: every class of answer the table's cells
    can tell apart, with each threshold's boundary values, within the question's limits."""
    kind = question.type
    if kind == "boolean":
        return [True, False]
    texts = [a or b for cell in cells for a, b in _TEXT.findall(cell)]
    if question.options:
        return list(dict.fromkeys([*question.options, *texts]))
    if kind in ("integer", "decimal", "money", "number"):
        return _number_candidates(question, cells)
    # Free text: each literal the table names, and one it names nowhere.
    return list(dict.fromkeys([*texts, "（其他）"]))


def _number_candidates(question: Question, cells: Sequence[str]) -> list[Any]:
    integer = question.type == "integer"
    places = 0 if integer else (question.decimals if question.decimals is not None else 2)
    step = Decimal(1).scaleb(-places)
    values: set[Decimal] = set()
    for cell in cells:
        for literal in _NUMBER.findall(cell):
            threshold = Decimal(literal)
            values |= {threshold - step, threshold, threshold + step}
    for bound in (question.minimum, question.maximum):
        if bound is not None:
            values.add(bound)
    if not values:
        values.add(question.minimum if question.minimum is not None else Decimal(0))
    low, high = question.minimum, question.maximum
    kept = sorted(
        v.quantize(step)
        for v in values
        if (low is None or v >= low) and (high is None or v <= high) and v == v.quantize(step)
    )
    return [int(v) if integer else v for v in dict.fromkeys(kept)]


def _with_settings(cell: str, settings: Mapping[str, Decimal]) -> str:
    """The cell with each local setting it names written as its value (`> fire_check_min_area`
    → `> 300`), so a threshold kept in the theme's settings gets its boundary values too."""
    for name, value in settings.items():
        cell = re.sub(rf"(?<![\w.]){re.escape(name)}(?![\w.])", str(value), cell)
    return cell


def answer_space(
    guidance: Guidance, questions: Sequence[Question]
) -> tuple[list[dict[str, Any]], int]:
    """(answer combinations to try, how many there are in all)."""
    cells: dict[str, list[str]] = {q.variable: [] for q in questions}
    for rule in guidance.rules:
        for variable, test in rule.conditions:
            if test is not None and variable in cells:
                cells[variable].append(_with_settings(test, guidance.settings))
    by_variable = {q.variable: answer_candidates(q, cells[q.variable]) for q in questions}
    names = list(by_variable)
    total = math.prod(len(v) for v in by_variable.values())
    combos = itertools.islice(itertools.product(*by_variable.values()), MAX_ANSWER_COMBINATIONS)
    return [dict(zip(names, combo, strict=True)) for combo in combos], total


# --- running the paths ------------------------------------------------------------------


def simulate(
    compiled: CompiledTheme,
    theme: SimulationTheme,
    guidance: Guidance | None = None,
    questions: Sequence[Question] = (),
    *,
    is_working_day: Callable[[dt.date], bool] = chinese_working_day,
    accepted_on: dt.date | None = None,
) -> SimulationReport:
    """Run every distinct path of the theme; see the module docstring.

    `is_working_day` is the working calendar (the web app passes its own); with
    `accepted_on`, each path's promise is also given as the date it falls on.
    """
    report = SimulationReport(
        task_names={k: t.name for k, t in compiled.human_tasks.items()},
        item_names={i.code: i.name for i in theme.items},
        timer_only_tasks=tuple(sorted(_behind_boundary_timers(compiled))),
        question_labels={q.variable: q.label for q in questions},
    )
    outcomes: dict[frozenset[str], tuple[dict[str, Any], int]] = {}
    if guidance is not None and questions:
        combos, report.answer_combinations = answer_space(guidance, questions)
        undecided = 0
        report.truncated = report.answer_combinations > len(combos)
        for answers in combos:
            try:
                decided = frozenset(guidance.decide(answers))
            except GuidanceError as exc:
                undecided += 1
                if undecided <= MAX_LISTED_UNDECIDED:  # one table bug fails many combinations
                    labels = {q.variable: q.label for q in questions}
                    report.problems.append(
                        Problem(f"导办决策表无法判断回答 {_answers_text(answers, labels)}：{exc}")
                    )
                continue
            example, count = outcomes.get(decided, (answers, 0))
            outcomes[decided] = (example, count + 1)
    else:
        outcomes[frozenset()] = ({}, 1)
        report.answer_combinations = 1

    reached_anywhere: set[str] = set()
    for decided, (answers, count) in itertools.islice(outcomes.items(), MAX_PATHS):
        selected = tuple(i.code for i in theme.items if not i.guided or i.code in decided)
        variants: list[str | None] = [None]
        granted = _run(compiled, theme, selected, None)
        if theme.on_denial == "continue":
            on_path = [i.code for i in theme.items if i.task in granted.tasks]
            variants += on_path
        for denied in variants:
            if len(report.paths) >= MAX_RUNS:
                report.truncated = True
                break
            run = granted if denied is None else _run(compiled, theme, selected, denied)
            reached_anywhere.update(run.tasks)
            path = _path_result(
                len(report.paths) + 1, compiled, theme, selected, answers, count, denied, run,
                is_working_day, accepted_on,
            )  # fmt: skip
            report.paths.append(path)
            report.problems += _path_problems(path, theme, report)
    report.truncated = report.truncated or len(outcomes) > MAX_PATHS
    report.problems += _not_leading_to_delivery(compiled, theme, reached_anywhere)
    # Only a full run can tell that no path reaches a task.
    for bpmn_id, task in () if report.truncated else compiled.human_tasks.items():
        if bpmn_id not in reached_anywhere and bpmn_id not in report.timer_only_tasks:
            report.problems.append(
                Problem(
                    f"任务“{task.name}”在所有导办答案下都不会被执行（模拟了 "
                    f"{len(report.paths)} 条路径），请检查它的连线和条件",
                    bpmn_id,
                )
            )
    return report


@dataclass
class _Run:
    tasks: list[str] = field(default_factory=list)
    ended: bool = False
    stuck_at: tuple[str, ...] = ()
    stuck_reason: str | None = None
    beside_delivery: set[str] = field(default_factory=set)
    after_delivery: list[str] = field(default_factory=list)


def _run(compiled: CompiledTheme, theme: SimulationTheme, selected, denied: str | None) -> _Run:
    run = _Run()
    variables = {name: code in selected for name, code in theme.variables.items()}
    denied_task = next((i.task for i in theme.items if i.code == denied), None)
    try:
        workflow = start_case(compiled.spec, compiled.subprocess_specs, variables)
        timer_rounds = 0
        delivered = False
        while True:
            ready = open_tasks(workflow)
            if not ready:
                if is_complete(workflow):
                    run.ended = True
                    return run
                if timer_rounds < MAX_TIMER_ROUNDS and _fire_waiting_timers(workflow):
                    timer_rounds += 1
                    continue
                run.stuck_at, run.stuck_reason = _where_stuck(workflow)
                return run
            if len(run.tasks) >= MAX_STEPS_PER_RUN:
                counts = Counter(run.tasks)
                loop = tuple(t for t, _ in counts.most_common(3))
                reason = f"完成 {MAX_STEPS_PER_RUN} 个任务后仍未结束，流程在循环中出不来"
                run.stuck_at, run.stuck_reason = loop, reason
                return run
            # 统一出件 last: whatever is still open beside it would not go out with it.
            others = [t for t in ready if t.bpmn_id != theme.delivery_task]
            if others and len(others) < len(ready):
                run.beside_delivery.update(t.bpmn_id for t in others)
            task = (others or ready)[0]
            decision = "denied" if task.bpmn_id == denied_task else "granted"
            run.tasks.append(task.bpmn_id)
            if delivered:
                run.after_delivery.append(task.bpmn_id)
            complete_task(workflow, task.task_id, {f"{task.bpmn_id}_decision": decision})
            delivered = delivered or task.bpmn_id == theme.delivery_task
    except CaseStepError as exc:
        run.stuck_at = (exc.task_id,) if exc.task_id else ()
        run.stuck_reason = str(exc)
        return run


def _fire_waiting_timers(workflow) -> bool:
    """Make every waiting timer due now (as if its time had passed) and run what it releases."""
    fired = False
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition):
            continue
        if isinstance(definition, CycleTimerEventDefinition):
            value = {"cycles": 1, "next": _LONG_AGO, "duration": 60.0}
        else:
            value = _LONG_AGO
        task._set_internal_data(event_value=value)
        fired = True
    if fired:
        refresh_timers(workflow)
    return fired


def _where_stuck(workflow) -> tuple[tuple[str, ...], str]:
    waiting = []
    for task in workflow.get_tasks(state=TaskState.WAITING | TaskState.STARTED):
        spec = task.task_spec
        bpmn_id = getattr(spec, "bpmn_id", None)
        if not bpmn_id or type(spec).__name__ in ("SubWorkflowTask", "CallActivity"):
            continue
        if any(c.state in (TaskState.WAITING, TaskState.STARTED) for c in task.children):
            continue
        if bpmn_id not in waiting:
            waiting.append(bpmn_id)
    names = "、".join(waiting) or "（无）"
    return tuple(waiting), f"没有可办理的任务，流程却没有结束：停在 {names}"


def _not_leading_to_delivery(compiled, theme: SimulationTheme, reached: set[str]) -> list:
    """Tasks after which no flow leads on to 统一出件: a dangling branch ends there, and
    what it produces never goes out through the window (the structure check accepts such a
    branch: a node with nowhere to go is BPMN's implicit end)."""
    by_id = {getattr(s, "bpmn_id", None): s for s in compiled.spec.task_specs.values()}
    problems = []
    for bpmn_id in sorted(reached - {theme.delivery_task}):
        spec = by_id.get(bpmn_id)
        if spec is None or theme.delivery_task not in by_id:
            continue  # inside a subprocess: its own end leads on, judged by the parent
        if not _leads_to(spec, theme.delivery_task):
            name = (
                compiled.human_tasks[bpmn_id].name if bpmn_id in compiled.human_tasks else bpmn_id
            )
            problems.append(
                Problem(
                    f"任务“{name}”之后的连线走不到统一出件任务 {theme.delivery_task}"
                    "（悬空的分支），办理结果不会从统一窗口送出",
                    bpmn_id,
                )
            )
    return problems


def _leads_to(start, bpmn_id: str) -> bool:
    seen: set[int] = set()
    stack = list(start.outputs)
    while stack:
        spec = stack.pop()
        if id(spec) in seen:
            continue
        seen.add(id(spec))
        if getattr(spec, "bpmn_id", None) == bpmn_id:
            return True
        stack += spec.outputs
    return False


def _behind_boundary_timers(compiled: CompiledTheme) -> set[str]:
    """People's tasks that only a boundary timer leads to (escalations, 催办)."""
    specs = [compiled.spec.task_specs, *(s.task_specs for s in compiled.subprocess_specs.values())]
    starts = []
    for task_specs in specs:
        for spec in task_specs.values():
            if type(spec).__name__ == "BoundaryEvent" and isinstance(
                getattr(spec, "event_definition", None), TimerEventDefinition
            ):
                starts += spec.outputs
    seen: set[int] = set()
    behind: set[str] = set()
    while starts:
        spec = starts.pop()
        if id(spec) in seen:
            continue
        seen.add(id(spec))
        bpmn_id = getattr(spec, "bpmn_id", None)
        if bpmn_id in compiled.human_tasks:
            behind.add(bpmn_id)
        starts += spec.outputs
    return behind


def _path_result(
    number, compiled, theme, selected, answers, count, denied, run: _Run,
    is_working_day, accepted_on,
) -> PathResult:  # fmt: skip
    reached = set(run.tasks)
    items_by_task = {i.task: i for i in theme.items}
    selected_not_reached = tuple(
        i.code for i in theme.items if i.code in selected and i.task not in reached
    )
    reached_not_selected = tuple(
        i.code for i in theme.items if i.code not in selected and i.task in reached
    )
    days = promised = None
    if run.ended:
        weights = {
            task: items_by_task[task].days
            for task in reached
            if task in items_by_task and items_by_task[task].code in selected
        }
        days = promised_days(compiled.spec, weights) + 2 * theme.front_desk_days
        if accepted_on is not None:
            promised = working_days_after(accepted_on, days, is_working_day)
    return PathResult(
        number=number,
        selected=selected,
        answers=answers,
        answer_count=count,
        denied=denied,
        tasks=tuple(run.tasks),
        ended=run.ended,
        stuck_at=run.stuck_at,
        stuck_reason=run.stuck_reason,
        selected_not_reached=selected_not_reached if run.ended else (),
        reached_not_selected=reached_not_selected,
        promised_days=days,
        promised_date=promised,
        strays=tuple(
            sorted((run.beside_delivery | set(run.after_delivery)) - {theme.delivery_task})
        ),
    )


def _path_problems(path: PathResult, theme: SimulationTheme, report: SimulationReport) -> list:
    problems: list[Problem] = []
    shown = _answers_text(path.answers, report.question_labels)
    where = f"路径 {path.number}（{shown or '无导办问题'}"
    where += f"，{report.item_names.get(path.denied, path.denied)}不予）" if path.denied else "）"
    run_tasks = set(path.tasks)
    if not path.ended:
        problems.append(
            Problem(f"{where}走不到结束：{path.stuck_reason}", next(iter(path.stuck_at), None))
        )
    elif theme.delivery_task not in run_tasks:
        last = path.tasks[-1] if path.tasks else None
        problems.append(
            Problem(
                f"{where}没有经过统一出件任务 {theme.delivery_task} 就结束了"
                f"（最后办理的是“{report.task_names.get(last, last)}”）",
                last,
            )
        )
    # After a 不予 a diagram may rightly skip the items that depended on the denied one.
    for code in () if path.denied else path.selected_not_reached:
        item = next(i for i in theme.items if i.code == code)
        problems.append(
            Problem(
                f"{where}导办选中了事项“{item.name}”，但流程没有走到它的任务 {item.task}",
                item.task,
            )
        )
    for code in path.reached_not_selected:
        item = next(i for i in theme.items if i.code == code)
        problems.append(
            Problem(
                f"{where}导办没有选中事项“{item.name}”，流程却走到了它的任务 {item.task}",
                item.task,
            )
        )
    if path.denied is None:
        # Items running beside or after 统一出件: their results would not go out with it.
        for task in path.strays:
            problems.append(
                Problem(
                    f"{where}任务“{report.task_names.get(task, task)}”与统一出件并行或在其后，"
                    "办理结果不会随统一出件送出，请把它连到统一出件之前",
                    task,
                )
            )
    return problems


def working_days_after(
    start: dt.date, days: Decimal, is_working_day: Callable[[dt.date], bool]
) -> dt.date:
    """The working day on which `days` working days counted from the day after `start` end
    (a part day counts as a whole one, as an applicant reads a promise)."""
    left = math.ceil(days)
    day = start
    # A calendar with no working day at all would never get there: a year is plenty.
    for _ in range(max(left, 0) * 7 + 366):
        if left <= 0:
            return day
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def _answers_text(answers: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> str:
    shown = []
    for name, value in answers.items():
        if isinstance(value, bool):
            value = "是" if value else "否"
        shown.append(f"{(labels or {}).get(name, name)}={_plain(value)}")
    return "，".join(shown)
