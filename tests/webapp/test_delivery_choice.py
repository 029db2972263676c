"""统一出件 honours the applicant's choice: the form starts from it, another method needs a
reason (timeline, audit before/after), 电子送达 only when every result is an e-licence."""

from __future__ import annotations

import re

from sqlalchemy import select

from webapp.models import AuditEvent

from .conftest import enterprise_answers
from .test_case_workflow import _accept, _act, _case, _task

LICENCE_NO = "91441322MA4W3Q5K1J"


def delivery_task(login, submit_case, session) -> tuple:
    """A 企业开办 case (chose 邮政寄递) with every item granted, at 统一出件."""
    case_no = submit_case(housing_fund=False)["case_no"]
    window = _accept(login, case_no)
    for name in ("samr", "psb", "tax", "hrss"):
        client = login(name)
        _act(
            client,
            _task(client, case_no)["id"],
            {
                "action": "grant",
                "opinion": "同意",
                "result_no": LICENCE_NO if name == "samr" else "",
            },
        )
    return case_no, window, _task(window, case_no)


def test_the_deliver_form_starts_from_the_applicants_choice(login, submit_case, session):
    case_no, window, task = delivery_task(login, submit_case, session)
    html = window.get(f"/clerk/tasks/{task['id']}").get_data(as_text=True)
    form = html.split('id="deliver-form"')[1].split("</form>")[0]
    assert re.search(r'<option value="post"\s+selected', form)
    assert enterprise_answers()["delivery.address"] in form
    # 印章 and the tax and insurance results are on paper: no 电子送达.
    assert re.search(r'<option value="electronic"[^>]*disabled', form)


def test_electronic_delivery_is_refused_when_a_result_is_on_paper(login, submit_case, session):
    case_no, window, task = delivery_task(login, submit_case, session)
    refused = _act(
        window,
        task["id"],
        {"action": "deliver", "method": "electronic", "reason": "申请人来电要求"},
        status=422,
    )
    assert "不能电子送达" in str(refused) and "企业印章及电子印章" in str(refused)
    assert _case(session, case_no).status == "in_progress"


def test_post_by_default(login, submit_case, session):
    case_no, window, task = delivery_task(login, submit_case, session)
    _act(window, task["id"], {"action": "deliver", "tracking_no": "EMS1234567890"})
    case = _case(session, case_no)
    assert case.status == "completed"
    assert case.delivery["method"] == "post"
    assert case.delivery["address"] == enterprise_answers()["delivery.address"]


def test_another_method_needs_a_reason_shown_and_audited(login, submit_case, session):
    case_no, window, task = delivery_task(login, submit_case, session)
    page = window.post_form(
        f"/clerk/tasks/{task['id']}",
        data={"action": "deliver", "method": "window", "csrf_token": window.csrf},
    )
    assert page.status_code == 422
    field = page.get_data(as_text=True).split('name="reason"')[1].split("</p>")[0]
    assert "改用其他送达方式须填写原因" in field

    _act(
        window,
        task["id"],
        {"action": "deliver", "method": "window", "reason": "申请人来电改为到窗口自取"},
    )
    case = _case(session, case_no)
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.case_id == case.id, AuditEvent.action == "case.completed"
        )
    ).one()
    assert event.before["delivery_method"] == "post"
    assert event.after["delivery_method"] == "window"
    assert event.after["outcome"]["method_change_reason"] == "申请人来电改为到窗口自取"
    timeline = window.get(f"/clerk/cases/{case_no}").get_data(as_text=True)
    assert "送达方式由“邮政寄递”改为“窗口领取”，原因：申请人来电改为到窗口自取" in timeline
