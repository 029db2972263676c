"""Every view checks the role: roles × URLs, and anonymous users are sent to log in."""

from __future__ import annotations

import pytest

PAGES = {
    "/applicant/": {"zhangsan"},
    "/applicant/apply/enterprise-opening": {"zhangsan"},
    "/clerk/": {"window", "samr", "psb"},
    "/modeler/": {"analyst", "admin"},
    "/modeler/themes/enterprise-opening": {"analyst", "admin"},
    "/modeler/themes/enterprise-opening/diagram.bpmn": {"analyst", "admin"},
    "/admin/": {"admin"},
    "/api/tasks/": {"window", "samr", "psb"},
}
USERS = ["zhangsan", "window", "samr", "psb", "analyst", "admin"]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("username", USERS)
def test_role_matrix(login, url, username):
    status = login(username).get(url).status_code
    assert status == (200 if username in PAGES[url] else 403)


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_asked_to_log_in(app, db, url):
    response = app.test_client().get(url)
    if url.startswith("/api/"):
        assert response.status_code == 401
        assert response.get_json()["message"] == "请先登录"
    else:
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


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
    task = next(
        t for t in login("window").get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no
    )
    assert login("window").get(f"/clerk/tasks/{task['id']}").status_code == 200
    assert login("psb").get(f"/clerk/tasks/{task['id']}").status_code == 404
    assert login("psb").get(f"/clerk/tasks/{task['id']}/diagram.bpmn").status_code == 404
