"""Moving running cases to a theme's new version: which can move, why the others cannot,
each move locked, audited and committed on its own."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from webapp.models import AuditEvent, Case, CaseTask, TaskStatus

from .catalog_forms import item_file, item_form
from .conftest import enterprise_answers

BPMN = (
    Path(__file__).resolve().parents[2]
    / "processes"
    / "themes"
    / "enterprise-opening"
    / "process.bpmn"
).read_text(encoding="utf-8")
CASES = "/admin/themes/enterprise-opening/cases"
# A 受理复核 step inserted after 综合受理: a case already past 综合受理 would never meet it
# (what it completed now leads elsewhere), one still waiting there can move.
PRECHECK = (
    BPMN.replace(
        'sourceRef="Task_Accept" targetRef="Task_Registration"',
        'sourceRef="Task_Accept" targetRef="Task_Precheck"',
    )
    .replace(
        "<bpmn:flowNodeRef>Task_Accept</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>Task_Accept</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>Task_Precheck</bpmn:flowNodeRef>",
    )
    .replace(
        '<bpmn:userTask id="Task_Registration" name="企业设立登记">',
        '<bpmn:userTask id="Task_Precheck" name="受理复核" />'
        '<bpmn:sequenceFlow id="Flow_Precheck_To_Registration" sourceRef="Task_Precheck"'
        ' targetRef="Task_Registration" />'
        '<bpmn:userTask id="Task_Registration" name="企业设立登记">',
    )
)


def _case(session, case_no: str) -> Case:
    session.expire_all()
    return session.scalars(select(Case).where(Case.case_no == case_no)).one()


def _accept(login, case_no: str) -> None:
    window = login("window")
    (task,) = [t for t in window.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no]
    assert window.post_json(f"/api/tasks/{task['id']}/complete", {}).status_code == 200


def _publish(login, xml: str) -> None:
    saved = login("analyst").post_xml("/api/themes/enterprise-opening/drafts", xml)
    assert saved.status_code == 201
    published = login("admin").post_form(
        "/admin/themes/enterprise-opening/publish", {"reason": "增加受理复核"}
    )
    assert published.status_code == 302


def test_waiting_cases_move_and_cases_past_the_change_are_refused_with_reasons(
    login, submit_case, session
):
    waiting = submit_case()["case_no"]  # 综合受理 still waits
    accepted = submit_case()["case_no"]
    _accept(login, accepted)  # 综合受理 done, 企业设立登记 waits
    _publish(login, PRECHECK)
    admin = login("admin")

    report = admin.get(CASES).get_data(as_text=True)
    assert f'data-case="{waiting}" data-movable="yes"' in report
    assert f'data-case="{accepted}" data-movable="no"' in report
    refusal = report.split(f'data-case="{accepted}"')[1].split("</tr>")[0]
    assert "已办理的“综合受理”（Task_Accept）在新版本中有变化" in refusal

    moved = admin.post_form(f"{CASES}/move", {})
    assert moved.status_code == 302
    assert _case(session, waiting).theme_version.number == 2
    assert _case(session, accepted).theme_version.number == 1
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.moved")).one()
    assert event.case_id == _case(session, waiting).id
    assert (event.before, event.after, event.actor.username) == (
        {"version": 1},
        {"version": 2},
        "admin",
    )

    # The applicant reads it in plain words on the case page.
    own_page = login("zhangsan").get(f"/applicant/cases/{waiting}").get_data(as_text=True)
    assert "办件转入更新后的办理流程继续办理" in own_page

    # The moved case goes on on the new diagram: after 综合受理 comes 受理复核.
    _accept(login, waiting)
    open_names = {t.name for t in _case(session, waiting).tasks if t.status == TaskStatus.OPEN}
    assert open_names == {"受理复核"}
    # The refused one goes on on version 1 as before.
    refused = admin.post_form(f"{CASES}/move", {"case_no": accepted})
    assert refused.status_code == 302
    page = admin.get(CASES).get_data(as_text=True)
    assert "不能迁移" in page
    assert _case(session, accepted).theme_version.number == 1
    samr = {t.name for t in _case(session, accepted).tasks if t.status == TaskStatus.OPEN}
    assert samr == {"企业设立登记"}


def test_a_case_whose_answers_fail_the_new_form_cannot_move(login, submit_case, session):
    answers = enterprise_answers()
    del answers["bank.appointment_date"]  # optional in version 1
    response = login("lisi").post_json(
        "/api/cases/", {"theme": "enterprise-opening", "answers": answers}
    )
    assert response.status_code == 201, response.get_json()
    without_bank = response.get_json()["case_no"]
    complete = submit_case()["case_no"]
    admin = login("admin")
    form = item_form(item_file("SAMR-QYSLDJ"), required={"bank.appointment_date": True})
    assert admin.post_form("/admin/catalog/SAMR-QYSLDJ", form).status_code == 302
    assert (
        admin.post_form(
            "/admin/themes/enterprise-opening/publish", {"reason": "预约开户日期改为必填"}
        ).status_code
        == 302
    )

    report = admin.get(CASES).get_data(as_text=True)
    refusal = report.split(f'data-case="{without_bank}"')[1].split("</tr>")[0]
    assert 'data-movable="no"' in refusal and "申请数据不符合新版表单" in refusal
    assert "预约开户日期" in refusal
    assert f'data-case="{complete}" data-movable="yes"' in report

    admin.post_form(f"{CASES}/move", {"case_no": complete})
    assert _case(session, complete).theme_version.number == 2
    # Its open task row is the same one: inbox, claim and deadline untouched.
    (task,) = [t for t in _case(session, complete).tasks if t.status == TaskStatus.OPEN]
    assert session.scalars(select(CaseTask).where(CaseTask.id == task.id)).one().bpmn_id == (
        "Task_Accept"
    )


def test_only_admins_move_cases(login, submit_case):
    submit_case()
    for user in ("window", "analyst", "zhangsan"):
        assert login(user).post_form(f"{CASES}/move", {}).status_code == 403


def test_a_case_that_moved_on_since_the_report_is_checked_again_when_moved(
    login, submit_case, session
):
    case_no = submit_case()["case_no"]  # 综合受理 waits: movable to the 受理复核 diagram
    _publish(login, PRECHECK)
    admin = login("admin")
    assert f'data-case="{case_no}" data-movable="yes"' in admin.get(CASES).get_data(as_text=True)
    _accept(login, case_no)  # meanwhile the window accepts it: no longer movable

    refused = admin.post_form(f"{CASES}/move", {"case_no": case_no})

    assert refused.status_code == 302
    page = admin.get(CASES).get_data(as_text=True)
    assert f"办件 {case_no} 不能迁移：已办理的“综合受理”" in page
    assert _case(session, case_no).theme_version.number == 1
    assert not session.scalars(select(AuditEvent).where(AuditEvent.action == "case.moved")).all()
