"""Fuzzing the API from its own OpenAPI document, once per role (anonymous, applicant, front
desk, approver, analyst, admin): schemathesis generates requests for every operation, valid
and invalid ones, the Flask app answers over WSGI (no network), and no answer may be a 5xx
or a body other than the one the document describes.

Bounded and reproducible: EXAMPLES examples per operation the role may use (REFUSED_EXAMPLES
for the others: they stop at the gate, a few show the refusal's body), derandomized, no
shrinking and no example database. A role logs in through the login form like a browser;
everything its requests change is rolled back with the test's transaction (`db`).

schemathesis is driven through its Python API (`APIOperation.as_strategy`) rather than its
pytest plugin, whose fixture-based loader does not run on pytest 9.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import select

from webapp import access_policy
from webapp.models import CaseTask, TaskStatus, ThemeDraft, User

from .test_case_workflow import _accept

ROLES = {
    "anonymous": None,
    "applicant": "zhangsan",
    "front_desk": "window",
    "approver": "samr",
    "analyst": "analyst",
    "admin": "admin",
}
CHECKS = [not_a_server_error, response_schema_conformance]
EXAMPLES = 50
REFUSED_EXAMPLES = 5


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture
def known_ids(session, login, submit_case) -> dict[str, list]:
    """Path parameters that name real rows, so requests reach past "not found": a case
    waiting at the front desk, one in the departments, and their open tasks."""
    waiting = submit_case()["case_no"]
    approving = submit_case(housing_fund=False)["case_no"]
    _accept(login, approving)
    session.expire_all()
    tasks = session.scalars(select(CaseTask.id).where(CaseTask.status == TaskStatus.OPEN))
    drafts = session.scalars(select(ThemeDraft.id).order_by(ThemeDraft.id.desc()).limit(2))
    return {
        "case_no": [waiting, approving],
        "task_id": sorted(tasks),
        "code": ["enterprise-opening", "newborn"],
        "draft_id": sorted(drafts),
    }


def _credentials(login, username: str | None) -> dict:
    """The session cookie and CSRF header a browser has after the login form."""
    if username is None:
        return {}
    client = login(username)
    cookie = client.client.get_cookie("session")
    return {"cookies": {cookie.key: cookie.value}, "headers": {"X-CSRFToken": client.csrf}}


def _examples(app, operation, user: User | None) -> int:
    """The full budget where the role passes the view's gate, a few refusals elsewhere."""
    path = re.sub(r"\{\w+\}", "1", operation.path)
    endpoint, _ = app.url_map.bind("localhost").match(path, method=operation.method.upper())
    function = getattr(app.view_functions[endpoint], "required_function", None)
    if function is None:  # public (the notice)
        return EXAMPLES
    allowed = user is not None and access_policy.may_use(user, function)
    return EXAMPLES if allowed else REFUSED_EXAMPLES


def _strategy(operation, known: dict[str, list]):
    """Requests that fit the document and requests that do not, and fitting ones that
    name the real rows of `known`."""
    names = [p.name for p in operation.path_parameters]
    fixed = [
        {name: known[name][i % len(known[name])] for name in names if known.get(name)}
        for i in range(max((len(known.get(n, [])) for n in names), default=0))
    ]
    strategies = [operation.as_strategy(mode) for mode in GenerationMode]
    if fixed:
        strategies.append(
            st.sampled_from(fixed).flatmap(
                lambda values: operation.as_strategy(path_parameters=values)
            )
        )
    return st.one_of(strategies)


@pytest.mark.parametrize("role", ROLES)
def test_no_server_error_and_every_body_as_documented(app, session, login, known_ids, role):
    username = ROLES[role]
    credential = _credentials(login, username)
    user = (
        session.scalars(select(User).where(User.username == username)).one() if username else None
    )
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15  # the document was read

    failures = {}
    for operation in operations:

        @_settings(_examples(app, operation, user))
        @given(case=_strategy(operation, known_ids))
        def request_as_role(case):
            response = case.call(**credential)
            case.validate_response(response, checks=CHECKS, headers=credential.get("headers"))

        try:
            request_as_role()
        except (Exception, BaseExceptionGroup) as failure:  # all failures, each operation
            failures[operation.label] = str(failure)
    if failures:
        pytest.fail(
            "\n\n".join(f"{label} as {role}:\n{text}" for label, text in failures.items()),
            pytrace=False,
        )
