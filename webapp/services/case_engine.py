"""Where the web app meets the engine: restore a case's workflow and store it back.

A theme version's spec is restored once per process and cached by version id (versions
are immutable, so the cache never goes stale); a case only stores its changing state.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn import BpmnWorkflow

from engine.serialization import CaseStateSerializer

from ..models import Case, ThemeVersion

serializer = CaseStateSerializer()


_SPECS: dict[int, tuple] = {}
_MAX_SPECS = 256


def spec_for(version: ThemeVersion) -> tuple:
    """(spec, subprocess_specs) of a theme version, restored from its stored JSON once."""
    cached = _SPECS.get(version.id)
    if cached is None:
        if len(_SPECS) >= _MAX_SPECS:
            _SPECS.pop(next(iter(_SPECS)))
        cached = serializer.spec_from_dict(version.spec)
        _SPECS[version.id] = cached
    return cached


def restore_workflow(case: Case) -> BpmnWorkflow:
    spec, subprocess_specs = spec_for(case.theme_version)
    return serializer.state_from_dict(case.state, spec, subprocess_specs)


def store_workflow(case: Case, workflow: BpmnWorkflow) -> None:
    case.state = serializer.state_to_dict(workflow)
