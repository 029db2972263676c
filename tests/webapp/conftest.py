from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import delete, select, text

from webapp.accounts.users import DEMO_PASSWORD
from webapp.models import (
    AuditChainHead,
    AuditEvent,
    Case,
    CaseComment,
    CaseParty,
    CaseTask,
    ELicence,
    Instrument,
    MaterialFile,
    MaterialGap,
    Message,
    OutboxMessage,
    PaperMaterial,
)

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "processes"
    / "themes"
    / "enterprise-opening"
    / "sample-application.yaml"
)
LEGAL_REP_ID = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))["legal_rep.id_number"]


def enterprise_answers(*, housing_fund: bool = True) -> dict:
    """The shipped valid 企业开办 application, with or without 公积金."""
    answers = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    # Without 公积金 its fields are hidden, and hidden fields are ignored, never stored.
    answers["housing_fund.needed"] = housing_fund
    return answers


def form_fields(answers: dict) -> list[tuple[str, str]]:
    """Answers as a browser posts the one form: a yes/no question's checked radio button
    ("true" for 是, "false" for 否), the ticked boxes of a multiple choice, `group[i].sub`
    for rows. An unanswered question (no key) posts nothing."""
    fields = []
    for key, value in answers.items():
        if isinstance(value, bool):
            fields.append((key, "true" if value else "false"))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, row in enumerate(value):
                fields.extend((f"{key}[{i}].{sub}", str(v)) for sub, v in row.items())
        elif isinstance(value, list):
            fields.extend((key, v) for v in value)
        else:
            fields.append((key, str(value)))
    return fields


@pytest.fixture
def answers():
    return enterprise_answers()


@pytest.fixture
def submit_case(login):
    """Submit a valid 企业开办 application as `username`; returns the case JSON."""

    def _submit(username: str = "zhangsan", housing_fund: bool = True) -> dict:
        client = login(username)
        response = client.post_json(
            "/api/cases/",
            {
                "theme": "enterprise-opening",
                "answers": enterprise_answers(housing_fund=housing_fund),
            },
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return _submit


# --- committed data, for tests where several connections must see each other's work ----


def committed_client(app, username: str):
    """A logged-in test client that works outside the per-test rollback (`db`): what it
    does is committed. Returns the client and its CSRF token."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    assert (
        client.post(
            "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )
    return client, token


@pytest.fixture
def committed_cases(app):
    """Case numbers created with real commits; removed again afterwards."""
    created: list[str] = []
    yield created
    database = app.extensions["yjs_db"]
    with database.session_factory() as session:
        ids = list(session.scalars(select(Case.id).where(Case.case_no.in_(created))))
        purge_cases(session, ids)
        session.commit()


def purge_cases(session, case_ids: list[int]) -> None:
    """Remove committed test cases with everything hanging off them. The audit trail is
    append-only and instruments are immutable (triggers on PostgreSQL refuse DELETE): only a
    superuser's maintenance session, with triggers off for its transaction, may take events
    and instruments out, chain heads too."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
    session.execute(delete(AuditEvent).where(AuditEvent.case_id.in_(case_ids)))
    chains = [f"case:{i}" for i in case_ids]
    session.execute(delete(AuditChainHead).where(AuditChainHead.chain.in_(chains)))
    for model in (
        Instrument, MaterialGap, MaterialFile, PaperMaterial, CaseComment, ELicence, CaseTask,
        CaseParty, OutboxMessage, Message,
    ):  # fmt: skip
        session.execute(delete(model).where(model.case_id.in_(case_ids)))
    session.execute(delete(Case).where(Case.id.in_(case_ids)))


# --- applicants who registered themselves ---------------------------------------------

HOUSING_SAMPLE = SAMPLE.parents[1] / "second-hand-housing" / "sample-application.yaml"
PASSWORD = "my-own-password-2026"  # noqa: S105 - a test applicant's password


def housing_answers() -> dict:
    """The shipped 二手房 joint application: 李国强 and 王秀兰 sell to 陈志明 and 刘丽."""
    return yaml.safe_load(HOUSING_SAMPLE.read_text(encoding="utf-8"))


def last_code_sent_to(app, session, mobile: str) -> str:
    """Deliver the outbox through the file channel (as the worker does) and read the
    newest verification code the phone received."""
    from webapp.notifications import delivery
    from webapp.notifications.sms import LogSmsChannel

    channel = LogSmsChannel(app.config["SMS_LOG_FILE"])
    while delivery.deliver_next(session, channel):
        pass
    session.commit()
    lines = app.config["SMS_LOG_FILE"].read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if json.loads(line)["to"] == mobile]
    codes = [m.group(1) for t in texts if (m := re.search(r"验证码为(\d{6})", t))]
    assert codes, f"no code was sent to {mobile}"
    return codes[-1]


@pytest.fixture
def register(app, db):
    """Register an applicant through the pages (code read from the SMS file); returns the
    logged-in client."""
    from tests.conftest import UserClient, _csrf_from

    def _register(name: str, id_number: str, mobile: str) -> UserClient:
        client = app.test_client()
        csrf = _csrf_from(client.get("/register").get_data(as_text=True))
        person = {"name": name, "id_number": id_number, "mobile": mobile, "csrf_token": csrf}
        sent = client.post("/register/code", data=person)
        assert sent.status_code == 200, sent.get_data(as_text=True)[:800]
        with db() as session:
            code = last_code_sent_to(app, session, mobile)
        done = client.post(
            "/register",
            data={**person, "code": code, "password": PASSWORD, "confirm_password": PASSWORD},
        )
        assert done.status_code == 302, done.get_data(as_text=True)[:800]
        return UserClient(app.test_client(), mobile).login(PASSWORD)

    return _register
