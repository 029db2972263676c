"""Time limits as the catalog states them: 自然日 items counted in calendar days, the 法定
limit watched beside the promise with its own flag, 受理/出件 days from the theme, and a
容缺 promise kept within the case's committed time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from stdnum.cn import uscc

from webapp.clock import CHINA_TZ, travel_to
from webapp.deadlines import limits
from webapp.deadlines import sweep as supervision
from webapp.front_desk.acceptance import latest_gap_date
from webapp.models import AuditEvent, Case, CaseTask, TaskStatus
from webapp.themes.published import load_published_theme, published_theme


def bj(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHINA_TZ)


def _case(session, case_no) -> Case:
    session.expire_all()
    return session.scalars(select(Case).where(Case.case_no == case_no)).one()


def _task(case: Case, bpmn_id: str) -> CaseTask:
    return next(t for t in case.tasks if t.bpmn_id == bpmn_id and t.status == TaskStatus.OPEN)


def _accepted(login, submit_case, session) -> Case:
    case_no = submit_case()["case_no"]
    window = login("window")
    task = next(t for t in window.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no)
    assert window.post_json(f"/api/tasks/{task['id']}/complete", {}).status_code == 200
    return _case(session, case_no)


def _granted(login, case: Case, username: str, bpmn_id: str, result_no: str = "") -> Case:
    task = _task(case, bpmn_id)
    clerk = login(username)
    response = clerk.post_form(
        f"/clerk/tasks/{task.id}",
        data={"action": "grant", "opinion": "同意", "result_no": result_no},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return case


def test_a_calendar_day_item_counts_weekends_and_holidays(login, submit_case, session):
    # Thursday 24 Sep 2026: 单位参保登记's legal fifteen days (社会保险法 §57) are 自然日 and
    # run through 国庆; counted as working days they would end weeks later.
    with travel_to(bj(2026, 9, 24, 10)):
        case = _accepted(login, submit_case, session)
        licence = "91441322MA5TL0001" + uscc.calc_check_digit("91441322MA5TL0001")
        _granted(login, case, "samr", "Task_Registration", licence)
        case = _case(session, case.case_no)
        insurance = _task(case, "Task_Insurance")
        assert insurance.calendar_days is True and insurance.legal_days == 15
        assert insurance.legal_due_at - insurance.created_at == dt.timedelta(days=15)
        # The seal's 法定 one day is a working day: Friday 25 Sep is 中秋节, so Monday 28 Sep.
        seal = _task(case, "Task_Seal")
        assert seal.calendar_days is False
        assert seal.legal_due_at.astimezone(CHINA_TZ).date() == dt.date(2026, 9, 28)


def test_passing_the_legal_limit_is_flagged_apart_from_the_red_card(login, submit_case, session):
    case = _accepted(login, submit_case, session)
    registration = _task(case, "Task_Registration")
    # 企业设立登记 promises 1 working day, the law allows 3: red first, then 超法定时限.
    assert registration.legal_due_at > registration.due_at
    supervision.sweep_due_cases(session, now=registration.due_at + dt.timedelta(minutes=1))
    assert registration.card == "red" and registration.legal_overdue_at is None
    after_legal = registration.legal_due_at + dt.timedelta(minutes=1)
    supervision.sweep_due_cases(session, now=after_legal)
    supervision.sweep_due_cases(session, now=after_legal + dt.timedelta(hours=2))
    assert registration.legal_overdue_at is not None
    flagged = session.scalars(
        select(AuditEvent).where(
            AuditEvent.case_id == case.id, AuditEvent.action == "task.legal_overdue"
        )
    ).all()
    assert len(flagged) == 1
    samr = login("samr")
    assert "超法定时限" in samr.get("/clerk/").get_data(as_text=True)
    page = samr.get(f"/clerk/cases/{case.case_no}").get_data(as_text=True)
    assert 'id="legal-overdue"' in page and "法定期限" in page
    # The applicant's timeline keeps the office's supervision to the office.
    mine = login("zhangsan").get(f"/applicant/cases/{case.case_no}").get_data(as_text=True)
    assert "超过法定时限" not in mine


def test_acceptance_and_delivery_days_are_theme_settings(session):
    definition = {
        **published_theme_definition(session),
        "acceptance_days": "0.5",
        "delivery_days": "2",
    }
    theme = load_published_theme(definition)
    assert limits.allowed_days(theme, theme.acceptance_task) == Decimal("0.5")
    assert limits.allowed_days(theme, theme.delivery_task) == Decimal(2)


def published_theme_definition(session) -> dict:
    from webapp.themes.models import Theme

    theme = session.scalars(select(Theme).where(Theme.code == "enterprise-opening")).one()
    return dict(theme.definition)


def test_the_shipped_desk_days_count_in_the_case_promise(login, submit_case, session):
    case = _accepted(login, submit_case, session)
    theme = published_theme(case.theme_version)
    assert theme.acceptance_days == theme.delivery_days == 1
    # 企业开办's heaviest chain: 设立登记 1 + 涉税/公积金 1, plus 受理 1 and 出件 1.
    assert limits.case_total_days(case) == Decimal(4)


def test_a_gap_promise_must_fall_within_the_cases_committed_time(login, submit_case, session):
    # Monday 2 Nov 2026 10:00: the case is promised in 4 working days (by Friday 6 Nov).
    with travel_to(bj(2026, 11, 2, 10)):
        case_no = submit_case()["case_no"]
        case = _case(session, case_no)
        assert latest_gap_date(case, bj(2026, 11, 2, 10)) == dt.date(2026, 11, 6)
        window = login("window")
        task = next(
            t for t in window.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no
        )

        def accept_with_gap(promised: str):
            return window.post_json(
                f"/api/tasks/{task['id']}/complete",
                {
                    "action": "accept_with_gap",
                    "gaps": [{"material": "CL-SQWTS", "promised_date": promised}],
                },
            )

        # An 89-day promise on a case promised in 4 working days: refused, the date named.
        refused = accept_with_gap("2027-01-30")
        assert refused.status_code == 422
        assert "不晚于本办件承诺办结日（2026-11-06）" in str(refused.get_json())
        assert accept_with_gap("2026-11-06").status_code == 200
