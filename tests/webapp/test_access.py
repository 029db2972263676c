"""Access beyond the route table (test_access_matrix.py): CSRF, bad passwords, and a task
page of another department."""

from __future__ import annotations

import pytest


def test_forms_without_csrf_token_are_refused(app, db):
    client = app.test_client()
    response = client.post("/login", data={"username": "zhangsan", "password": "x"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_wrong_password_is_refused_in_chinese(login):
    with pytest.raises(AssertionError):
        login("zhangsan", password="not-the-password")


def test_clerk_cannot_open_another_departments_task_page(login, submit_case):
    case_no = submit_case()["case_no"]
    window, psb = login("window"), login("psb")
    task = next(t for t in window.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no)
    assert window.get(f"/clerk/tasks/{task['id']}").status_code == 200
    assert psb.get(f"/clerk/tasks/{task['id']}").status_code == 404
    # Nor its case's diagram: before acceptance only the front desk has a task, so PSB is not
    # involved yet. The window's 200 shows the URL is a route, so the 404 is a refusal.
    diagram = f"/clerk/cases/{case_no}/diagram.bpmn"
    assert window.get(diagram).status_code == 200
    assert psb.get(diagram).status_code == 404
