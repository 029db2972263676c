"""Case state and theme specs as JSON, with the spec stored once per theme version.

Three choices, each from a trap measured on SpiffWorkflow 3.2.0:
- The spec is kept out of every case's state: a theme version stores it once, a case only
  its task tree (~half the size, cheaper to load).
- Task data is stored whole per task (`SimpleTaskConverter`), not as a delta against the
  parent: the delta format depends on key order, which PostgreSQL `jsonb` does not keep.
- The script engine is not part of the state; `restore_case` always sets the safe one.
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
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import Task

from .expressions import safe_script_engine
from .theme_spec import CompiledTheme

STATE_FORMAT = "1.5"


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
        dct = self.registry.convert(workflow)
        dct["format"] = STATE_FORMAT
        return dct

    def state_from_dict(self, dct: dict, spec, subprocess_specs) -> BpmnWorkflow:
        dct = deepcopy(dct)
        version = dct.pop("format", STATE_FORMAT)
        if version != STATE_FORMAT and version in MIGRATIONS:
            MIGRATIONS[version](dct)
        workflow = self.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
        workflow.script_engine = safe_script_engine()
        return workflow
