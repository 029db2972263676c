"""The working calendar administrators keep: entering a year's notice (page and command),
the warning from 60 days before coverage ends (page and worker log), and deadlines past
coverage marked provisional until the notice is entered. Time travel: the app's clock."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select

from engine import working_calendar
from webapp.cli import main
from webapp.clock import CHINA_TZ, travel_to
from webapp.models import AuditEvent, Case, CaseTask, TaskStatus
from webapp.worker import warn_calendar_coverage
from webapp.working_calendar import arrangement

# Not the State Council's 2027 notice (not published when this was written): a stand-in
# with the usual shape, 元旦 over a weekend and a Sunday worked for 春节.
NOTICE_2027 = {
    "year": "2027",
    "notice": "国务院办公厅关于2027年部分节假日安排的通知（测试数据）",
    "holidays": "2027-01-01..2027-01-03 元旦\n2027-02-06..2027-02-12 春节",
    "workdays": "2027-02-14 春节调休",
}


@pytest.fixture(autouse=True)
def _calendar_restored():
    """A notice entered here is rolled back with the test; so is this process's calendar."""
    original = working_calendar.installed()
    yield
    working_calendar.install(original)
    arrangement.forget_installed()


def bj(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHINA_TZ)


def test_admins_are_warned_from_60_days_before_coverage_ends(login):
    last = working_calendar.installed().last_day
    with travel_to(bj(last.year, last.month, last.day, 12) - dt.timedelta(days=61)):
        page = login("admin").get("/admin/").get_data(as_text=True)
        assert 'id="calendar-warning"' not in page
    with travel_to(bj(last.year, last.month, last.day, 12) - dt.timedelta(days=60)):
        admin = login("admin")
        page = admin.get("/admin/").get_data(as_text=True)
        assert 'id="calendar-warning"' in page and "还剩 60 天" in page
        # Only administrators keep the calendar; a clerk is not told to enter it.
        assert 'id="calendar-warning"' not in login("window").get("/clerk/").get_data(True)
    with travel_to(bj(last.year + 1, 3, 1, 9)):
        page = login("admin").get("/admin/calendar").get_data(as_text=True)
        assert "已过期" in page and "暂定" in page


def test_the_worker_logs_the_warning_once_a_day(caplog):
    last = working_calendar.installed().last_day
    caplog.set_level(logging.WARNING, logger="webapp.worker")
    with travel_to(bj(last.year, last.month, last.day, 9) - dt.timedelta(days=30)):
        day = warn_calendar_coverage(None)
        assert warn_calendar_coverage(day) == day
    with travel_to(bj(last.year, last.month, last.day, 9) - dt.timedelta(days=29)):
        warn_calendar_coverage(day)
    warnings = [r.message for r in caplog.records if "工作日历只覆盖到" in r.message]
    assert len(warnings) == 2
    assert "还剩 30 天" in warnings[0] and "还剩 29 天" in warnings[1]


def test_an_admin_enters_the_next_years_notice(login, session):
    admin = login("admin")
    before = working_calendar.installed().last_day
    assert before == dt.date(2026, 12, 31)
    response = admin.post_form("/admin/calendar", data=NOTICE_2027)
    assert response.status_code == 302
    page = admin.get("/admin/calendar").get_data(as_text=True)
    assert "2027 年节假日安排已录入" in page
    assert "2027-01-01..2027-01-03 元旦" in page and "2027-02-14 春节调休" in page
    assert working_calendar.last_covered_day() == dt.date(2027, 12, 31)
    assert not working_calendar.is_working_day(dt.date(2027, 2, 8))  # a Monday of 春节
    assert working_calendar.is_working_day(dt.date(2027, 2, 14))  # the Sunday worked
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "calendar.imported")
    ).one()
    assert event.after["year"] == 2027 and event.after["holidays"] == 10
    with travel_to(bj(2026, 11, 15, 9)):  # 2027 is covered now: no warning
        assert 'id="calendar-warning"' not in admin.get("/admin/").get_data(as_text=True)


def test_a_notice_entered_in_another_process_counts_here_within_seconds(login, monkeypatch):
    """Requests ask the database about the calendar at most every RECHECK_SECONDS: a notice
    another server process took in is used here once that much time has passed."""
    original = working_calendar.installed()
    clock = [1000.0]
    monkeypatch.setattr(arrangement.time, "monotonic", lambda: clock[0])
    login("admin").post_form("/admin/calendar", data=NOTICE_2027)
    # This process as another one still is: the old table, looked a moment ago.
    working_calendar.install(original)
    arrangement._installed_signature = ("stale",)
    arrangement._checked_at = clock[0]
    window = login("window")
    clock[0] += arrangement.RECHECK_SECONDS / 2
    window.get("/clerk/")
    assert working_calendar.last_covered_day() == dt.date(2026, 12, 31)
    clock[0] += arrangement.RECHECK_SECONDS
    window.get("/clerk/")
    assert working_calendar.last_covered_day() == dt.date(2027, 12, 31)


def test_a_wrong_notice_is_refused_with_every_problem_named(login):
    admin = login("admin")
    response = admin.post_form(
        "/admin/calendar",
        data={
            "year": "2027",
            "holidays": "2027-01-01 元旦\n2028-01-01 元旦\n2027-13-01 错误",
            "workdays": "2027-02-15 周一不是调休\n2027-01-01 元旦",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "日期不在 2027 年内" in page
    assert "日期无效" in page
    assert "不是周末" in page
    assert "既是放假日又是调休上班日" in page
    assert working_calendar.last_covered_day() == dt.date(2026, 12, 31)
    # A year after a gap is refused: the days between would count Monday–Friday unnoticed.
    skipped = admin.post_form("/admin/calendar", data={**NOTICE_2027, "year": "2028"})
    assert skipped.status_code == 422
    assert "只能录入已覆盖年份之后的下一年（2027 年）" in skipped.get_data(as_text=True)


def test_the_command_enters_a_notice_from_a_file(app, tmp_path, db):
    notice = tmp_path / "2027.yaml"
    notice.write_text(
        "year: 2027\nnotice: 国务院办公厅关于2027年部分节假日安排的通知（测试数据）\n"
        "holidays:\n  - 2027-01-01..2027-01-03 元旦\n  - 2027-02-06..2027-02-12 春节\n"
        "workdays:\n  - 2027-02-14 春节调休\n",
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(main, ["calendar", "import", str(notice)])
    assert result.exit_code == 0, result.output
    assert "放假 10 天" in result.output and "覆盖至 2027-12-31" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2029\nholidays: [2029-01-01 元旦]\n", encoding="utf-8")
    refused = app.test_cli_runner().invoke(main, ["calendar", "import", str(bad)])
    assert refused.exit_code != 0 and "只能录入" in refused.output


def _registration(session, case_no: str) -> CaseTask:
    session.expire_all()
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    return next(
        t for t in case.tasks if t.bpmn_id == "Task_Registration" and t.status == TaskStatus.OPEN
    )


def test_a_deadline_past_coverage_is_provisional_until_the_notice_is_entered(
    login, submit_case, session
):
    # Thursday 31 Dec 2026, 10:00: 企业设立登记's one working day runs into 2027, whose
    # holidays nobody has entered. Counted Monday–Friday: Friday 1 Jan, 10:00, provisional.
    with travel_to(bj(2026, 12, 31, 10)):
        case_no = submit_case()["case_no"]
        window = login("window")
        task = next(
            t for t in window.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no
        )
        assert window.post_json(f"/api/tasks/{task['id']}/complete", {}).status_code == 200
        registration = _registration(session, case_no)
        assert registration.due_at.astimezone(CHINA_TZ).date() == dt.date(2027, 1, 1)
        samr = login("samr")
        page = samr.get(f"/clerk/cases/{case_no}").get_data(as_text=True)
        assert "暂定" in page
        inbox = samr.get("/clerk/").get_data(as_text=True)
        assert "暂定" in inbox
        # The notice says 1–3 Jan are 元旦: the deadline moves to Monday 4 Jan, for certain.
        assert login("admin").post_form("/admin/calendar", data=NOTICE_2027).status_code == 302
        registration = _registration(session, case_no)
        assert registration.due_at.astimezone(CHINA_TZ).date() == dt.date(2027, 1, 4)
        page = samr.get(f"/clerk/cases/{case_no}").get_data(as_text=True)
        assert "暂定" not in page
