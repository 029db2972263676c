"""Every action is one transaction: a failure after the engine step leaves no half-done case."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from webapp.cases import steps as case_steps
from webapp.models import AuditEvent, Case, CaseTask


def _snapshot(session, case_no):
    session.expire_all()
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    return {
        "status": case.status,
        "state": case.state,
        "row_version": case.row_version,
        "tasks": [(t.bpmn_id, t.status, t.claimed_by_id) for t in case.tasks],
        "events": session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id)
        ),
        "all_tasks": session.scalar(select(func.count()).select_from(CaseTask)),
    }


@pytest.mark.parametrize(
    "payload",
    [{"action": "accept"}, {"action": "refuse", "reason": "不符合受理条件"}],
    ids=["accept", "refuse"],
)
def test_a_failure_between_engine_step_and_commit_changes_nothing(
    login, submit_case, session, monkeypatch, payload
):
    case_no = submit_case()["case_no"]
    window = login("window")
    task = next(t for t in window.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no)
    before = _snapshot(session, case_no)

    def broken(*args, **kwargs):
        raise RuntimeError("injected: the projection write failed")

    # The engine has already moved the case when the projection is synced.
    monkeypatch.setattr(case_steps, "sync_tasks", broken)
    failed = window.post_json(f"/api/tasks/{task['id']}/complete", payload)
    assert failed.status_code == 500
    assert "injected" not in failed.get_data(as_text=True)  # no internals leak to the client
    assert _snapshot(session, case_no) == before

    # With the fault gone the same action goes through once.
    monkeypatch.undo()
    response = window.post_json(f"/api/tasks/{task['id']}/complete", payload)
    assert response.status_code == 200, response.get_json()
    assert _snapshot(session, case_no)["status"] in ("in_progress", "refused")
