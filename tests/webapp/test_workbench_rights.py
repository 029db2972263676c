"""What the workbench lets a clerk do is what the access policy says, on the page and in the
API alike: a departed colleague's claim, several roles in one account, tasks outside BPMN,
and each action's own input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from webapp.accounts.models import Department, Role, User
from webapp.accounts.users import grant_role
from webapp.cases.models import Case, TaskKind
from webapp.cases.tasks import open_task

from .test_case_workflow import _accept, _act, _task

# A 营业执照 number is a 统一社会信用代码 with its GB 32100 check digit.
LICENCE_NO = "91441322MA4X0004XB"


def _user(session, username) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def _registration_claimed_by_samr2(login, submit_case) -> tuple[str, dict]:
    case_no = submit_case()["case_no"]
    _accept(login, case_no)
    samr2 = login("samr2")
    task = _task(samr2, case_no)
    assert samr2.post_json(f"/api/tasks/{task['id']}/claim").status_code == 200
    return case_no, task


def test_a_colleagues_claim_blocks_page_and_api_alike(login, submit_case):
    _case_no, task = _registration_claimed_by_samr2(login, submit_case)
    samr = login("samr")
    page = samr.get(f"/clerk/tasks/{task['id']}").get_data(as_text=True)
    assert "该任务已由钱审批认领" in page
    assert 'id="grant-form"' not in page and 'id="claim"' not in page
    refused = samr.post_json(
        f"/api/tasks/{task['id']}/complete", {"action": "grant", "opinion": "同意"}
    )
    assert refused.status_code == 409


def test_a_departed_colleagues_claim_no_longer_blocks_page_or_api(login, submit_case, session):
    case_no, task = _registration_claimed_by_samr2(login, submit_case)
    _user(session, "samr2").active = False  # left the department
    session.commit()
    samr = login("samr")
    page = samr.get(f"/clerk/tasks/{task['id']}").get_data(as_text=True)
    # The page offers what the API allows: take the task over, or decide it at once.
    assert 'id="grant-form"' in page and 'id="claim"' in page
    assert "该任务已由" not in page
    _act(
        samr, task["id"], {"action": "grant", "opinion": "同意", "result_no": "91441322MA4X0003XA"}
    )
    assert _task(login("psb"), case_no)["name"]  # the case moved on to the next department


def test_one_account_with_two_roles_works_both_inboxes(login, submit_case, session):
    case_no = submit_case()["case_no"]
    grant_role(session, None, _user(session, "samr"), Role.FRONT_DESK, "FRONT_DESK")
    session.commit()
    samr = login("samr")
    acceptance = _task(samr, case_no)  # the window's task, seen through the second role
    assert acceptance["kind"] == "acceptance"
    _act(samr, acceptance["id"], {"action": "accept"})
    assert _task(samr, case_no)["kind"] == "item"  # and its SAMR task, through the first
    page = samr.get("/clerk/").get_data(as_text=True)
    assert "综合窗口" in page and "市场监管" in page


def test_a_task_outside_bpmn_lives_in_the_same_inbox_and_survives_engine_steps(
    login, submit_case, session
):
    case_no = submit_case()["case_no"]
    _accept(login, case_no)
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    samr_department = session.scalars(select(Department).where(Department.code == "SAMR")).one()
    at = dt.datetime.now(dt.UTC)
    rectification = open_task(
        session,
        case,
        kind=TaskKind.RECTIFICATION,
        name="差评整改",
        department=samr_department,
        allowed_days=Decimal(5),
        at=at,
        subject={"rating": "不满意"},
    )
    session.commit()
    assert rectification.engine_task_id is None and rectification.bpmn_id is None
    assert rectification.due_at > at and rectification.yellow_at < rectification.due_at

    samr = login("samr")
    tasks = {t["kind"]: t for t in samr.get("/api/tasks/").get_json()["tasks"]}
    assert tasks["rectification"]["case_no"] == case_no
    assert tasks["rectification"]["due_at"] is not None
    # An engine step of the same case syncs the BPMN tasks and leaves this one alone.
    _act(samr, tasks["item"]["id"], {"action": "grant", "opinion": "同意", "result_no": LICENCE_NO})
    session.expire_all()
    assert session.get(type(rectification), rectification.id).status == "open"


def test_each_action_has_its_own_endpoint_and_documented_input(login, submit_case):
    spec = login("window").get("/api/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    refuse = spec["paths"]["/api/tasks/{task_id}/actions/refuse"]["post"]
    ref = refuse["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schemas[ref.rsplit("/", 1)[1]]["required"] == ["reason"]
    deliver = spec["paths"]["/api/tasks/{task_id}/actions/deliver"]["post"]
    ref = deliver["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    # The method defaults to the applicant's choice; another one needs a reason.
    assert "required" not in schemas[ref.rsplit("/", 1)[1]]
    assert set(schemas[ref.rsplit("/", 1)[1]]["properties"]) == {
        "method", "tracking_no", "note", "reason",
    }  # fmt: skip

    case_no = submit_case()["case_no"]
    window = login("window")
    task = _task(window, case_no)
    missing = window.post_json(f"/api/tasks/{task['id']}/actions/refuse", {})
    assert missing.status_code == 422 and "reason" in missing.get_json()["errors"]["json"]
    done = window.post_json(f"/api/tasks/{task['id']}/actions/refuse", {"reason": "不符合条件"})
    assert done.status_code == 200, done.get_json()
    assert window.get(f"/api/cases/{case_no}").get_json()["status"] == "refused"
