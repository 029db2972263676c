"""Front desk and back office actions over HTTP: 受理, 不予受理, 补正, 容缺, claim/assign,
准予 with e-licence, 不予 with the theme's denial policy, 统一出件 — each with its audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from webapp.clock import CHINA_TZ
from webapp.models import AuditEvent, Case, ELicence, TaskStatus, User

from .conftest import LEGAL_REP_ID


def _tasks(client, case_no, view="all"):
    response = client.get(f"/api/tasks/?view={view}")
    assert response.status_code == 200, response.get_json()
    return [t for t in response.get_json()["tasks"] if t["case_no"] == case_no]


def _task(client, case_no):
    tasks = _tasks(client, case_no)
    assert len(tasks) == 1, tasks
    return tasks[0]


def _act(client, task_id, payload, status=200):
    response = client.post_json(f"/api/tasks/{task_id}/complete", payload)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def _case(session, case_no) -> Case:
    session.expire_all()
    return session.scalars(select(Case).where(Case.case_no == case_no)).one()


def _actions(session, case) -> list[str]:
    """The case's events, without the instruments (文书) each act issues (tested apart)."""
    stmt = select(AuditEvent.action).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
    return [a for a in session.scalars(stmt) if a != "instrument.issued"]


def _accept(login, case_no):
    window = login("window")
    _act(window, _task(window, case_no)["id"], {"action": "accept", "opinion": "予以受理"})
    return window


def test_accept_starts_back_office_with_due_dates_and_a_promised_date(login, submit_case, session):
    case_no = submit_case()["case_no"]
    _accept(login, case_no)
    case = _case(session, case_no)
    assert case.status == "in_progress"
    assert case.promised_at is not None and case.promised_at > case.accepted_at
    registration = _task(login("samr"), case_no)
    due = dt.datetime.fromisoformat(registration["due_at"])
    assert due > case.accepted_at
    assert registration["card"] == "none"
    # The whole promise is longer than the first item's own limit (serial steps add up).
    assert case.promised_at > due


def test_refusal_ends_the_case_and_the_applicant_sees_the_reason(login, submit_case, session):
    case_no = submit_case()["case_no"]
    window = login("window")
    task = _task(window, case_no)
    _act(window, task["id"], {"action": "refuse"}, status=422)  # a reason is required
    _act(
        window,
        task["id"],
        {"action": "refuse", "reason": "经营范围含需前置审批的项目，请先取得许可"},
    )
    case = _case(session, case_no)
    assert case.status == "refused"
    assert _tasks(window, case_no) == []
    assert _tasks(login("samr"), case_no) == []
    page = login("zhangsan").get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    assert "不予受理" in page and "请先取得许可" in page
    assert _actions(session, case)[-1] == "case.refused"
    # A refused case takes no more actions.
    _act(window, task["id"], {"action": "accept"}, status=409)


def test_correction_pauses_the_clock_and_comes_back_to_the_same_clerk(login, submit_case, session):
    case_no = submit_case()["case_no"]
    window = login("window")
    task = _task(window, case_no)
    before_due = dt.datetime.fromisoformat(task["due_at"])
    _act(
        window,
        task["id"],
        {
            "action": "correct",
            "fields": ["legal_rep.mobile", "enterprise.address.detail"],
            "materials": ["CL-GSZC"],
            "note": "住所门牌号与租赁合同不一致",
        },
    )
    case = _case(session, case_no)
    assert case.status == "correction"
    assert [f["label"] for f in case.correction["fields"]] == ["法定代表人手机号", "住所详细地址"]
    assert case.pauses[-1]["reason"] == "correction" and case.pauses[-1]["end"] is None
    # The window no longer has it as a to-do while the applicant corrects.
    assert _tasks(window, case_no) == []

    applicant = login("zhangsan")
    page = applicant.get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    assert "住所门牌号与租赁合同不一致" in page and "去补正" in page
    form = applicant.get(f"/applicant/cases/{case_no}/correct").get_data(as_text=True)
    assert 'name="legal_rep.mobile"' in form and 'name="legal_rep.id_number"' not in form

    # An invalid mobile: field error, nothing changes.
    bad = applicant.post_form(
        f"/applicant/cases/{case_no}/correct",
        {"legal_rep.mobile": "12345", "enterprise.address.detail": "罗阳街道北门路18号203房"},
    )
    assert bad.status_code == 422
    assert "手机号" in bad.get_data(as_text=True)
    assert _case(session, case_no).status == "correction"

    # The correction asks for 公司章程 again: the applicant will bring it on paper.
    declared = applicant.post_form(
        f"/applicant/cases/{case_no}/materials/paper",
        {"material": "CL-GSZC", "on_paper": "true", "back": "correct"},
    )
    assert declared.status_code == 302
    good = applicant.post_form(
        f"/applicant/cases/{case_no}/correct",
        {"legal_rep.mobile": "13900001111", "enterprise.address.detail": "罗阳街道北门路18号203房"},
    )
    assert good.status_code == 302
    case = _case(session, case_no)
    assert case.status == "submitted"
    assert case.answers["legal_rep.mobile"] == "13900001111"
    assert case.answers["legal_rep.id_number"] == LEGAL_REP_ID  # untouched fields stay
    assert case.pauses[-1]["end"] is not None
    back = _task(window, case_no)
    assert back["id"] == task["id"] and back["claimed_by"] == "王窗口"
    assert dt.datetime.fromisoformat(back["due_at"]) >= before_due
    # The other window clerk cannot take it over from the clerk who asked.
    _act(login("window2"), task["id"], {"action": "accept"}, status=409)
    _act(window, task["id"], {"action": "accept"})
    actions = _actions(session, case)
    assert actions.index("case.correction_requested") < actions.index("clock.paused")
    assert actions.index("case.resubmitted") < actions.index("case.accepted")


def test_accept_with_gap_holds_the_result_until_the_material_arrives(login, submit_case, session):
    case_no = submit_case(housing_fund=False)["case_no"]
    window = login("window")
    task = _task(window, case_no)
    tomorrow = (dt.datetime.now(CHINA_TZ).date() + dt.timedelta(days=3)).isoformat()
    # Only catalog-marked materials may be missing.
    refused = _act(
        window,
        task["id"],
        {"action": "accept_with_gap", "gaps": [{"material": "CL-GSZC", "promised_date": tomorrow}]},
        status=422,
    )
    assert "不允许容缺" in str(refused)
    _act(
        window,
        task["id"],
        {
            "action": "accept_with_gap",
            "gaps": [{"material": "CL-SQWTS", "promised_date": tomorrow}],
        },
    )
    case = _case(session, case_no)
    assert case.status == "in_progress"
    assert [g.material_name for g in case.gaps] == ["授权委托书"]

    for name in ("samr", "psb", "tax", "hrss"):
        client = login(name)
        _act(
            client,
            _task(client, case_no)["id"],
            {"action": "grant", "opinion": "同意", "result_no": "91441322MA0000001W"},
        )
    deliver = _task(window, case_no)
    held = _act(window, deliver["id"], {"action": "deliver", "method": "window"}, status=409)
    assert "容缺材料尚未补齐" in held["message"]
    case = _case(session, case_no)
    assert case.pauses[-1]["reason"] == "gap" and case.pauses[-1]["end"] is None

    page = window.get(f"/clerk/cases/{case_no}").get_data(as_text=True)
    assert "结果暂缓出件" in page
    received = window.post_form(f"/clerk/gaps/{case.gaps[0].id}/received")
    assert received.status_code == 302
    _act(window, deliver["id"], {"action": "deliver", "method": "post"}, status=422)
    _act(
        window,
        deliver["id"],
        {"action": "deliver", "method": "post", "tracking_no": "SF1234567890"},
    )
    case = _case(session, case_no)
    assert case.status == "completed"
    assert case.delivery["tracking_no"] == "SF1234567890"
    assert {r["item"] for r in case.delivery["results"]} == {
        "SAMR-QYSLDJ", "PSB-GZKZBA", "TAX-SSSXBL", "HRSS-DWCBDJ",
    }  # fmt: skip
    actions = _actions(session, case)
    for expected in ("case.accepted_with_gap", "gap.recorded", "gap.received", "case.completed"):
        assert expected in actions


def test_claim_assign_and_the_claimants_exclusive_right(login, submit_case, session):
    case_no = submit_case()["case_no"]
    _accept(login, case_no)
    samr, samr2, psb = login("samr"), login("samr2"), login("psb")
    task = _task(samr, case_no)
    assert (
        samr.post_json(f"/api/tasks/{task['id']}/claim").get_json()["claimed_by"]
        == "市场监管局审批员"
    )
    assert _tasks(samr, case_no, view="mine") and not _tasks(samr2, case_no, view="mine")
    assert not _tasks(samr2, case_no, view="unclaimed")
    taken = _act(samr2, task["id"], {"action": "grant", "opinion": "同意"}, status=409)
    assert "已由市场监管局审批员认领" in taken["message"]
    # Handing over goes only to a colleague of the same department.
    other = session.scalars(select(User).where(User.username == "psb")).one()
    colleague = session.scalars(select(User).where(User.username == "samr2")).one()
    assert (
        samr.post_json(f"/api/tasks/{task['id']}/assign", {"assignee": other.id}).status_code == 422
    )
    assigned = samr.post_json(f"/api/tasks/{task['id']}/assign", {"assignee": colleague.id})
    assert assigned.get_json()["claimed_by"] == "钱审批"
    _act(samr, task["id"], {"action": "grant", "opinion": "同意"}, status=409)
    # Another department cannot even see it.
    assert psb.post_json(f"/api/tasks/{task['id']}/claim").status_code == 404
    # The registration result is an e-licence: its number is required.
    missing = _act(samr2, task["id"], {"action": "grant", "opinion": "同意"}, status=422)
    assert "证照编号" in missing["message"]
    _act(
        samr2, task["id"], {"action": "grant", "opinion": "同意", "result_no": "91441322MA4X0001X8"}
    )
    case = _case(session, case_no)
    licences = session.scalars(select(ELicence).where(ELicence.case_id == case.id)).all()
    assert [(lic.name, lic.number) for lic in licences] == [("营业执照", "91441322MA4X0001X8")]
    page = login("zhangsan").get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    assert "电子证照" in page and "91441322MA4X0001X8" in page
    # The applicant does not see who claimed or handed over what.
    assert "转交任务" not in page and "认领任务" not in page
    actions = _actions(session, case)
    assert [
        a
        for a in actions
        if a in ("task.claimed", "task.assigned", "task.granted", "licence.issued")
    ] == ["task.claimed", "task.assigned", "task.granted", "licence.issued"]


def _grant_registration(login, case_no):
    samr = login("samr")
    _act(
        samr,
        _task(samr, case_no)["id"],
        {"action": "grant", "opinion": "同意", "result_no": "91441322MA4X0002X9"},
    )


def test_denial_ends_the_case_when_the_theme_says_so(login, submit_case, session):
    case_no = submit_case()["case_no"]
    _accept(login, case_no)
    _grant_registration(login, case_no)
    psb = login("psb")
    _act(psb, _task(psb, case_no)["id"], {"action": "deny", "reason": "刻章企业未备案"})
    case = _case(session, case_no)
    assert case.status == "terminated"
    assert "刻章企业未备案" in case.end_reason
    for name in ("tax", "hrss", "hf"):
        assert _tasks(login(name), case_no) == []
    assert {t.status for t in case.tasks if t.status != TaskStatus.COMPLETED} == {"cancelled"}
    page = login("zhangsan").get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    assert "已终止" in page and "刻章企业未备案" in page


def test_denial_lets_the_other_items_go_on_when_the_theme_says_so(login, submit_case, session):
    case_no = submit_case(housing_fund=False)["case_no"]
    case = _case(session, case_no)
    version = case.theme_version
    # Stands in for a version published with `on_denial: continue`: other content, other
    # digest (published versions are immutable, and caches key on the digest).
    version.definition = {**version.definition, "on_denial": "continue"}
    version.digest = "on-denial-continue"
    session.commit()
    _accept(login, case_no)
    _grant_registration(login, case_no)
    psb = login("psb")
    _act(psb, _task(psb, case_no)["id"], {"action": "deny", "reason": "印章样式不符合规定"})
    for name in ("tax", "hrss"):
        client = login(name)
        _act(client, _task(client, case_no)["id"], {"action": "grant", "opinion": "同意"})
    window = login("window")
    # As the applicant chose (post): the tax and insurance results are on paper.
    _act(window, _task(window, case_no)["id"], {"action": "deliver", "tracking_no": "EMS1"})
    case = _case(session, case_no)
    assert case.status == "completed"
    denied = [r for r in case.delivery["results"] if r["decision"] == "denied"]
    assert [(r["item"], r["reason"]) for r in denied] == [("PSB-GZKZBA", "印章样式不符合规定")]


def test_a_task_of_the_wrong_kind_refuses_the_action(login, submit_case):
    case_no = submit_case()["case_no"]
    window = login("window")
    task = _task(window, case_no)
    _act(window, task["id"], {"action": "grant", "opinion": "同意"}, status=422)
    _act(window, task["id"], {"action": "explode"}, status=422)


def test_comments_are_for_clerks_and_audited(login, submit_case, session):
    case_no = submit_case()["case_no"]
    window = login("window")
    assert (
        window.post_form(
            f"/clerk/cases/{case_no}/comments", {"body": "申请人来电询问进度"}
        ).status_code
        == 302
    )
    page = window.get(f"/clerk/cases/{case_no}").get_data(as_text=True)
    assert "申请人来电询问进度" in page
    applicant_page = login("zhangsan").get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    assert "申请人来电询问进度" not in applicant_page
    assert login("zhangsan").post_form(
        f"/clerk/cases/{case_no}/comments", {"body": "x"}
    ).status_code in (302, 403, 404)
    assert "comment.added" in _actions(session, _case(session, case_no))


@pytest.mark.parametrize("username", ["samr", "psb"])
def test_an_approver_sees_only_their_items_data_on_the_case_page(login, submit_case, username):
    case_no = submit_case()["case_no"]
    _accept(login, case_no)
    if username == "psb":
        _grant_registration(login, case_no)
    page = login(username).get(f"/clerk/cases/{case_no}").get_data(as_text=True)
    if username == "psb":
        assert "印章" in page
        assert "参保职工人数" not in page and "住房公积金缴存比例" not in page
    else:
        assert "企业名称" in page
        assert "印章种类" not in page


def test_the_applicant_withdraws_before_acceptance_but_not_after(login, submit_case, session):
    first = submit_case()["case_no"]
    applicant, window = login("zhangsan"), login("window")
    assert login("lisi").post_form(f"/applicant/cases/{first}/withdraw").status_code == 404
    done = applicant.post_form(
        f"/applicant/cases/{first}/withdraw", {"reason": "信息填错，重新申请"}
    )
    assert done.status_code == 302
    case = _case(session, first)
    assert case.status == "withdrawn" and case.end_reason == "信息填错，重新申请"
    assert _tasks(window, first) == []
    assert _actions(session, case)[-2:] == ["case.withdrawn", "task.cancelled"]

    second = submit_case()["case_no"]
    _accept(login, second)
    late = applicant.post_form(f"/applicant/cases/{second}/withdraw")
    assert late.status_code == 409
    assert _case(session, second).status == "in_progress"


def test_a_departed_clerks_claim_does_not_block_the_department(login, submit_case, session):
    case_no = submit_case()["case_no"]
    _accept(login, case_no)
    samr = login("samr")
    task = _task(samr, case_no)
    samr.post_json(f"/api/tasks/{task['id']}/claim")
    samr2 = login("samr2")
    _act(samr2, task["id"], {"action": "grant", "opinion": "同意", "result_no": "X"}, status=409)
    leaver = session.scalars(select(User).where(User.username == "samr")).one()
    leaver.active = False
    session.commit()
    _act(
        samr2, task["id"], {"action": "grant", "opinion": "同意", "result_no": "91441322MA4X0009XG"}
    )


def test_a_gap_cannot_be_received_on_an_ended_case(login, submit_case, session):
    case_no = submit_case()["case_no"]
    window = login("window")
    promised = (dt.datetime.now(CHINA_TZ).date() + dt.timedelta(days=3)).isoformat()
    _act(
        window,
        _task(window, case_no)["id"],
        {
            "action": "accept_with_gap",
            "gaps": [{"material": "CL-SQWTS", "promised_date": promised}],
        },
    )
    samr = login("samr")
    _act(samr, _task(samr, case_no)["id"], {"action": "deny", "reason": "名称不合规"})
    case = _case(session, case_no)
    assert case.status == "terminated"
    assert window.post_form(f"/clerk/gaps/{case.gaps[0].id}/received").status_code == 409
