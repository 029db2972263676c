"""效能监督: the dashboard's figures against a hand-counted month, what a supervisor sees of
a case (masked, no data, no notes), 催办 with its reply, red-card escalation over working
days, and the monthly 进度表 as a spreadsheet and a print.

The month is March 2025 (no holiday in it): four 企业开办 cases, each act done at a chosen
Beijing instant with the clock travelled there, so every figure below is counted by hand
from the story in `march`."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from decimal import Decimal

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from webapp import clock
from webapp.clock import CHINA_TZ
from webapp.deadlines import sweep as deadline_sweep
from webapp.models import AuditEvent, CaseTask, OutboxMessage, User
from webapp.service_network.models import ServicePoint
from webapp.supervision import escalation, figures
from webapp.supervision.models import TaskEscalation

from .test_case_workflow import _act, _case, _task

GRANT_A = "91441322MA4X0001X8"
GRANT_D = "91441322MA4X0002X9"
BAD = {"scope": "case", "level": "dissatisfied", "tags": ["多次跑动"], "comment": "跑了三次"}


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant of March 2025, Beijing time."""
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=CHINA_TZ)


def submit(submit_case, when) -> str:
    with clock.travel_to(when):
        return submit_case(housing_fund=False)["case_no"]


def act(client, case_no, payload, when):
    with clock.travel_to(when):
        return _act(client, _task(client, case_no)["id"], payload)


def grant(login, name, case_no, when, result_no=""):
    act(login(name), case_no, {"action": "grant", "opinion": "同意", "result_no": result_no}, when)


@pytest.fixture
def march(login, submit_case, session):
    """A: accepted Mon 3 10:30, every item granted on time Tue 4, delivered Tue 4 10:00,
    rated 差评 Wed 5 (a 整改 for SAMR, due 15 working days later).
    B: asked for 补正 Mon 3 10:35, still with the applicant.
    C: refused Tue 4 09:30, and submitted by staff on the applicant's behalf (not 网办).
    D: 容缺受理 Tue 4 09:40; SAMR grants Mon 10 11:00, past both limits; the rest stay open.
    The worker sweeps on Fri 28: every open task is red by then."""
    window = login("window")
    a = submit(submit_case, at(3, 10))
    b = submit(submit_case, at(3, 10, 5))
    act(window, a, {"action": "accept"}, at(3, 10, 30))
    act(window, b, {"action": "correct", "materials": ["CL-GSZC"], "note": "章程未签字"},
        at(3, 10, 35))  # fmt: skip
    c = submit(submit_case, at(4, 9))
    d = submit(submit_case, at(4, 9, 5))
    act(window, c, {"action": "refuse", "reason": "经营范围属禁止类"}, at(4, 9, 30))
    gap = {"material": "CL-SQWTS", "promised_date": "2025-03-06"}
    act(window, d, {"action": "accept_with_gap", "gaps": [gap]}, at(4, 9, 40))
    grant(login, "samr", a, at(4, 9, 30), GRANT_A)
    for name in ("psb", "tax", "hrss"):
        grant(login, name, a, at(4, 9, 40))
    act(window, a, {"action": "deliver", "tracking_no": "EMS1234567890"}, at(4, 10))
    zhangsan = login("zhangsan")
    with clock.travel_to(at(5, 10)):
        rated = zhangsan.post_form(f"/applicant/cases/{a}/ratings", data=BAD)
        assert rated.status_code == 302, rated.get_data(as_text=True)[:500]
    grant(login, "samr", d, at(10, 11), GRANT_D)
    # C was typed in by the window for the applicant: its account is a clerk's.
    clerk_id = session.scalar(select(User.id).where(User.username == "window"))
    _case(session, c).applicant_id = clerk_id
    session.commit()
    with clock.travel_to(at(28, 9)):
        deadline_sweep.sweep_due_cases(session, now=at(28, 9))
        session.commit()
    return {"A": a, "B": b, "C": c, "D": d}


def test_the_month_on_the_dashboard_and_in_the_report(march, login, session):
    """One month's world (built once: it takes a while), every view of its figures."""
    _the_figures_are_the_hand_counted_ones(march, session)
    _filters_narrow_every_figure(march, session)
    _points_count_where_the_cases_were_handled(march, session)
    _the_page_shows_the_figures_in_tables_under_the_charts(march, login)
    _the_monthly_report_spreadsheet_and_print(march, login)


def _points_count_where_the_cases_were_handled(march, session):
    """The window works at the county hall: it accepted A and D there and delivered A; B
    (with the applicant for 补正) and C (refused) were sent online and never accepted,
    so they belong to no point."""
    march_period = figures.Filters(dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    board = figures.dashboard(session, march_period)
    (hall,) = board.points
    assert (hall.point, hall.level) == ("博罗县政务服务中心", "县级政务服务中心")
    assert (hall.received, hall.accepted, hall.completed) == (2, 2, 1)
    # Open now, all red by the 28th: D's three items after SAMR's grant, and A's 整改.
    assert (hall.open, hall.yellow, hall.red) == (4, 0, 4)
    county = session.scalar(select(ServicePoint.id).where(ServicePoint.name == hall.point))
    town = session.scalar(select(ServicePoint.id).where(ServicePoint.name.like("%园洲镇%")))
    at_hall = figures.dashboard(session, replace(march_period, point_id=county))
    assert (at_hall.received_in_period, at_hall.accepted_in_period) == (2, 2)
    assert at_hall.completed_in_period == 1
    assert at_hall.cases.refusal_rate == Decimal("0.0")  # C, refused, was not the hall's
    at_town = figures.dashboard(session, replace(march_period, point_id=town))
    assert (at_town.received_in_period, at_town.points, at_town.totals.open) == (0, [], 0)


def _the_figures_are_the_hand_counted_ones(march, session):
    board = figures.dashboard(session, figures.Filters(dt.date(2025, 3, 1), dt.date(2025, 3, 31)))
    assert (board.received_in_period, board.accepted_in_period, board.completed_in_period) == (
        4, 2, 1,
    )  # fmt: skip
    busy = {p.period: (p.received, p.accepted, p.completed) for p in board.flow if any(
        (p.received, p.accepted, p.completed))}  # fmt: skip
    assert busy == {"2025-03-03": (2, 1, 0), "2025-03-04": (2, 1, 1)}
    assert len(board.flow) == 31  # every day, quiet ones as zeros
    cases = board.cases
    # 补正 B of 4 received; 容缺 D of accepted A, D; refused C of A, D, C; A done without 补正;
    # C not submitted by its applicant online.
    assert cases.correction_rate == Decimal("25.0")
    assert cases.gap_rate == Decimal("50.0")
    assert cases.refusal_rate == Decimal("33.3")
    assert cases.done_at_once_rate == Decimal("100.0")
    assert cases.online_rate == Decimal("75.0")
    assert board.case_on_time_rate == Decimal("100.0")

    rows = {r.department: r for r in board.departments}
    assert set(rows) == {"市场监管局", "公安局", "税务局", "人社局"}
    samr = rows["市场监管局"]
    # A's registration in 0.96 working days (on time), D's in 4.06 (past 1 promised, 3 legal).
    assert (samr.completed, samr.on_time, samr.legal_counted, samr.legal_on_time) == (2, 1, 2, 1)
    assert (samr.on_time_rate, samr.legal_on_time_rate) == (Decimal("50.0"), Decimal("50.0"))
    # Open now: A's 差评整改 (a task outside BPMN, red since Wed 26) — no 法定时限.
    assert (samr.open, samr.yellow, samr.red, samr.legal_overdue) == (1, 0, 1, 0)
    for name in ("公安局", "税务局", "人社局"):
        # A's item on time; D's open since Mon 10, past its promise and its legal limit.
        row = rows[name]
        assert (row.completed, row.on_time, row.legal_on_time, row.open, row.red) == (1, 1, 1, 1, 1)
        assert row.legal_overdue == 1
    total = board.totals
    assert (total.completed, total.on_time, total.red, total.legal_overdue) == (5, 4, 4, 3)
    assert total.on_time_rate == Decimal("80.0")

    items = {i.item_code: i for i in board.items}
    assert items["SAMR-QYSLDJ"].completed == 2
    assert items["SAMR-QYSLDJ"].average_days == Decimal("2.51")  # (0.96 + 4.06) / 2
    assert items["SAMR-QYSLDJ"].promised_days == Decimal("1.00")
    assert items["PSB-GZKZBA"].average_days == Decimal("0.01")  # ten minutes
    assert items["PSB-GZKZBA"].promised_days == Decimal("0.50")

    assert (board.ratings.finished_cases, board.ratings.rated_cases) == (1, 1)
    assert board.ratings.satisfaction_rate == Decimal("0.0")
    assert board.ratings.rectification_rate == Decimal("0.0")
    # Each shipped theme's guidance asks questions.
    assert (board.guided_themes, board.published_themes) == (4, 4)


def _filters_narrow_every_figure(march, session):
    psb = session.scalar(select(User).where(User.username == "psb")).departments[0].id
    by_department = figures.dashboard(
        session, figures.Filters(dt.date(2025, 3, 1), dt.date(2025, 3, 31), department_id=psb)
    )
    # Only A and D reached 公安局.
    assert by_department.received_in_period == 2
    assert by_department.cases.correction_rate == Decimal("0.0")
    assert by_department.cases.gap_rate == Decimal("50.0")
    assert [r.department for r in by_department.departments] == ["公安局"]
    one_day = figures.dashboard(session, figures.Filters(dt.date(2025, 3, 4), dt.date(2025, 3, 4)))
    assert one_day.received_in_period == 2 and one_day.cases.refusal_rate == Decimal("50.0")
    other_theme = figures.dashboard(
        session, figures.Filters(dt.date(2025, 3, 1), dt.date(2025, 3, 31), theme_code="newborn")
    )
    assert other_theme.received_in_period == 0
    assert other_theme.cases.correction_rate is None  # nothing to divide: "—", never 0 %
    assert other_theme.departments == []


def _the_page_shows_the_figures_in_tables_under_the_charts(march, login):
    supervisor = login("supervisor")
    home = supervisor.client.get("/")
    assert home.status_code == 200
    html = supervisor.get("/supervision/?start=2025-03-01&end=2025-03-31").get_data(as_text=True)
    assert 'id="chart-flow"' in html and 'id="table-flow"' in html
    assert '<strong id="fig-received">4</strong>' in html
    assert 'id="rate-refusal">33.3%<' in html and 'id="rating-rectification">0.0%<' in html
    assert "dashboard-data" in html and "dist/dashboard.js" in html
    # A bad period is said, and the page still answers (this month).
    bad = supervisor.get("/supervision/?start=2025-03-31&end=2025-03-01")
    assert bad.status_code == 200 and "结束日期不能早于开始日期" in bad.get_data(as_text=True)


def _the_supervisor_sees_cases_masked(march, login, session):
    window = login("window")
    window.post_form(f"/clerk/cases/{march['D']}/comments", data={"body": "内部：法人电话打不通"})
    fresh = login("supervisor")
    landed = fresh.client.post(
        "/login", data={"username": "supervisor", "password": "yjs-demo-2026",
                        "csrf_token": fresh.csrf},
    )  # fmt: skip
    assert landed.headers["Location"] == "/supervision/"
    html = fresh.get(f"/supervision/cases/{march['D']}").get_data(as_text=True)
    assert "张*" in html and "张三" not in html
    case = _case(session, march["D"])
    # Nothing of the form: no ID number, no mobile, no enterprise name.
    for value in (case.answers["legal_rep.id_number"], case.answers["legal_rep.mobile"],
                  case.answers["enterprise.name"]):  # fmt: skip
        assert value not in html
    assert "法人电话打不通" not in html and "添加备注" not in html
    assert "红牌" in html and "催办" in html
    # The case's data and files stay the clerks' and the applicant's.
    assert fresh.get(f"/api/cases/{march['D']}").status_code == 404
    assert fresh.get("/clerk/").status_code == 403


def _red_task(session, case_no, department_code) -> CaseTask:
    case = _case(session, case_no)
    (task,) = [t for t in case.tasks if t.status == "open" and t.department.code == department_code]
    return task


def test_the_supervisor_sees_cases_masked_and_urges_a_red_task(march, login, session):
    _the_supervisor_sees_cases_masked(march, login, session)
    _urging_tells_the_department_and_waits_for_its_reply(march, login, session)


def _urging_tells_the_department_and_waits_for_its_reply(march, login, session):
    task = _red_task(session, march["D"], "PSB")
    supervisor = login("supervisor")
    with clock.travel_to(at(28, 10)):
        empty = supervisor.post_form(f"/supervision/tasks/{task.id}/urge", data={"message": " "})
        assert empty.status_code == 422 and "催办意见" in empty.get_data(as_text=True)
        done = supervisor.post_form(
            f"/supervision/tasks/{task.id}/urge", data={"message": "已超期，请今日办结"}
        )
    assert done.status_code == 302
    session.expire_all()
    told = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.event == "task_urged", OutboxMessage.case_id == task.case_id
        )  # fmt: skip
    ).all()
    assert {session.get(User, m.user_id).username for m in told} == {"psb"}
    assert "已超期，请今日办结" in told[0].body
    urged = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "task.urged", AuditEvent.task_id == task.id)
    ).one()
    assert urged.after["message"] == "已超期，请今日办结"
    reply = session.scalars(
        select(CaseTask).where(CaseTask.case_id == task.case_id, CaseTask.kind == "urge_reply")
    ).one()
    # A reply is expected within one working day: Fri 28 10:00 → Mon 31 10:00.
    assert reply.department_id == task.department_id and reply.status == "open"
    assert abs(reply.due_at - at(31, 10)) < dt.timedelta(minutes=1)  # the clock ticks on

    psb = login("psb")
    shown = psb.get(f"/clerk/tasks/{task.id}").get_data(as_text=True)
    assert "效能监督催办" in shown and "已超期，请今日办结" in shown and "待回复" in shown
    assert any(t["id"] == reply.id for t in psb.get("/api/tasks/?view=all").get_json()["tasks"])
    with clock.travel_to(at(28, 11)):
        _act(psb, reply.id, {"action": "reply_urge", "reply": "已联系申请人，今日办结"})
    session.expire_all()
    assert session.get(CaseTask, reply.id).status == "completed"
    html = supervisor.get(f"/supervision/cases/{march['D']}").get_data(as_text=True)
    assert "回复：已联系申请人，今日办结" in html
    # The applicant is told someone pushes, not what the supervisor wrote.
    applicant = login("zhangsan").get(f"/applicant/cases/{march['D']}").get_data(as_text=True)
    assert "效能监督已督促承办部门加快办理" in applicant and "请今日办结" not in applicant
    # A closed task cannot be urged.
    a_task = _case(session, march["A"]).tasks[1]
    closed = supervisor.post_form(f"/supervision/tasks/{a_task.id}/urge", data={"message": "快"})
    assert closed.status_code == 409


def test_a_red_card_is_escalated_then_again_while_it_stays_red(login, submit_case, session, app):
    """A task red on Mon 3 17:00 is reported to SAMR's head and the supervisors once; three
    working days later (Thu 6) again, one level up; once done, never again."""
    case_no = submit(submit_case, at(3, 9))
    act(login("window"), case_no, {"action": "accept"}, at(3, 9, 0))
    task = _red_task(session, case_no, "SAMR")
    assert abs(task.due_at - at(4, 9)) < dt.timedelta(minutes=1)

    def red_letters():
        session.expire_all()
        rows = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.event == "task_red_card", OutboxMessage.case_id == task.case_id
            )
        ).all()
        return sorted((session.get(User, m.user_id).username, m.title) for m in rows)

    with clock.travel_to(at(4, 10)):
        deadline_sweep.sweep_due_cases(session, now=at(4, 10))
        deadline_sweep.sweep_due_cases(session, now=at(4, 10, 5))  # nothing turns red twice
        session.commit()
    letters = red_letters()
    assert [u for u, _ in letters] == ["samr_head", "supervisor"]
    assert all("第1次" in title for _, title in letters)
    # Not yet three working days: Thu 6 9:59.
    assert escalation.escalate_still_red(session, at(7, 9, 59)) == 0
    assert escalation.escalate_still_red(session, at(7, 10)) == 1
    session.commit()
    assert sorted(t for _, t in red_letters() if "第2次" in t) and len(red_letters()) == 4
    levels = session.scalars(
        select(TaskEscalation.level).where(TaskEscalation.task_id == task.id)
    ).all()
    assert sorted(levels) == [1, 2]
    grant(login, "samr", case_no, at(7, 11), GRANT_A)
    # Level 3 would be due Wed 12 10:00: the task is done, nothing more is sent.
    assert escalation.escalate_still_red(session, at(12, 10)) == 1
    session.commit()
    assert len(red_letters()) == 4
    events = session.scalars(
        select(AuditEvent.after).where(
            AuditEvent.action == "task.escalated", AuditEvent.task_id == task.id
        )
    ).all()
    assert [e["level"] for e in events] == [1, 2]


def _the_monthly_report_spreadsheet_and_print(march, login):
    supervisor = login("supervisor")
    response = supervisor.get("/supervision/report.xlsx?month=2025-03")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["进度表"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "一件事集成服务效能监督月度进度表（2025年3月）"
    header = next(r for r in rows if r[0] == "主题")
    enterprise = next(r for r in rows if r[0] == "企业开办一件事")
    line = dict(zip(header, enterprise, strict=False))
    assert (line["收件"], line["受理"], line["办结"]) == (4, 2, 1)
    assert line["补正率"] == pytest.approx(0.25) and line["不予受理率"] == pytest.approx(0.333)
    assert line["网办率"] == pytest.approx(0.75)
    newborn = dict(zip(header, next(r for r in rows if r[0] == "新生儿出生一件事"), strict=False))
    assert newborn["收件"] == 0 and newborn["补正率"] == "—"
    departments = next(i for i, r in enumerate(rows) if r[0] == "部门")
    samr = next(r for r in rows[departments:] if r[0] == "市场监管局")
    assert samr[1:4] == [2, pytest.approx(0.5), pytest.approx(0.5)]
    total = next(r for r in rows[departments:] if r[0] == "合计")
    assert total[1] == 5 and total[6] == 4

    pdf = supervisor.get("/supervision/report.pdf?month=2025-03")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "效能监督月度进度表" in text and "市场监管局" in text
    bad = supervisor.get("/supervision/report.xlsx?month=2025-13")
    assert bad.status_code == 422 and "YYYY-MM" in bad.get_data(as_text=True)


def test_the_report_command_writes_both_files(app, tmp_path, session):
    from webapp.cli import main

    runner = app.test_cli_runner()
    result = runner.invoke(main, ["report", "monthly", "--month", "2025-02", "--to", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["效能监督月报-2025-02.pdf", "效能监督月报-2025-02.xlsx"]
    book = openpyxl.load_workbook(tmp_path / "效能监督月报-2025-02.xlsx")
    assert book["进度表"]["A1"].value.endswith("（2025年2月）")
    refused = runner.invoke(main, ["report", "monthly", "--month", "二月"])
    assert refused.exit_code != 0 and "YYYY-MM" in refused.output
