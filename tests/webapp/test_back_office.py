"""The back office as the law runs it: approval levels with 退回, 特别程序 and 延期 on the
working calendar (a holiday and a 调休 weekend), 退回补正 during review, 告知承诺 through a
failed 事后核查 to 撤销.

The expected instants are counted by hand on the State Council's 2026 arrangement:
国庆 10-01…10-07 off, Saturday 10-10 worked; 春节 02-15…02-23 off, Saturdays 02-14 and
02-28 worked. A working day is 24 h of working time (engine/working_calendar.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engine.working_calendar import working_time_between
from webapp.clock import CHINA_TZ, travel_to
from webapp.deadlines import cards, sweep
from webapp.models import (
    AuditEvent,
    CaseTask,
    CreditRecord,
    ELicence,
    Instrument,
    ItemPromise,
    OutboxMessage,
    TaskStatus,
)

from .test_case_workflow import _act, _case, _task
from .test_material_files import PDF, _upload
from .test_shipped_themes_end_to_end import _answers, _result_no

MINUTE = dt.timedelta(minutes=1)


def beijing(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHINA_TZ)


def near(value: dt.datetime | None, expected: dt.datetime) -> bool:
    """The clock ticks on while a travelled test runs: within a minute of the hand count."""
    return value is not None and abs(value - expected) < MINUTE


def _events(session, case_id: int) -> list[str]:
    stmt = select(AuditEvent.action).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)
    return list(session.scalars(stmt))


def _instruments(session, case_id: int, kind: str) -> list[Instrument]:
    stmt = select(Instrument).where(Instrument.case_id == case_id, Instrument.kind == kind)
    return list(session.scalars(stmt))


def _enterprise_at_samr(login, submit_case, session):
    """An accepted 企业开办 case and its SAMR 企业设立登记 task (promised 1, legal 3 days)."""
    case_no = submit_case()["case_no"]
    window = login("window")
    _act(window, _task(window, case_no)["id"], {"action": "accept"})
    samr = login("samr")
    return case_no, samr, _task(samr, case_no)["id"]


# --- 特别程序 -----------------------------------------------------------------------------


def test_special_procedure_stops_the_items_clock_across_national_day(login, submit_case, session):
    with travel_to(beijing(2026, 9, 29, 10)):  # Tuesday
        case_no, samr, task_id = _enterprise_at_samr(login, submit_case, session)
    task = session.get(CaseTask, task_id)
    # 1 day from Tue 10:00 is Wed 10:00; 3 days: 14 h + 24 h (Wed) + 24 h (Oct 8, after the
    # holiday) + 10 h → Fri Oct 9 10:00.
    assert near(task.due_at, beijing(2026, 9, 30, 10))
    assert near(task.legal_due_at, beijing(2026, 10, 9, 10))
    promised_before = _case(session, case_no).promised_at

    with travel_to(beijing(2026, 9, 30, 8)):
        special = _act(
            samr,
            task_id,
            {
                "action": "start_special",
                "kind": "现场勘查",
                "reason": "核实住所",
                "expected_days": 1,
            },
        )
        # Nothing is decided on an item whose clock is stopped.
        refused = _act(samr, task_id, {"action": "grant", "opinion": "同意"}, status=409)
        assert "特别程序" in refused["message"]
    session.expire_all()
    case = _case(session, case_no)
    task = session.get(CaseTask, task_id)
    procedure = session.get(CaseTask, special["id"])
    assert procedure.kind == "special" and procedure.status == TaskStatus.OPEN
    # Its expected end: 1 working day from Wed 08:00 = Wed 16 h + Oct 8 08:00 (holiday skipped).
    assert near(procedure.due_at, beijing(2026, 10, 8, 8))
    (notice,) = _instruments(session, case.id, "special_procedure")
    assert notice.title == "特别程序告知书" and "现场勘查" in notice.html
    assert "不计入" in notice.html and "第四十五条" in notice.html
    messages = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.case_id == case.id, OutboxMessage.event == "special_started"
        )
    ).all()
    assert messages and "现场勘查" in messages[0].body

    # The procedure runs past its expected end: the worker's bulk move shows it red on its
    # own, and leaves the stopped item alone although its old due date has long passed.
    moved = cards.move_task_cards(session, beijing(2026, 10, 9, 9))
    assert special["id"] in moved.red_task_ids and task_id not in moved.red_task_ids
    sweep.sweep_due_cases(session, beijing(2026, 10, 9, 9))
    session.commit()
    session.expire_all()
    assert session.get(CaseTask, special["id"]).card == "red"
    # The item was at 22 h of 24 h (yellow) when its clock stopped: long past its old due
    # date now, it is not red.
    assert session.get(CaseTask, task_id).card == "yellow"

    with travel_to(beijing(2026, 10, 9, 10)):
        _act(samr, special["id"], {"action": "end_special", "result": "住所与申报一致"})
    session.expire_all()
    task = session.get(CaseTask, task_id)
    # Used before: 14 h + 8 h = 22 h. Stopped Wed 08:00 … Fri Oct 9 10:00. Promised (24 h):
    # 2 h left → Oct 9 12:00. Legal (72 h): 50 h left → Oct 9 14 h, Sat Oct 10 24 h (调休),
    # Mon Oct 12 12:00.
    assert near(task.due_at, beijing(2026, 10, 9, 12))
    assert near(task.legal_due_at, beijing(2026, 10, 12, 12))
    assert task.pauses[0]["end"] is not None
    case = _case(session, case_no)
    # The case's promise moved by the stopped working time: 16 h + 24 h + 10 h = 50 h.
    assert case.promised_at > promised_before
    moved = working_time_between(promised_before, case.promised_at)
    assert abs(moved - dt.timedelta(hours=50)) < MINUTE
    events = _events(session, case.id)
    assert "special.started" in events and "special.ended" in events


# --- 延期 --------------------------------------------------------------------------------


def test_extension_by_the_head_across_the_spring_festival(login, submit_case, session, app):
    with travel_to(beijing(2026, 2, 12, 9)):  # Thursday before 春节
        case_no, samr, task_id = _enterprise_at_samr(login, submit_case, session)
    task = session.get(CaseTask, task_id)
    # Legal 72 h: Thu 15 h, Fri 24, Sat 02-14 (调休) 24, holiday to 02-23, Tue 02-24 09:00.
    assert near(task.legal_due_at, beijing(2026, 2, 24, 9))

    with travel_to(beijing(2026, 2, 12, 10)):
        too_long = _act(
            samr, task_id, {"action": "request_extension", "days": 11, "reason": "需核查"}, 422
        )
        assert "1 至 10 个工作日" in too_long["message"]
        approval = _act(
            samr, task_id, {"action": "request_extension", "days": 10, "reason": "需核查股东"}
        )
        again = _act(samr, task_id, {"action": "request_extension", "days": 2, "reason": "再"}, 409)
        assert "等待负责人审批" in again["message"]
    assert approval["kind"] == "extension"
    # The approver does not approve their own request: it is the head's.
    _act(samr, approval["id"], {"action": "approve_extension"}, status=403)
    head = login("samr_head")
    assert any(t["id"] == approval["id"] for t in head.get("/api/tasks/").get_json()["tasks"])
    assert all(t["id"] != approval["id"] for t in samr.get("/api/tasks/").get_json()["tasks"])
    promised_before = _case(session, case_no).promised_at
    with travel_to(beijing(2026, 2, 12, 11)):
        _act(head, approval["id"], {"action": "approve_extension", "opinion": "同意"})
    session.expire_all()
    task = session.get(CaseTask, task_id)
    # Promised 1 + 10 = 11 days (264 h) from Thu 09:00: … Sat 02-28 (调休) counts, Sun 03-01
    # does not → Thu 03-05 09:00. Legal 13 days (312 h): + Thu 15 h, Fri 24 h, Mon 03-09 09:00.
    assert near(task.due_at, beijing(2026, 3, 5, 9))
    assert near(task.legal_due_at, beijing(2026, 3, 9, 9))
    case = _case(session, case_no)
    assert abs(working_time_between(promised_before, case.promised_at) - dt.timedelta(days=10)) < (
        MINUTE
    )
    (letter,) = _instruments(session, case.id, "extension")
    assert letter.title == "延期告知书" and "需核查股东" in letter.html
    assert "2026年3月5日" in letter.html and "第四十二条" in letter.html
    # Once per item (行政许可法 §42; the setting says so).
    refused = _act(samr, task_id, {"action": "request_extension", "days": 1, "reason": "再"}, 409)
    assert "不能再延期" in refused["message"]
    assert {"extension.requested", "extension.approved"} <= set(_events(session, case.id))


def test_a_rejected_extension_changes_nothing(login, submit_case, session):
    case_no, samr, task_id = _enterprise_at_samr(login, submit_case, session)
    due = session.get(CaseTask, task_id).due_at
    approval = _act(samr, task_id, {"action": "request_extension", "days": 3, "reason": "复杂"})
    _act(login("samr_head"), approval["id"], {"action": "reject_extension"}, status=422)
    _act(login("samr_head"), approval["id"], {"action": "reject_extension", "reason": "可按期"})
    session.expire_all()
    assert session.get(CaseTask, task_id).due_at == due
    assert not _instruments(session, _case(session, case_no).id, "extension")


# --- approval levels ---------------------------------------------------------------------


def _restaurant_case(login) -> str:
    applicant = login("zhangsan")
    answers = _answers("restaurant-opening")
    submitted = applicant.post_json(
        "/api/cases/", {"theme": "restaurant-opening", "answers": answers}
    )
    assert submitted.status_code == 201, submitted.get_json()
    return submitted.get_json()["case_no"]


def _decide_until(login, session, case_no: str, item_code: str) -> int:
    """Accept and grant a 开办餐饮店 case's tasks until `item_code`'s task is open."""
    clerks = {"FRONT_DESK": "window", "SAMR": "samr", "FIRE": "fire", "URBAN": "urban",
              "WATER": "water"}  # fmt: skip
    for serial in range(1, 20):
        case = _case(session, case_no)
        open_tasks = [t for t in case.tasks if t.status == TaskStatus.OPEN]
        wanted = [t for t in open_tasks if t.item_code == item_code]
        if wanted:
            return wanted[0].id
        for task in open_tasks:
            clerk = login(clerks[task.department.code])
            if task.kind == "acceptance":
                body = {"action": "accept"}
            else:
                body = {"action": "grant", "opinion": "同意",
                        "result_no": _result_no(task.item_code, serial)}  # fmt: skip
            _act(clerk, task.id, body)
    pytest.fail(f"{item_code} never opened")


def test_levels_go_up_and_back_and_the_last_level_decides(login, session):
    case_no = _restaurant_case(login)
    task_id = _decide_until(login, session, case_no, "SAMR-SPJYXK")
    samr, chief, head = login("samr"), login("samr_chief"), login("samr_head")
    # 承办人 cannot decide a three-level item; the 科室负责人 cannot act on the first level.
    refused = _act(samr, task_id, {"action": "grant", "opinion": "同意"}, status=409)
    assert "承办人审查 → 科室负责人审核 → 分管领导审批" in refused["message"]
    _act(chief, task_id, {"action": "submit_level", "proposal": "grant", "opinion": "x"}, 403)
    assert all(t["id"] != task_id for t in chief.get("/api/tasks/").get_json()["tasks"])

    _act(samr, task_id, {"action": "submit_level", "proposal": "grant", "opinion": "材料齐全"})
    session.expire_all()
    task = session.get(CaseTask, task_id)
    assert (task.level, task.holder_role, task.claimed_by_id) == (1, "section_chief", None)
    assert any(t["id"] == task_id for t in chief.get("/api/tasks/").get_json()["tasks"])
    assert all(t["id"] != task_id for t in samr.get("/api/tasks/").get_json()["tasks"])
    _act(samr, task_id, {"action": "send_back", "reason": "不是你的"}, status=403)

    # 退回 needs its reason, and goes back to the 承办人 who handled the level.
    _act(chief, task_id, {"action": "send_back", "reason": ""}, status=422)
    _act(chief, task_id, {"action": "send_back", "reason": "请核实从业人员健康证明"})
    session.expire_all()
    task = session.get(CaseTask, task_id)
    assert task.level == 0 and task.holder_role is None
    assert task.claimed_by.username == "samr"
    page = samr.get(f"/clerk/tasks/{task_id}").get_data(as_text=True)
    assert "请核实从业人员健康证明" in page and 'id="submit-level-form"' in page
    assert 'id="grant-form"' not in page

    _act(samr, task_id, {"action": "submit_level", "proposal": "grant", "opinion": "已核实"})
    session.expire_all()
    # Up again to the chief who sent it back.
    assert session.get(CaseTask, task_id).claimed_by.username == "samr_chief"
    _act(chief, task_id, {"action": "submit_level", "proposal": "grant", "opinion": "同意上报"})
    _act(head, task_id, {"action": "send_back", "reason": "补充说明"}, status=200)
    _act(chief, task_id, {"action": "submit_level", "proposal": "grant", "opinion": "已说明"})
    _act(head, task_id, {"action": "submit_level", "proposal": "grant", "opinion": "x"}, 409)
    _act(head, task_id, {"action": "grant", "opinion": "准予许可",
                         "result_no": _result_no("SAMR-SPJYXK", 7)})  # fmt: skip
    session.expire_all()
    task = session.get(CaseTask, task_id)
    assert task.status == TaskStatus.COMPLETED and task.completed_by.username == "samr_head"
    assert [(r["name"], r["decision"], r["by"]) for r in task.reviews] == [
        ("承办人审查", "propose_grant", "市场监管局审批员"),
        ("科室负责人审核", "returned", "孙科长"),
        ("承办人审查", "propose_grant", "市场监管局审批员"),
        ("科室负责人审核", "propose_grant", "孙科长"),
        ("分管领导审批", "returned", "周局长"),
        ("科室负责人审核", "propose_grant", "孙科长"),
        ("分管领导审批", "granted", "周局长"),
    ]
    events = _events(session, task.case_id)
    assert events.count("task.level_submitted") == 4 and events.count("task.level_returned") == 2
    (decision,) = [
        i for i in _instruments(session, task.case_id, "grant") if i.facts["item"] == task.name
    ]
    assert "准予许可" in decision.html


def test_an_item_without_levels_is_decided_in_one_step(login, submit_case, session):
    case_no, samr, task_id = _enterprise_at_samr(login, submit_case, session)
    page = samr.get(f"/clerk/tasks/{task_id}").get_data(as_text=True)
    assert 'id="grant-form"' in page and 'id="submit-level-form"' not in page
    _act(samr, task_id, {"action": "send_back", "reason": "x"}, status=409)


# --- 退回补正 during review ----------------------------------------------------------------


def test_back_office_correction_through_the_same_online_upload(login, submit_case, session):
    case_no, samr, task_id = _enterprise_at_samr(login, submit_case, session)
    zhangsan = login("zhangsan")

    def upload():
        return _upload(zhangsan, case_no, "CL-GSZC", PDF)

    assert upload().status_code == 409  # accepted: materials are fixed
    due = session.get(CaseTask, task_id).due_at
    _act(samr, task_id, {"action": "request_supplement", "materials": []}, status=422)
    _act(samr, task_id, {"action": "request_supplement", "materials": ["NOPE"]}, status=422)
    _act(samr, task_id, {"action": "request_supplement", "materials": ["CL-GSZC"],
                         "note": "章程缺少股东签字页"})  # fmt: skip
    case = _case(session, case_no)
    (letter,) = _instruments(session, case.id, "supplement")
    assert "公司章程" in letter.html and "章程缺少股东签字页" in letter.html
    page = zhangsan.get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    assert "补正材料告知书" in page
    _act(samr, task_id, {"action": "grant", "opinion": "同意", "result_no": "x"}, status=409)
    refused = _act(samr, task_id, {"action": "supplement_received"}, status=422)
    assert "公司章程" in refused["message"]

    uploaded = upload()
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)[-3000:]  # as at acceptance
    _act(samr, task_id, {"action": "supplement_received"})
    session.expire_all()
    task = session.get(CaseTask, task_id)
    assert task.pauses[0]["end"] is not None and task.due_at >= due
    assert upload().status_code == 409  # closed again
    events = _events(session, task.case_id)
    assert "supplement.requested" in events and "supplement.received" in events


# --- 告知承诺制 ----------------------------------------------------------------------------


def test_promise_granted_on_the_spot_then_a_failed_check_revokes(login, session):
    applicant = login("zhangsan")
    answers = _answers("restaurant-opening")
    submitted = applicant.post_json(
        "/api/cases/", {"theme": "restaurant-opening", "answers": answers}
    )
    case_no = submitted.get_json()["case_no"]
    page = applicant.get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    assert 'id="promise-FIRE-GZJHCS"' in page and "签署告知承诺书" in page
    not_promise = applicant.post_form(
        f"/applicant/cases/{case_no}/promises", data={"item": "SAMR-SPJYXK"}
    )
    assert not_promise.status_code == 422
    signed = applicant.post_form(
        f"/applicant/cases/{case_no}/promises", data={"item": "FIRE-GZJHCS"}
    )
    assert signed.status_code == 302
    again = applicant.post_form(
        f"/applicant/cases/{case_no}/promises", data={"item": "FIRE-GZJHCS"}
    )
    assert again.status_code == 409
    case = _case(session, case_no)
    promise = session.scalars(select(ItemPromise).where(ItemPromise.case_id == case.id)).one()
    assert "愿意承担撤销许可" in promise.text and promise.signed_by_id == case.applicant_id
    (letter,) = _instruments(session, case.id, "promise")
    assert promise.text in letter.html and "20 个工作日" in letter.html

    fire_task = session.get(CaseTask, _decide_until(login, session, case_no, "FIRE-GZJHCS"))
    fire = login("fire")
    assert 'id="promise-signed"' in fire.get(f"/clerk/tasks/{fire_task.id}").get_data(as_text=True)
    _act(fire, fire_task.id, {"action": "grant", "opinion": "依承诺当场准予",
                              "result_no": "XF-2026-001"})  # fmt: skip
    session.expire_all()
    check = session.scalars(
        select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.kind == "post_check")
    ).one()
    assert check.department.code == "FIRE" and check.allowed_days == 20
    assert check.due_at > check.created_at + dt.timedelta(days=20)
    licence = session.scalars(
        select(ELicence).where(ELicence.case_id == case.id, ELicence.item_code == "FIRE-GZJHCS")
    ).one()
    assert licence.status == "valid"

    _act(fire, check.id, {"action": "refute_promise", "finding": ""}, status=422)
    _act(fire, check.id, {"action": "refute_promise", "finding": "疏散通道被占用，安全出口锁闭"})
    session.expire_all()
    assert session.get(ELicence, licence.id).status == "revoked"
    item = session.get(CaseTask, fire_task.id)
    assert item.outcome["revoked"] is True
    credit = session.scalars(select(CreditRecord).where(CreditRecord.case_id == case.id)).one()
    assert credit.kind == "false_promise" and "安全出口锁闭" in credit.reason
    (revocation,) = _instruments(session, case.id, "revocation")
    assert "撤销" in revocation.html and "XF-2026-001" in revocation.html
    events = _events(session, case.id)
    for action in ("promise.signed", "post_check.refuted", "licence.revoked",
                   "decision.revoked", "credit.recorded"):  # fmt: skip
        assert action in events, action
    assert session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.case_id == case.id, OutboxMessage.event == "decision_revoked"
        )
    ).first()
