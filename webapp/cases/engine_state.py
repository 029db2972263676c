"""Where a case meets the engine: restore its workflow from the database and store it back.

A theme version's spec is restored once per process (versions are immutable); a case only
stores its changing state. The workflow object is the engine's: the web app passes it to
`engine` functions and never looks inside.
"""

from __future__ import annotations

from typing import Any

from engine.serialization import CaseStateSerializer
from webapp.cases.models import Case
from webapp.process_cache import ProcessCache, version_key
from webapp.themes.models import ThemeVersion

serializer = CaseStateSerializer()
_SPECS: ProcessCache[tuple] = ProcessCache("theme specs")


def spec_for(version: ThemeVersion) -> tuple:
    """(spec, subprocess_specs) of a theme version, restored from its stored JSON once."""
    return _SPECS.get(version_key(version), lambda: serializer.spec_from_dict(version.spec))


def restore_workflow(case: Case) -> Any:
    spec, subprocess_specs = spec_for(case.theme_version)
    return serializer.state_from_dict(case.state, spec, subprocess_specs)


def store_workflow(case: Case, workflow: Any) -> None:
    case.state = serializer.state_to_dict(workflow)
