"""Case state and theme specs as JSON, with the spec stored once per theme version.

Choices, each from a trap or a measurement on SpiffWorkflow 3.2.0:
- The spec is kept out of every case's state: a theme version stores it once, a case only
  its task tree.
- A case's task tree is written compactly (format "yjs-2", below): SpiffWorkflow's own
  format repeats per task what the tree already says (the id, the parent, the children,
  the class name, empty and default values) and copies the whole task data into every task.
- Task data is written as what changed against the parent task, but restored by walking
  the task list in order, never by key order: SpiffWorkflow's own delta format depends
  on key order, which PostgreSQL `jsonb` does not keep.
- States written before in SpiffWorkflow's format "1.5" (task data whole per task,
  `SimpleTaskConverter`) are still read: cases in flight keep running.
- The script engine is not part of the state; `state_from_dict` always sets the safe one.
"""

from __future__ import annotations

import datetime as dt
from copy import deepcopy
from decimal import Decimal
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    SimpleTaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .expressions import safe_script_engine
from .theme_spec import CompiledTheme

STATE_FORMAT = "yjs-2"
SPIFF_FORMAT = "1.5"  # SpiffWorkflow's, as cases were stored before "yjs-2"

# One task of a "yjs-2" task list, which is in depth-first order, root first, each
# parent before its children and siblings in the engine's order. Keys left out of a task
# have the value in brackets.
#   id  the task's UUID             p   index of the parent in the list (root: none)
#   s   the task spec's name        st  TaskState value
#   t   last_state_change (float)   tr  triggered (false)
#   n   internal_data ({})
#   d   data keys whose value differs from the parent task's data ({})
#   x   data keys of the parent task this task no longer has ([])


class CaseStateConverter(BpmnWorkflowConverter):
    """Like the default workflow converter, minus the spec, which the caller supplies."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry():
    config = deepcopy(CAMUNDA_CONFIG)
    config[Task] = SimpleTaskConverter
    config[BpmnWorkflow] = CaseStateConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # Form answers carry money and dates; without these the serializer raises TypeError.
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(
        dt.date, lambda v: {"value": v.isoformat()}, lambda v: dt.date.fromisoformat(v["value"])
    )
    return registry


class TaskTreeOutOfShape(Exception):
    """The workflow's task dict and its tree disagree; the compact format cannot say so."""


class CaseStateSerializer:
    """Converts theme specs and case states to plain JSON-able dicts and back."""

    def __init__(self):
        self.registry = _registry()

    def spec_to_dict(self, theme: CompiledTheme) -> dict:
        return {
            "process_id": theme.process_id,
            "spec": self.registry.convert(theme.spec),
            "subprocess_specs": {
                k: self.registry.convert(v) for k, v in theme.subprocess_specs.items()
            },
        }

    def spec_from_dict(self, dct: dict) -> tuple:
        spec = self.registry.restore(deepcopy(dct["spec"]))
        subs = {
            k: self.registry.restore(deepcopy(v))
            for k, v in dct.get("subprocess_specs", {}).items()
        }
        return spec, subs

    def state_to_dict(self, workflow: BpmnWorkflow) -> dict:
        """The case's state as a JSON-able dict; `state_from_dict` gives the workflow back."""
        try:
            dct = {"format": STATE_FORMAT, **self._workflow_to_dict(workflow)}
            subprocesses = {
                str(task_id): {"spec": sub.spec.name, **self._workflow_to_dict(sub)}
                for task_id, sub in workflow.subprocesses.items()
            }
        except TaskTreeOutOfShape:
            # Never seen from the engine; if it happens, keep everything in the long form.
            return self.spiff_state_to_dict(workflow)
        if subprocesses:
            dct["subprocesses"] = subprocesses
        if workflow.bpmn_events:
            dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def spiff_state_to_dict(self, workflow: BpmnWorkflow) -> dict:
        """The state in SpiffWorkflow's format "1.5", as cases were stored before "yjs-2"."""
        dct = self.registry.convert(workflow)
        dct["format"] = SPIFF_FORMAT
        return dct

    def state_from_dict(self, dct: dict, spec, subprocess_specs) -> BpmnWorkflow:
        """The workflow of a stored state, in either format; `dct` is left as it was."""
        version = dct.get("format", SPIFF_FORMAT)
        if version == STATE_FORMAT:
            workflow = self._workflow_from_state(dct, spec, subprocess_specs)
        else:
            dct = deepcopy(dct)
            dct.pop("format", None)
            if version in MIGRATIONS:
                MIGRATIONS[version](dct)
            workflow = self.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
        workflow.script_engine = safe_script_engine()
        return workflow

    # --- format "yjs-2"

    def _workflow_to_dict(self, workflow) -> dict:
        convert = self.registry.convert
        tasks = _depth_first(workflow)
        index = {task.id: i for i, task in enumerate(tasks)}
        cleaned = {}
        rows = []
        for task in tasks:
            data = cleaned[task.id] = self.registry.clean(task.data)
            row = {"id": str(task.id)}
            parent = task._parent
            if parent is not None:
                row["p"] = index[parent]
            row["s"] = task.task_spec.name
            row["st"] = task.state
            row["t"] = task.last_state_change
            if task.triggered:
                row["tr"] = True
            if task.internal_data:
                row["n"] = convert(task.internal_data)
            before = cleaned[parent] if parent is not None else {}
            changed = {
                k: convert(v)
                for k, v in data.items()
                if not _same(before.get(k, _NONE), v, convert)
            }
            if changed:
                row["d"] = changed
            gone = [k for k in before if k not in data]
            if gone:
                row["x"] = gone
            rows.append(row)
        dct = {
            "data": convert(self.registry.clean(workflow.data)),
            "success": workflow.success,
            "completed": workflow.completed,
            "last_task": index.get(workflow.last_task.id) if workflow.last_task else None,
            "tasks": rows,
        }
        if workflow.correlations:
            dct["correlations"] = workflow.correlations
        return dct

    def _workflow_from_state(self, dct: dict, spec, subprocess_specs) -> BpmnWorkflow:
        workflow = BpmnWorkflow(spec, subprocess_specs, deserializing=True)
        self._tasks_from_dict(workflow, dct)
        subprocesses = dct.get("subprocesses", {})
        # As SpiffWorkflow does: a subprocess after the workflow holding its task.
        pending = [workflow]
        while pending:
            holder = pending.pop(0)
            for task in list(holder.tasks.values()):
                sub = subprocesses.get(str(task.id))
                if sub is None or not isinstance(task.task_spec, SubWorkflowTask):
                    continue
                sub_spec = workflow.subprocess_specs.get(task.task_spec.spec)
                subworkflow = BpmnSubWorkflow(sub_spec, task.id, workflow, deserializing=True)
                self._tasks_from_dict(subworkflow, sub)
                workflow.subprocesses[task.id] = subworkflow
                subworkflow.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
                pending.append(subworkflow)
        workflow.bpmn_events = self.registry.restore(deepcopy(dct.get("bpmn_events", [])))
        return workflow

    def _tasks_from_dict(self, workflow, dct: dict) -> None:
        restore = self.registry.restore
        specs = workflow.spec.task_specs
        events = workflow.top_workflow.event_manager
        tasks: list[Task] = []
        data_rows: list[dict] = []
        for row in dct["tasks"]:
            spec = specs.get(row["s"])
            task = Task(workflow, spec, state=row["st"], id=UUID(row["id"]))
            task.last_state_change = row["t"]
            task.triggered = row.get("tr", False)
            task.internal_data = restore(row["n"]) if "n" in row else {}
            parent_index = row.get("p")
            if parent_index is None:
                data = {}
            else:
                parent = tasks[parent_index]
                task._parent = parent.id
                parent._children.append(task.id)
                data = dict(data_rows[parent_index])
            data.update(row.get("d", ()))
            for key in row.get("x", ()):
                data.pop(key, None)
            data_rows.append(data)
            # Restored apart for each task: tasks never share a mutable value.
            task.data = restore(data)
            # As SimpleTaskConverter does (engine/timers.py forget_unreached_events).
            if isinstance(spec, CatchingEvent) and task.has_state(TaskState.DEFINITE_MASK):
                events.add_task(task)
            tasks.append(task)
        workflow.task_tree = tasks[0]
        workflow.success = dct["success"]
        workflow.completed = dct["completed"]
        last = dct.get("last_task")
        workflow.last_task = tasks[last] if last is not None else None
        workflow.correlations = deepcopy(dct.get("correlations", {}))
        workflow.data = restore(dct.get("data", {}))


_NONE = object()


def _depth_first(workflow) -> list[Task]:
    """Every task once, parents first, siblings in the engine's order."""
    tasks, stack = [], [workflow.task_tree]
    while stack:
        task = stack.pop()
        tasks.append(task)
        children = [workflow.tasks.get(child) for child in task._children]
        if any(c is None or c._parent != task.id for c in children):
            raise TaskTreeOutOfShape(str(task.id))
        stack.extend(reversed(children))
    if len(tasks) != len(workflow.tasks):
        raise TaskTreeOutOfShape("tasks outside the tree")
    return tasks


def _same(a, b, convert) -> bool:
    """Whether `b` would be written exactly as `a` is: same types throughout, and equal in
    the written form (1, 1.0 and True are equal in Python, so are Decimal 1.0 and 1.00 or
    one instant in two time zones; their JSON differs)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(v, b[k], convert) for k, v in a.items())
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y, convert) for x, y in zip(a, b, strict=True))
    if isinstance(a, str | int):  # bool is an int
        return a == b
    if isinstance(a, float):
        return repr(a) == repr(b)
    written_a, written_b = convert(a), convert(b)
    if written_a is a:  # a type the registry does not know: JSON will refuse it anyway
        return bool(a == b)
    return _same(written_a, written_b, convert)
