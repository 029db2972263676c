"""The walking skeleton end to end over HTTP: applicant → 综合受理 → 并联审批 → 统一出件 → 办结."""

from __future__ import annotations

import re

import yaml
from sqlalchemy import select

from webapp.models import AuditEvent, Case, User

from .conftest import SAMPLE

DEPARTMENT_CLERKS = {
    "psb": "公章刻制备案",
    "tax": "涉税事项办理及首次申领发票",
    "hrss": "单位参保登记",
    "hf": "住房公积金单位缴存登记",
}


def _inbox(client, case_no):
    response = client.get("/api/tasks/")
    assert response.status_code == 200
    return [t for t in response.get_json()["tasks"] if t["case_no"] == case_no]


def _only_task(client, case_no):
    tasks = _inbox(client, case_no)
    assert len(tasks) == 1, tasks
    return tasks[0]


def test_full_journey_routes_by_department_and_leaves_an_audit_trail(login, submit_case, session):
    created = submit_case("zhangsan")
    case_no = created["case_no"]
    assert re.fullmatch(r"YJS-\d{8}-\d{6}", case_no)
    assert created["status"] == "submitted"

    window, samr = login("window"), login("samr")
    approvers = {name: login(name) for name in DEPARTMENT_CLERKS}

    # Only the front desk sees the new case.
    accept = _only_task(window, case_no)
    assert accept["kind"] == "acceptance"
    for client in [samr, *approvers.values()]:
        assert _inbox(client, case_no) == []
    assert (
        window.post_json(
            f"/api/tasks/{accept['id']}/complete", {"opinion": "材料齐全，予以受理"}
        ).status_code
        == 200
    )

    # 企业设立登记 at 市场监管局 first (serial), nobody else yet.
    registration = _only_task(samr, case_no)
    assert registration["name"] == "企业设立登记"
    for client in approvers.values():
        assert _inbox(client, case_no) == []
    # Another department cannot act on it, and learns nothing about it.
    stolen = approvers["psb"].post_json(
        f"/api/tasks/{registration['id']}/complete", {"opinion": "同意"}
    )
    assert stolen.status_code == 404
    assert (
        samr.post_json(
            f"/api/tasks/{registration['id']}/complete",
            {"opinion": "准予设立登记", "result_no": "91441322MA5XXXXXX2"},
        ).status_code
        == 200
    )

    # Then four departments in parallel, each seeing only its own task.
    parallel = {name: _only_task(client, case_no) for name, client in approvers.items()}
    assert {n: t["name"] for n, t in parallel.items()} == DEPARTMENT_CLERKS
    assert _inbox(window, case_no) == []  # 统一出件 waits for the join
    for name, task in parallel.items():
        response = approvers[name].post_json(
            f"/api/tasks/{task['id']}/complete", {"opinion": "同意", "result_no": f"{name}-001"}
        )
        assert response.status_code == 200, response.get_json()

    deliver = _only_task(window, case_no)
    assert deliver["kind"] == "delivery"
    bad = window.post_json(f"/api/tasks/{deliver['id']}/complete", {"method": "快递"})
    assert bad.status_code == 422
    assert (
        window.post_json(
            f"/api/tasks/{deliver['id']}/complete",
            {"method": "post", "tracking_no": "EMS1234567890"},
        ).status_code
        == 200
    )

    # The applicant sees every step done.
    progress = login("zhangsan").get(f"/api/cases/{case_no}").get_json()
    assert progress["status"] == "completed" and progress["status_label"] == "已办结出件"
    assert [s["state"] for s in progress["steps"]] == ["done"] * 7
    assert [s["name"] for s in progress["steps"]][0] == "综合受理"

    # Audit trail: who did what, in order, with before/after.
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.case_id == case.id)
            .where(AuditEvent.actor_id.is_not(None))
            .order_by(AuditEvent.id)
        )
    )
    names = {u.id: u.username for u in session.scalars(select(User))}
    trail = [(e.action, names[e.actor_id]) for e in events]
    # The sample brings its five required materials on paper: declared at submission,
    # checked at the window as the case is accepted.
    paper = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))["materials.on_paper"]
    assert len(paper) == 5
    # Each act hands over its instrument (文书) as the same person: receipt, 受理通知书, the
    # decisions, the 出件 notice.
    issued = ("instrument.issued",)
    assert trail[:13] == [
        ("case.submitted", "zhangsan"),
        ("case.parties_recorded", "zhangsan"),  # 申请人 and 法定代表人 named in the form
        *[("material.paper_declared", "zhangsan")] * 5,
        (*issued, "zhangsan"),
        *[("material.paper_received", "window")] * 5,
    ]
    trail = trail[13:]
    assert trail[:6] == [
        ("case.accepted", "window"),
        (*issued, "window"),
        ("task.granted", "samr"),
        ("licence.issued", "samr"),  # 营业执照 is an e-licence: it goes to the wallet
        (*issued, "samr"),  # the licence itself, as a document (下载PDF)
        (*issued, "samr"),  # the decision
    ]
    assert sorted(trail[6:14]) == sorted(
        (action, n) for n in DEPARTMENT_CLERKS for action in ("task.granted", *issued)
    )
    assert trail[14:] == [("case.completed", "window"), (*issued, "window")]
    completed = events[-2]
    assert completed.before == {
        "task_status": "open",
        "case_status": "in_progress",
        "delivery_method": "post",  # as the applicant chose
    }
    assert completed.after["case_status"] == "completed"
    assert completed.after["outcome"]["tracking_no"] == "EMS1234567890"
    system_events = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.case_id == case.id, AuditEvent.actor_id.is_(None)
        )
    ).all()
    assert system_events.count("task.opened") == 7  # every task's arrival is recorded too


def test_without_housing_fund_the_gateway_skips_that_department(login, submit_case):
    case_no = submit_case("zhangsan", housing_fund=False)["case_no"]
    window, samr, hf = login("window"), login("samr"), login("hf")
    window.post_json(f"/api/tasks/{_only_task(window, case_no)['id']}/complete", {})
    granted = samr.post_json(
        f"/api/tasks/{_only_task(samr, case_no)['id']}/complete",
        {"opinion": "同意", "result_no": "91441322MA5XXXXXX2"},
    )
    assert granted.status_code == 200, granted.get_json()
    # The parallel branches started, but not the 公积金 one.
    assert _only_task(login("psb"), case_no)["name"] == "公章刻制备案"
    assert _inbox(hf, case_no) == []
    steps = login("zhangsan").get(f"/api/cases/{case_no}").get_json()["steps"]
    assert "住房公积金单位缴存登记" not in [s["name"] for s in steps]


def test_applicant_never_sees_another_applicants_case(login, submit_case):
    case_no = submit_case("zhangsan")["case_no"]
    other = login("lisi")
    assert other.get(f"/api/cases/{case_no}").status_code == 404
    assert other.get(f"/applicant/cases/{case_no}").status_code == 404
    assert case_no not in other.get("/applicant/").get_data(as_text=True)
    assert login("zhangsan").get(f"/applicant/cases/{case_no}").status_code == 200


def test_case_numbers_are_unique_and_sequential(submit_case):
    numbers = [submit_case()["case_no"] for _ in range(3)]
    assert len(set(numbers)) == 3
    serials = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert serials == sorted(serials) and serials[2] - serials[0] == 2
