"""A 企业开办 case through the clerks' workbench in Chromium, across the roles:
综合受理 with a 容缺 material → parallel approvals → held at 出件 → material arrives → 统一出件.
Screenshots of the inbox and the case page go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
import re

import yaml

from webapp.clock import CHINA_TZ

from .conftest import REPO

SAMPLE = REPO / "processes" / "themes" / "enterprise-opening" / "sample-application.yaml"


def _submit_over_api(live_server) -> str:
    from tests.conftest import UserClient
    from webapp.accounts.users import DEMO_PASSWORD

    client = UserClient(live_server.app.test_client(), "zhangsan").login(DEMO_PASSWORD)
    answers = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    created = client.post_json("/api/cases/", {"theme": "enterprise-opening", "answers": answers})
    assert created.status_code == 201, created.get_json()
    return created.get_json()["case_no"]


def _open_task(page, live_server, case_no):
    page.goto(live_server("/clerk/"))
    row = page.locator(f"#inbox tr:has-text('{case_no}')")
    row.get_by_role("link", name="办理").click()
    page.wait_for_selector("#task-actions")


def test_case_through_the_workbench_with_a_gap(live_server, login_page, artifacts_dir):
    case_no = _submit_over_api(live_server)

    window = login_page("window")
    window.goto(live_server("/clerk/"))
    window.wait_for_selector(f"#inbox tr:has-text('{case_no}')")
    window.screenshot(path=str(artifacts_dir / "workbench-inbox.png"), full_page=True)
    _open_task(window, live_server, case_no)

    # 容缺受理: 授权委托书 is eligible; promise it in three days.
    window.locator("summary", has_text="容缺受理").click()
    gap_form = window.locator("#gap-form")
    gap_form.locator("input[name=gap][value='CL-SQWTS']").check()
    promised = (dt.datetime.now(CHINA_TZ).date() + dt.timedelta(days=3)).isoformat()
    gap_form.locator("input[name='gap_date_CL-SQWTS']").fill(promised)
    with window.expect_navigation():
        gap_form.get_by_role("button", name="容缺受理").click()
    assert "容缺受理" in window.locator(".flash").inner_text()

    # Back office: 市场监管局 first (serial), then four departments in parallel.
    # Each button says the item's decision in its type's words: 企业设立登记 is a licence
    # (行政许可), 公章刻制备案 and 涉税事项 other powers, 参保 and 公积金 public services.
    grants = [
        ("samr", "91441322MA5E2E000H", "准予许可"),
        ("psb", "", "办结"),
        ("tax", "", "办结"),
        ("hrss", "", "办结"),
        ("hf", "", "办结"),
    ]
    for username, licence_no, word in grants:
        page = login_page(username)
        _open_task(page, live_server, case_no)
        if username == "samr":
            page.click("#claim")
            page.wait_for_selector("#claimed-by")
        form = page.locator("#grant-form")
        form.locator("textarea[name=opinion]").fill("材料齐全，准予办理")
        if licence_no:
            form.locator("input[name=result_no]").fill(licence_no)
        with page.expect_navigation():
            form.get_by_role("button", name=word, exact=True).click()
        assert word in page.locator(".flash").inner_text(), username

    # 出件 is held while the 容缺 material is missing.
    _open_task(window, live_server, case_no)
    assert "结果暂缓出件" in window.locator("#held").inner_text()
    assert window.locator("#deliver-form button[type=submit]").is_disabled()
    window.goto(live_server(f"/clerk/cases/{case_no}"))
    window.wait_for_selector(".bpmn-viewer svg")
    window.screenshot(path=str(artifacts_dir / "workbench-case-held.png"), full_page=True)
    with window.expect_navigation():
        window.locator("#gaps").get_by_role("button", name="登记已补齐").click()

    _open_task(window, live_server, case_no)
    deliver = window.locator("#deliver-form")
    deliver.locator("select[name=method]").select_option("post")
    deliver.locator("input[name=tracking_no]").fill("EMS9876543210")
    with window.expect_navigation():
        deliver.get_by_role("button", name="统一出件").click()

    window.goto(live_server(f"/clerk/cases/{case_no}"))
    window.wait_for_selector(".bpmn-viewer svg")
    assert window.locator("#case-status").inner_text() == "已办结出件"
    assert "EMS9876543210" in window.locator("#delivery").inner_text()
    window.screenshot(path=str(artifacts_dir / "workbench-case-completed.png"), full_page=True)

    applicant = login_page("zhangsan")
    applicant.goto(live_server(f"/applicant/cases/{case_no}"))
    assert applicant.locator("#case-status").inner_text() == "已办结出件"
    licences = applicant.locator("#licences").inner_text()
    assert re.search(r"营业执照 · 91441322MA5E2E000H", licences)
