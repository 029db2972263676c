"""Case state in the database: Chinese kept as UTF-8, and a round trip through PostgreSQL
jsonb (which reorders keys) loses nothing (SpiffWorkflow's delta task-data format depends on
key order)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from webapp.cases.engine_state import restore_workflow, serializer
from webapp.models import Case


def _raw_json(session, table, column, row_id) -> str:
    cast = "::text" if session.get_bind().dialect.name == "postgresql" else ""
    return session.execute(
        text(f"SELECT {column}{cast} FROM {table} WHERE id = :id"), {"id": row_id}
    ).scalar_one()


def test_json_documents_keep_chinese_as_utf8(login, submit_case, session):
    case_no = submit_case()["case_no"]
    window = login("window")
    task = next(t for t in window.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no)
    window.post_json(f"/api/tasks/{task['id']}/complete", {"opinion": "材料齐全，予以受理"})
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    outcome = _raw_json(session, "case_tasks", "outcome", task["id"])
    assert "材料齐全，予以受理" in outcome
    assert "\\u6750" not in outcome  # not escaped to \\uXXXX
    answers = _raw_json(session, "cases", "answers", case.id)
    assert "博罗县青禾餐饮管理有限公司" in answers
    # The engine keeps only the decision; the clerk's words live in the task row.
    assert '"Task_Accept_decision": "accepted"' in _raw_json(session, "cases", "state", case.id)


def test_jsonb_reorders_keys_and_cases_still_complete(login, submit_case, session, is_postgres):
    if not is_postgres:
        pytest.skip("jsonb exists only on PostgreSQL (set YJS_TEST_DATABASE_URL)")
    case_no = submit_case()["case_no"]
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    stored_order = list(json.loads(_raw_json(session, "cases", "state", case.id)).keys())
    engine_order = list(serializer.state_to_dict(restore_workflow(case)).keys())
    assert sorted(stored_order) == sorted(engine_order)
    assert stored_order != engine_order  # jsonb handed the keys back in its own order
    assert (
        session.execute(
            text("SELECT jsonb_typeof(state) FROM cases WHERE id = :id"), {"id": case.id}
        ).scalar_one()
        == "object"
    )

    # Drive the case to the end; every step restores the state from jsonb.
    clients = {u: login(u) for u in ("window", "samr", "psb", "tax", "hrss", "hf")}
    for _ in range(20):
        progressed = False
        for client in clients.values():
            for task in client.get("/api/tasks/").get_json()["tasks"]:
                if task["case_no"] != case_no:
                    continue
                payload = (
                    {"tracking_no": "EMS1234567890"}  # as the applicant chose: post
                    if task["kind"] == "delivery"
                    else {"opinion": "同意", "result_no": "91441322MA5XXXXXX2"}
                )
                response = client.post_json(f"/api/tasks/{task['id']}/complete", payload)
                assert response.status_code == 200, response.get_json()
                progressed = True
        if not progressed:
            break
    result = login("zhangsan").get(f"/api/cases/{case_no}").get_json()
    assert result["status"] == "completed"
