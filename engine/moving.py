"""Moving a running case to a newer version of its theme's diagram.

Built on SpiffWorkflow's `migrate_workflow`: a case may move when every task waiting for
a person exists in the new diagram with the same id and lane, and nothing the case has
already done would mean something else there (a completed element removed or changed —
a gateway's conditions, a split's branches). The move itself re-predicts the waiting
branches on the new diagram; afterwards the same people's tasks must be waiting.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from .cases import open_tasks, resume
from .problems import CaseStepError
from .serialization import CaseStateSerializer

# What a spec comparison may differ in without changing what a done element meant.
_COSMETIC = {"bpmn_name", "description", "documentation", "extensions", "io_specification"}
_WAITING = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass(frozen=True)
class MoveProblem:
    """Why a case cannot move, naming the element (Chinese)."""

    element: str | None
    message: str


def move_problems(workflow: BpmnWorkflow, new_spec, new_subprocess_specs) -> list[MoveProblem]:
    """Every reason the case cannot move to `new_spec`; empty when it can."""
    if workflow.subprocesses:
        return [MoveProblem(None, "办件含有子流程，暂不支持迁移")]
    serializer = CaseStateSerializer()
    spec_diff = SpecDiff(serializer.registry, workflow.spec, new_spec)
    problems: list[MoveProblem] = []
    seen: set[str] = set()
    for task in workflow.get_tasks():
        spec = task.task_spec
        bpmn_id = getattr(spec, "bpmn_id", None)
        if not bpmn_id or bpmn_id in seen:
            continue
        label = f"“{spec.bpmn_name or bpmn_id}”（{bpmn_id}）"
        new = new_spec.task_specs.get(spec.name)
        if task.state & _WAITING and spec.manual:
            seen.add(bpmn_id)
            if new is None:
                problems.append(MoveProblem(bpmn_id, f"待办任务{label}在新版本中不存在"))
            elif new.lane != spec.lane:
                problems.append(
                    MoveProblem(
                        bpmn_id,
                        f"待办任务{label}在新版本中从“{spec.lane}”泳道移到了“{new.lane}”泳道",
                    )
                )
        elif task.state == TaskState.COMPLETED:
            seen.add(bpmn_id)
            if new is None:
                problems.append(MoveProblem(bpmn_id, f"已办理的{label}在新版本中已删除"))
                continue
            changed = set(spec_diff.comparisons.get(spec) or ()) - _COSMETIC
            if getattr(new, "lane", None) != getattr(spec, "lane", None):
                changed.add("lane")
            if changed:
                problems.append(
                    MoveProblem(
                        bpmn_id,
                        f"已办理的{label}在新版本中有变化（{'、'.join(sorted(changed))}），"
                        "迁移会改变已完成部分的含义",
                    )
                )
    if problems:
        return problems
    # Dry run on a copy: the same people's tasks must be waiting afterwards.
    trial = _copy(serializer, workflow)
    before = sorted(t.bpmn_id for t in open_tasks(workflow))
    try:
        move_case(trial, new_spec, new_subprocess_specs)
    except CaseStepError as exc:
        return [MoveProblem(exc.task_id, str(exc))]
    after = sorted(t.bpmn_id for t in open_tasks(trial))
    if before != after:
        return [
            MoveProblem(
                None,
                f"迁移后待办任务会由 {'、'.join(before) or '无'} 变为 {'、'.join(after) or '无'}",
            )
        ]
    return []


def move_case(workflow: BpmnWorkflow, new_spec, new_subprocess_specs) -> None:
    """Put the case on `new_spec` and run the engine on; waiting tasks keep their ids."""
    spec_diff = SpecDiff(CaseStateSerializer().registry, workflow.spec, new_spec)
    migrate_workflow(WorkflowDiff(workflow, spec_diff), workflow, new_spec)
    workflow.subprocess_specs = new_subprocess_specs
    resume(workflow)


def _copy(serializer: CaseStateSerializer, workflow: BpmnWorkflow) -> BpmnWorkflow:
    state = serializer.state_to_dict(workflow)
    return serializer.state_from_dict(deepcopy(state), workflow.spec, workflow.subprocess_specs)
