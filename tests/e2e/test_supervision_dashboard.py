"""效能监督 in Chromium: the supervisor logs in and lands on the dashboard, the charts draw
(ECharts, Chinese labels), filtering by a department narrows the tables, and the monthly
进度表 downloads as a spreadsheet that opens; a red task is urged (催办) from the list.
Screenshots at 1280 and 390 px go to test-artifacts/ (and shots/ in the working copy)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl

SHOTS = Path(__file__).resolve().parents[2] / "shots"


def _cases_with_a_red_card(live_server) -> None:
    """One 企业开办 case handed out, one waiting at 市场监管局; the worker's sweep, run ten
    days ahead, turns the waiting task red."""
    from tests.conftest import UserClient
    from tests.webapp.conftest import enterprise_answers
    from webapp.accounts.users import DEMO_PASSWORD
    from webapp.clock import now
    from webapp.db import db_session
    from webapp.deadlines import sweep

    def client(name):
        return UserClient(live_server.app.test_client(), name).login(DEMO_PASSWORD)

    def act(user, case_no, payload):
        tasks = [t for t in user.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no]
        response = user.post_json(f"/api/tasks/{tasks[0]['id']}/complete", payload)
        assert response.status_code == 200, response.get_json()

    def submit():
        created = client("zhangsan").post_json(
            "/api/cases/",
            {"theme": "enterprise-opening", "answers": enterprise_answers(housing_fund=False)},
        )
        assert created.status_code == 201, created.get_json()
        return created.get_json()["case_no"]

    window = client("window")
    done, waiting = submit(), submit()
    for case_no in (done, waiting):
        act(window, case_no, {"action": "accept", "opinion": "予以受理"})
    for name in ("samr", "psb", "tax", "hrss"):
        number = "91441322MA4X0009XG" if name == "samr" else ""
        act(client(name), done, {"action": "grant", "opinion": "同意", "result_no": number})
    act(window, done, {"action": "deliver", "tracking_no": "EMS1234567890"})
    with live_server.app.app_context():
        session = db_session()
        sweep.sweep_due_cases(session, now=now() + dt.timedelta(days=10))
        session.commit()


def _shot(page, artifacts_dir: Path, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    for directory in (artifacts_dir, SHOTS):
        page.screenshot(path=str(directory / name), full_page=True)


def test_supervisor_filters_the_dashboard_and_downloads_the_report(
    live_server, login_page, artifacts_dir, tmp_path
):
    _cases_with_a_red_card(live_server)
    page = login_page("supervisor")
    assert page.url.endswith("/supervision/")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_selector("body[data-charts-ready='4']")
    # The charts drew, in Chinese: the legend names the series.
    flow = page.locator("#chart-flow svg")
    assert flow.count() == 1 and "收件" in flow.inner_html()
    assert "红牌" in page.locator("#chart-departments svg").inner_html()
    # Other browser tests share this server: at least our red task, and the headline is the
    # table's total.
    red = page.locator("#fig-red").inner_text()
    assert int(red) >= 1
    assert page.locator("#table-departments tr.total td").nth(6).inner_text() == red
    _shot(page, artifacts_dir, "supervision-dashboard-1280.png")

    page.select_option("#filter-department", label="公安局")
    with page.expect_navigation():
        page.click("#apply-filters")
    assert "department=" in page.url
    page.wait_for_selector("body[data-charts-ready='4']")
    departments = page.locator("#table-departments tbody tr td:first-child").all_inner_texts()
    assert departments == ["公安局", "合计"]
    psb = page.locator("#table-departments tbody tr").first.locator("td")
    assert page.locator("#fig-red").inner_text() == psb.nth(6).inner_text()

    with page.expect_download() as download:
        page.click("#download-xlsx")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.endswith(".xlsx") and "效能监督月报" in saved.name
    sheet = openpyxl.load_workbook(io.BytesIO(saved.read_bytes()))["进度表"]
    assert sheet["A1"].value.startswith("一件事集成服务效能监督月度进度表")

    # 催办 the red task from the list under the charts.
    page.goto(live_server("/supervision/"))
    page.locator("#red-tasks").get_by_role("link", name="查看、催办").first.click()
    page.fill(".urge-form textarea[name=message]", "已超承诺期限，请今日办结并回复")
    with page.expect_navigation():
        page.locator(".urge-form button").first.click()
    assert "已催办" in page.locator(".flash").inner_text()
    assert "已超承诺期限，请今日办结并回复" in page.locator(".urge").first.inner_text()
    _shot(page, artifacts_dir, "supervision-case-1280.png")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server("/supervision/"))
    page.wait_for_selector("body[data-charts-ready='4']")
    # Nothing wider than the phone: tables scroll inside their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, artifacts_dir, "supervision-dashboard-390.png")
