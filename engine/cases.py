"""Running one case of a theme: start it, list who must act, complete a task.

A case here is an in-memory SpiffWorkflow instance; persisting it is the caller's job
(see serialization.py). Every engine step runs with the safe expression environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from .expressions import UnsafeExpression, safe_script_engine
from .problems import CaseStepError, TaskNotReady
from .timers import forget_unreached_events

# A cycle timer due again at every poll (a zero period) would otherwise keep a step busy.
MAX_ENGINE_PASSES = 100


@dataclass(frozen=True)
class OpenTask:
    """A task waiting for a person: its engine id, BPMN id, label and lane."""

    task_id: str
    bpmn_id: str
    name: str
    lane: str | None


def start_case(spec, subprocess_specs, data: dict) -> BpmnWorkflow:
    """Create a case with `data` as its starting variables and run it to the first human task."""
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=safe_script_engine())
    workflow.task_tree.data.update(data)
    _advance(workflow)
    return workflow


def open_tasks(workflow: BpmnWorkflow) -> list[OpenTask]:
    """Human tasks that are ready, in the diagram's order (parallel branches top to bottom)."""
    result = []
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        spec = task.task_spec
        result.append(
            OpenTask(
                str(task.id),
                spec.bpmn_id or spec.name,
                spec.bpmn_name or spec.bpmn_id or spec.name,
                spec.lane,
            )
        )
    return result


def complete_task(workflow: BpmnWorkflow, task_id: str, data: dict | None = None) -> None:
    """Complete a ready human task with `data` merged into its variables, then advance."""
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, KeyError, WorkflowException):
        raise TaskNotReady("任务不存在") from None
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise TaskNotReady("该任务已被办理或尚未开始")
    task.data.update(data or {})
    try:
        task.run()
    except (WorkflowException, UnsafeExpression) as exc:
        raise CaseStepError(_describe(exc), task.task_spec.bpmn_id) from None
    _advance(workflow)


def refresh_timers(workflow: BpmnWorkflow) -> None:
    """Fire timers that are due and run whatever they release."""
    forget_unreached_events(workflow)
    try:
        workflow.refresh_timers()
    except (WorkflowException, UnsafeExpression) as exc:
        raise CaseStepError(_describe(exc), _bpmn_id(exc)) from None
    _advance(workflow)


def cancel_case(workflow: BpmnWorkflow) -> None:
    """End the case where it stands (不予受理, 终止, 撤回): no task of it is ready afterwards."""
    workflow.cancel()


def is_complete(workflow: BpmnWorkflow) -> bool:
    """Whether the case's process has reached its end (every path finished)."""
    return workflow.completed


def element_progress(workflow: BpmnWorkflow) -> dict[str, list[str]]:
    """BPMN ids that are done and that are waiting now, for highlighting the diagram."""
    completed, active = set(), set()
    for task in workflow.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        if task.state == TaskState.COMPLETED:
            completed.add(bpmn_id)
        elif task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
            active.add(bpmn_id)
    return {"completed": sorted(completed - active), "active": sorted(active)}


def resume(workflow: BpmnWorkflow) -> None:
    """Run the engine until only people's tasks and timers wait (after a case moved)."""
    _advance(workflow)


def _advance(workflow: BpmnWorkflow) -> None:
    # A restored case may have timers registered before they are reached (timers.py);
    # do_engine_steps polls timers, so unregister those first.
    forget_unreached_events(workflow)
    try:
        for _ in range(MAX_ENGINE_PASSES):
            workflow.do_engine_steps()
            # do_engine_steps polls timers last: a timer that comes due in that poll is left
            # READY with its flow not run, and no timer waits any more, so nothing would
            # ever come back to the case. Run again until only people's tasks are ready.
            if not _engine_work_left(workflow):
                break
    except (WorkflowException, UnsafeExpression) as exc:
        raise CaseStepError(_describe(exc), _bpmn_id(exc)) from None


def _engine_work_left(workflow: BpmnWorkflow) -> bool:
    return any(not t.task_spec.manual for t in workflow.get_tasks(state=TaskState.READY))


def _bpmn_id(exc: Exception) -> str | None:
    task = getattr(exc, "task", None)
    if task is not None:
        return task.task_spec.bpmn_id
    # An exclusive gateway with no condition true names only its spec.
    spec = getattr(exc, "task_spec", None)
    return getattr(spec, "bpmn_id", None)


def _describe(exc: Exception) -> str:
    task = getattr(exc, "task", None)
    where = ""
    if task is not None:
        where = f"在“{task.task_spec.bpmn_name or task.task_spec.bpmn_id}”处"
    # SpiffWorkflow wraps an expression's error in its own English "Error evaluating
    # expression"; the Chinese reason (over budget, unknown name) is the wrapped one.
    reason = _expression_error(exc)
    if reason is None:
        return f"流程运行出错{where}：{exc}"
    shown = f"（表达式：{reason.expression}）" if reason.expression else ""
    return f"流程运行出错{where}：{reason}{shown}"


def _expression_error(exc: BaseException | None) -> UnsafeExpression | None:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, UnsafeExpression):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None
