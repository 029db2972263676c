"""Hostile input is a 4xx with a Chinese message, never a 500 and never stored: ids the
database cannot hold, control characters in any text, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import re

import pytest
from marshmallow import Schema, fields
from sqlalchemy import func, select

from webapp.access_policy import Function
from webapp.accounts.users import DEMO_PASSWORD
from webapp.models import ApplicationDraft, Case, CaseComment, ThemeDraft
from webapp.views import api_views, inputs

from .conftest import enterprise_answers, form_fields
from .test_case_workflow import _accept, _task

# Every id column is a 32-bit signed INTEGER on PostgreSQL; SQLite overflows past 2**63.
BEYOND_INT32 = 2**31
BEYOND_INT64 = 99999999999999999999
USER_FOR = {
    Function.APPLY: "zhangsan",
    Function.ANY_ACCOUNT: "zhangsan",
    Function.WORKBENCH: "window",
    Function.FRONT_DESK: "window",
    Function.MODEL: "analyst",
    Function.PUBLISH: "admin",
}
ID_ARGUMENT = re.compile(r"<int:\w+>")
OTHER_ARGUMENT = re.compile(r"<(?:\w+:)?\w+>")
CONTROL = "不能包含控制字符或无效字符"


def _id_routes(app) -> list[tuple[str, str, str]]:
    """(method, URL template, username) for every route with an id, from the URL map."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not ID_ARGUMENT.search(rule.rule):
            continue
        function = getattr(app.view_functions[rule.endpoint], "required_function", None)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, rule.rule, USER_FOR.get(function, "zhangsan")))
    return routes


@pytest.mark.parametrize("number", [BEYOND_INT32, BEYOND_INT64])
def test_an_id_beyond_the_database_range_is_not_found_on_every_route(app, login, number):
    routes = _id_routes(app)
    assert len(routes) >= 10  # the URL map really was read
    clients = {}
    answers = {}
    for method, template, username in routes:
        client = clients.get(username) or clients.setdefault(username, login(username))
        url = OTHER_ARGUMENT.sub("enterprise-opening", ID_ARGUMENT.sub(str(number), template))
        if method == "GET":
            response = client.get(url)
        elif url.startswith("/api/"):
            response = client.post_json(url, {})
        else:
            response = client.post_form(url, {})
        answers[f"{method} {url}"] = response.status_code
    assert {url: status for url, status in answers.items() if status != 404} == {}


def test_an_assignee_or_cursor_beyond_the_database_range_is_refused(login, submit_case):
    case_no = submit_case()["case_no"]
    window = login("window")
    task = _task(window, case_no)
    api = window.post_json(f"/api/tasks/{task['id']}/assign", {"assignee": BEYOND_INT64})
    assert api.status_code == 422, api.get_json()
    page = window.post_form(f"/clerk/tasks/{task['id']}/assign", {"assignee": str(BEYOND_INT32)})
    assert page.status_code == 422
    # A cursor that is not one of ours is ignored: the first page, never a 500.
    for cursor in (f"2026-01-05T09:00:00+08:00|{BEYOND_INT64}", "0001-01-01T00:00:00+05:00|1"):
        listed = window.get("/api/tasks/", query_string={"after": cursor})
        assert listed.status_code == 200, listed.get_json()
        assert case_no in {t["case_no"] for t in listed.get_json()["tasks"]}


# --- control characters ---------------------------------------------------------------


def _input_schemas() -> list[type[Schema]]:
    declared = {id(s): s for s in [*vars(inputs).values(), *vars(api_views).values()]}
    return [
        s
        for s in declared.values()
        if isinstance(s, type)
        and issubclass(s, inputs.StrictSchema)
        and s is not inputs.StrictSchema
        and not s.__name__.endswith("Out")
    ]


def _string_fields(schema: Schema):
    for name, field in schema.fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.String):
            yield name, inner


def test_every_text_input_is_one_text_field():
    schemas = _input_schemas()
    assert {"AcceptInput", "CommentInput", "SubmitIn", "LoginInput"} <= {
        s.__name__ for s in schemas
    }
    plain = [
        f"{s.__name__}.{name}"
        for s in schemas
        for name, field in _string_fields(s())
        if not isinstance(field, inputs.Text)
    ]
    assert plain == []


@pytest.mark.parametrize("schema", _input_schemas(), ids=lambda s: s.__name__)
def test_each_text_input_refuses_control_characters_in_chinese(schema):
    for _name, field in _string_fields(schema()):
        with pytest.raises(Exception) as refused:
            field.deserialize("甲\x00乙")
        assert CONTROL in str(refused.value)
        with pytest.raises(Exception) as refused:
            field.deserialize("甲\x1b[31m乙")
        assert CONTROL in str(refused.value)
        # Line breaks and tabs are text where several lines are allowed, and only there.
        if field.multiline:
            assert field.deserialize("第一行\r\n\t第二行") == "第一行\r\n\t第二行"
        else:
            with pytest.raises(Exception, match=CONTROL):
                field.deserialize("甲\n乙")


def test_an_application_with_a_control_character_is_refused_and_not_stored(login, session):
    applicant = login("zhangsan")
    before = session.scalar(select(func.count()).select_from(Case))
    answers = {**enterprise_answers(), "applicant.name": "张\x00三"}
    api = applicant.post_json("/api/cases/", {"theme": "enterprise-opening", "answers": answers})
    assert api.status_code == 422
    assert {"key": "applicant.name", "message": f"申请人姓名{CONTROL}", "code": "control"} in (
        api.get_json()["errors"]
    )
    page = applicant.post_form(
        "/applicant/apply/enterprise-opening", form_fields({**answers, "applicant.name": "\x07"})
    )
    assert page.status_code == 422
    assert f"申请人姓名{CONTROL}" in page.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Case)) == before


def test_a_draft_with_a_control_character_is_refused_and_not_stored(login, session):
    applicant = login("zhangsan")
    answers = {**enterprise_answers(), "enterprise.business_scope": "餐饮\x00服务"}
    response = applicant.post_form(
        "/applicant/apply/enterprise-opening/draft", form_fields(answers)
    )
    assert response.status_code == 422
    assert f"草稿中“经营范围”{CONTROL}" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(ApplicationDraft)) == 0


def test_opinions_and_comments_refuse_control_characters(login, submit_case, session):
    case_no = submit_case()["case_no"]
    window = login("window")
    task = _task(window, case_no)
    api = window.post_json(f"/api/tasks/{task['id']}/actions/accept", {"opinion": "同意\x00"})
    assert api.status_code == 422
    assert CONTROL in str(api.get_json()["errors"])
    page = window.post_form(f"/clerk/tasks/{task['id']}", {"action": "accept", "opinion": "\x08"})
    assert page.status_code == 422 and CONTROL in page.get_data(as_text=True)
    comment = window.post_form(f"/clerk/cases/{case_no}/comments", {"body": "备注\x00"})
    assert comment.status_code == 422 and CONTROL in comment.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(CaseComment)) == 0
    # Several lines are fine where several lines are asked for.
    _accept(login, case_no)
    samr = login("samr")
    granted = samr.post_json(
        f"/api/tasks/{_task(samr, case_no)['id']}/actions/grant",
        {"opinion": "同意。\r\n\t材料齐全", "result_no": "91441322MA4W3Q5K1J"},
    )
    assert granted.status_code == 200, granted.get_json()


def test_a_diagram_with_a_control_character_is_refused_and_not_kept(login, session):
    analyst = login("analyst")
    before = session.scalar(select(func.count()).select_from(ThemeDraft))
    for url in (
        "/api/themes/enterprise-opening/drafts",
        "/api/themes/enterprise-opening/drafts/guidance",
    ):
        response = analyst.post_xml(url, "<?xml version='1.0'?><definitions>\x00</definitions>")
        assert response.status_code == 422, response.get_json()
        assert CONTROL in response.get_json()["message"]
    assert session.scalar(select(func.count()).select_from(ThemeDraft)) == before


@pytest.mark.parametrize(
    ("username", "url", "status"),
    [
        ("zhangsan", "/api/cases/%00", 404),
        ("zhangsan", "/applicant/cases/%00", 404),
        ("zhangsan", "/api/themes/%00/notice", 404),
        ("zhangsan", "/notice/enterprise-opening%1b", 404),
        ("zhangsan", "/applicant/apply/%00", 404),
        ("window", "/clerk/cases/%00", 404),
        ("window", "/api/tasks/?theme=%00", 422),
        ("analyst", "/modeler/themes/%00", 404),
        (None, "/api/themes/enterprise-opening/notice?housing_fund.needed=%00", 422),
    ],
)
def test_control_characters_in_urls_are_refused(app, login, username, url, status):
    client = login(username) if username else app.test_client()
    assert client.get(url).status_code == status


def test_control_characters_at_login_are_refused(app, db):
    client = app.test_client()
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").text)[1]
    username = client.post(
        "/login", data={"username": "zhang\x00san", "password": "x", "csrf_token": csrf}
    )
    assert username.status_code == 422 and CONTROL in username.text
    # A line break in the redirect target would split the Location header.
    target = {
        "username": "zhangsan",
        "password": DEMO_PASSWORD,
        "next": "/\r\nX-Injected: 1",
        "csrf_token": csrf,
    }
    assert client.post("/login", data=target).status_code == 422


def test_a_json_body_nested_too_deeply_is_a_bad_request(login, submit_case):
    # Python's json parser recurses once per level: ten kilobytes of brackets used to be a
    # RecursionError (500) on both ways a body is read.
    deep = "[" * 5000 + "]" * 5000
    applicant = login("zhangsan")
    for body in (deep, '{"theme": "enterprise-opening", "answers": {"a": ' + deep + "}}"):
        response = applicant.client.post(
            "/api/cases/",
            data=body,
            content_type="application/json",
            headers={"X-CSRFToken": applicant.csrf},
        )
        assert response.status_code == 400, response.get_json()
        assert response.get_json()["code"] == "bad_request"
    window = login("window")
    task = _task(window, submit_case()["case_no"])
    # `complete` reads its body with get_json(silent=True): not a JSON object, a 422.
    for path, status in (("complete", 422), ("actions/accept", 400)):
        response = window.client.post(
            f"/api/tasks/{task['id']}/{path}",
            data=deep,
            content_type="application/json",
            headers={"X-CSRFToken": window.csrf},
        )
        assert response.status_code == status, response.get_json()
