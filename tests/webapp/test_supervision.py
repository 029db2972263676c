"""限时办结 and 效能监督: due dates on the working-day calendar, yellow/red cards moved by the
worker's sweep (time travel: the sweep is handed a future `now`), each change audited and
shown in the inbox filters; a missed 容缺 promise is flagged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from engine.working_calendar import working_time_between
from webapp.clock import CHINA_TZ
from webapp.deadlines import limits as deadlines
from webapp.deadlines import sweep as supervision
from webapp.models import AuditEvent, Case, CaseTask, TaskStatus, User
from webapp.workbench import inbox


def _case(session, case_no) -> Case:
    session.expire_all()
    return session.scalars(select(Case).where(Case.case_no == case_no)).one()


def _open_task(session, case: Case, bpmn_id: str) -> CaseTask:
    return next(t for t in case.tasks if t.bpmn_id == bpmn_id and t.status == TaskStatus.OPEN)


def _accepted_case(login, submit_case, session) -> Case:
    case_no = submit_case()["case_no"]
    window = login("window")
    task = next(t for t in window.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no)
    assert window.post_json(f"/api/tasks/{task['id']}/complete", {}).status_code == 200
    return _case(session, case_no)


def test_a_task_is_due_after_its_items_committed_working_days(login, submit_case, session):
    case = _accepted_case(login, submit_case, session)
    registration = _open_task(session, case, "Task_Registration")
    # 企业设立登记 promises 1 working day: exactly 24 h of working-day time, whatever
    # weekend or holiday lies between.
    assert registration.allowed_days == 1
    assert working_time_between(registration.created_at, registration.due_at) == dt.timedelta(
        days=1
    )
    assert registration.yellow_at < registration.due_at
    assert case.next_check_at == min(registration.yellow_at, case.promised_at)


def test_yellow_comes_at_80_percent_of_the_allowed_working_time(login, submit_case, session):
    case = _accepted_case(login, submit_case, session)
    registration = _open_task(session, case, "Task_Registration")
    # 1 working day allowed, no share set by the theme: yellow after 0.8 × 24 h of working
    # time (19 h 12 min), counted on the calendar whatever nights or holidays lie between.
    used = working_time_between(registration.created_at, registration.yellow_at)
    assert used == dt.timedelta(hours=19, minutes=12)


def test_a_themes_own_yellow_share_moves_the_yellow_instant(login, submit_case, session):
    case_no = submit_case()["case_no"]
    case = _case(session, case_no)
    version = case.theme_version
    # Stands in for a version published with `yellow_card_at: 0.6` (its own digest).
    version.definition = {**version.definition, "yellow_card_at": "0.6"}
    version.digest = "yellow-at-0.6"
    session.commit()
    window = login("window")
    task = next(t for t in window.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no)
    assert window.post_json(f"/api/tasks/{task['id']}/complete", {}).status_code == 200
    registration = _open_task(session, _case(session, case_no), "Task_Registration")
    used = working_time_between(registration.created_at, registration.yellow_at)
    assert used == dt.timedelta(hours=14, minutes=24)  # 0.6 × 24 h


def test_sweep_moves_cards_yellow_then_red_and_audits_each(login, submit_case, session):
    case = _accepted_case(login, submit_case, session)
    task = _open_task(session, case, "Task_Registration")
    samr = login("samr")

    def counts(now):
        user = session.scalars(select(User).where(User.username == "samr")).one()
        return inbox.inbox(session, user, now=now).counts

    # Before the yellow instant nothing happens.
    assert supervision.sweep_due_cases(session, now=task.yellow_at - dt.timedelta(seconds=1)) == 0
    assert task.card == "none"

    supervision.sweep_due_cases(session, now=task.yellow_at)
    assert task.card == "yellow"
    assert counts(task.yellow_at)["yellow"] >= 1
    listed = samr.get("/api/tasks/?view=yellow").get_json()["tasks"]
    assert case.case_no in [t["case_no"] for t in listed]

    supervision.sweep_due_cases(session, now=task.due_at + dt.timedelta(seconds=1))
    assert task.card == "red"
    red = samr.get("/api/tasks/?view=red").get_json()
    assert case.case_no in [t["case_no"] for t in red["tasks"]]
    assert red["counts"]["red"] >= 1
    page = samr.get("/clerk/?view=red").get_data(as_text=True)
    assert "红牌" in page and case.case_no in page

    actions = list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.case_id == case.id, AuditEvent.task_id == task.id)
            .order_by(AuditEvent.id)
        )
    )
    assert actions.count("task.card_yellow") == 1 and actions.count("task.card_red") == 1
    # Sweeping again at the same instant changes nothing and records nothing more.
    supervision.sweep_due_cases(session, now=task.due_at + dt.timedelta(seconds=1))
    again = session.scalars(select(AuditEvent.action).where(AuditEvent.task_id == task.id)).all()
    assert again.count("task.card_red") == 1


def test_paused_time_does_not_count(login, submit_case, session):
    case_no = submit_case()["case_no"]
    window = login("window")
    task_json = next(
        t for t in window.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no
    )
    window.post_json(
        f"/api/tasks/{task_json['id']}/complete",
        {"action": "correct", "fields": ["legal_rep.mobile"], "note": "请核对手机号"},
    )
    case = _case(session, case_no)
    task = next(t for t in case.tasks if t.bpmn_id == "Task_Accept")
    # While the applicant corrects, even long past the old due date, no card is given.
    supervision.sweep_due_cases(session, now=task.due_at + dt.timedelta(days=30))
    assert task.card == "none"
    # Nothing can change while the applicant corrects: the worker does not look at it.
    assert case.next_check_at is None


def test_a_missed_gap_promise_is_flagged_once(login, submit_case, session):
    case_no = submit_case()["case_no"]
    window = login("window")
    task = next(t for t in window.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no)
    promised = dt.datetime.now(CHINA_TZ).date() + dt.timedelta(days=2)
    assert (
        window.post_json(
            f"/api/tasks/{task['id']}/complete",
            {
                "action": "accept_with_gap",
                "gaps": [{"material": "CL-SQWTS", "promised_date": promised.isoformat()}],
            },
        ).status_code
        == 200
    )
    case = _case(session, case_no)
    end_of_promise = dt.datetime.combine(promised + dt.timedelta(days=1), dt.time(), CHINA_TZ)
    supervision.sweep_due_cases(session, now=end_of_promise - dt.timedelta(minutes=1))
    assert case.gaps[0].overdue_at is None
    supervision.sweep_due_cases(session, now=end_of_promise)
    supervision.sweep_due_cases(session, now=end_of_promise + dt.timedelta(hours=1))
    assert case.gaps[0].overdue_at is not None
    flagged = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.case_id == case.id, AuditEvent.action == "gap.overdue"
        )
    ).all()
    assert len(flagged) == 1
    page = window.get(f"/clerk/cases/{case_no}").get_data(as_text=True)
    assert "逾期未补" in page


def test_the_case_itself_turns_yellow_on_time(login, submit_case, session):
    case = _accepted_case(login, submit_case, session)
    deadline = deadlines.case_deadline(case, deadlines.case_total_days(case))
    # The shipped theme names no share, so the documented default applies: 80 %.
    yellow = deadline.reached_at(Decimal("0.8"))
    assert case.next_check_at <= yellow
    supervision.sweep_due_cases(session, now=yellow)
    assert case.card == "yellow"


def test_an_immediate_item_is_due_at_the_end_of_its_working_day():
    tuesday_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=CHINA_TZ)
    case = Case(pauses=[])
    task = CaseTask(created_at=tuesday_10, allowed_days=Decimal(0))
    due = deadlines.task_deadline(case, task).due_at()
    assert due == dt.datetime(2026, 11, 25, 0, 0, tzinfo=CHINA_TZ)


def test_one_broken_case_does_not_stop_the_sweep(login, submit_case, session):
    broken = _accepted_case(login, submit_case, session)
    healthy = _accepted_case(login, submit_case, session)
    now = max(broken.next_check_at, healthy.next_check_at) + dt.timedelta(seconds=1)
    broken.next_timer_at = broken.next_check_at  # makes the sweep restore its state...
    broken.state = {"not": "a workflow"}  # ...which cannot be read
    session.flush()
    supervision.sweep_due_cases(session, now=now)
    assert healthy.next_check_at > now
    assert broken.next_check_at == now + supervision.FAILED_RETRY
    failed = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.case_id == broken.id, AuditEvent.action == "timer.failed"
        )
    ).all()
    assert failed == ["timer.failed"]


def test_a_cursor_without_a_zone_is_ignored_not_a_crash(login):
    response = login("window").get("/api/tasks/?after=2030-01-01T00:00:00|1")
    assert response.status_code == 200
