"""Where the web app meets the engine: restore a case's workflow and store it back.

A theme version's spec is restored once per process and cached by version id (versions
are immutable, so the cache never goes stale); a case only stores its changing state.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy import inspect

from engine.serialization import CaseStateSerializer

from ..models import Case, ThemeVersion

serializer = CaseStateSerializer()


_SPECS: dict[tuple, tuple] = {}
_MAX_SPECS = 256


def version_key(version: ThemeVersion) -> tuple[str, int, str | None]:
    """A cache key for an immutable theme version: its database, its id and its digest.

    The id alone is not enough once one process talks to two databases (a test suite, an
    admin tool migrating data), or when SQLite hands a rolled-back id out again.
    """
    state = inspect(version, raiseerr=False)  # None for a detached stand-in (tests, tools)
    session = state.session if state is not None else None
    bind = session.get_bind() if session is not None else None
    where = bind.engine.url.render_as_string(hide_password=True) if bind is not None else ""
    return (where, version.id, version.digest)


def spec_for(version: ThemeVersion) -> tuple:
    """(spec, subprocess_specs) of a theme version, restored from its stored JSON once."""
    key = version_key(version)
    cached = _SPECS.get(key)
    if cached is None:
        if len(_SPECS) >= _MAX_SPECS:
            _SPECS.pop(next(iter(_SPECS)))
        cached = serializer.spec_from_dict(version.spec)
        _SPECS[key] = cached
    return cached


def restore_workflow(case: Case) -> BpmnWorkflow:
    spec, subprocess_specs = spec_for(case.theme_version)
    return serializer.state_from_dict(case.state, spec, subprocess_specs)


def store_workflow(case: Case, workflow: BpmnWorkflow) -> None:
    case.state = serializer.state_to_dict(workflow)
