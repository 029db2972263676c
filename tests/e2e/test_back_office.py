"""The back office in Chromium, on 开办餐饮店一件事: 食品经营许可 goes 承办人审查 → 科室负责人
审核 → 分管领导审批 with one 退回, after a 现场勘查 (特别程序) started and ended from the
task page. Screenshots at 1280 px and 390 px go to test-artifacts/."""

from __future__ import annotations

import re

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _case_at_food_licence(live_server) -> tuple[str, int]:
    """A 开办餐饮店 case decided over the API up to its 食品经营许可 task."""
    from tests.conftest import UserClient
    from tests.webapp.test_shipped_themes_end_to_end import _answers, _result_no
    from webapp.accounts.users import DEMO_PASSWORD

    def client(name):
        return UserClient(live_server.app.test_client(), name).login(DEMO_PASSWORD)

    created = client("zhangsan").post_json(
        "/api/cases/", {"theme": "restaurant-opening", "answers": _answers("restaurant-opening")}
    )
    assert created.status_code == 201, created.get_json()
    case_no = created.get_json()["case_no"]
    clerks = {name: client(name) for name in ("window", "samr", "fire", "urban", "water")}

    def item_code(task_id: int) -> str | None:
        from webapp.db import db_session
        from webapp.models import CaseTask

        with live_server.app.app_context():
            return db_session().get(CaseTask, task_id).item_code

    for serial in range(1, 10):
        for user in clerks.values():
            tasks = [
                t for t in user.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no
            ]
            for task in tasks:
                if task["kind"] == "acceptance":
                    body = {"action": "accept"}
                elif item_code(task["id"]) == "SAMR-SPJYXK":
                    return case_no, task["id"]
                else:
                    number = _result_no(item_code(task["id"]), serial)
                    body = {"action": "grant", "opinion": "同意", "result_no": number}
                done = user.post_json(f"/api/tasks/{task['id']}/complete", body)
                assert done.status_code == 200, done.get_json()
    raise AssertionError("食品经营许可 never opened")


def _no_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def test_levels_with_a_return_and_a_site_inspection(live_server, login_page, artifacts_dir):
    case_no, task_id = _case_at_food_licence(live_server)
    task_url = live_server(f"/clerk/tasks/{task_id}")

    samr = login_page("samr")
    samr.set_viewport_size(DESKTOP)
    samr.goto(task_url)
    assert "承办人审查" in samr.locator("#levels .level-now").inner_text()
    special = samr.locator("#special-form")
    samr.locator("summary", has_text="特别程序").click()
    special.locator("select[name=kind]").select_option("现场勘查")
    special.locator("textarea[name=reason]").fill("核查经营场所布局与设备设施")
    special.locator("input[name=expected_days]").fill("2")
    with samr.expect_navigation():
        special.get_by_role("button", name="启动特别程序").click()
    samr.goto(task_url)
    running = samr.locator("#special-running")
    assert "现场勘查" in running.inner_text() and "不计入" in running.inner_text()
    assert samr.locator("#grant-form").count() == 0
    samr.screenshot(path=str(artifacts_dir / "back-office-special-1280.png"), full_page=True)
    _no_overflow(samr)
    with samr.expect_navigation():
        running.get_by_role("link", name="去结束特别程序").click()
    samr.locator("#end-special-form textarea[name=result]").fill("现场布局合理，设备设施齐全")
    with samr.expect_navigation():
        samr.get_by_role("button", name="结束特别程序，恢复计时").click()

    samr.goto(task_url)
    form = samr.locator("#submit-level-form")
    form.locator("textarea[name=opinion]").fill("材料齐全，现场勘查符合要求，拟准予")
    with samr.expect_navigation():
        form.get_by_role("button", name="上报").click()

    chief = login_page("samr_chief")
    chief.set_viewport_size(DESKTOP)
    chief.goto(live_server("/clerk/"))
    chief.locator(f"#inbox tr:has-text('{case_no}')").get_by_role("link", name="办理").click()
    assert "科室负责人审核" in chief.locator("#levels .level-now").inner_text()
    chief.locator("summary", has_text="退回承办人审查").click()
    chief.locator("#send-back-form textarea[name=reason]").fill("请补充从业人员健康证明核查情况")
    chief.set_viewport_size(PHONE)
    actions = chief.locator("#task-actions")
    actions.screenshot(path=str(artifacts_dir / "back-office-return-390.png"))
    _no_overflow(chief)
    with chief.expect_navigation():
        chief.get_by_role("button", name="退回").click()

    samr.goto(task_url)
    assert "请补充从业人员健康证明核查情况" in samr.locator("#reviews").inner_text()
    samr.locator("#submit-level-form textarea[name=opinion]").fill("已核查健康证明，拟准予")
    with samr.expect_navigation():
        samr.locator("#submit-level-form").get_by_role("button", name="上报").click()
    chief.set_viewport_size(DESKTOP)
    chief.goto(task_url)
    chief.locator("#submit-level-form textarea[name=opinion]").fill("同意，报分管领导审批")
    with chief.expect_navigation():
        chief.locator("#submit-level-form").get_by_role("button", name="上报").click()

    head = login_page("samr_head")
    head.set_viewport_size(DESKTOP)
    head.goto(task_url)
    assert "分管领导审批" in head.locator("#levels .level-now").inner_text()
    assert len(head.locator("#reviews li").all()) == 4
    head.locator("#grant-form textarea[name=opinion]").fill("准予许可")
    head.locator("#grant-form input[name=result_no]").fill("JY14413220000077")
    head.screenshot(path=str(artifacts_dir / "back-office-levels-1280.png"), full_page=True)
    head.set_viewport_size(PHONE)
    head.screenshot(path=str(artifacts_dir / "back-office-levels-390.png"), full_page=True)
    _no_overflow(head)
    with head.expect_navigation():
        head.locator("#grant-form").get_by_role("button", name="准予许可").click()
    assert re.search("准予许可", head.locator(".flash").inner_text())

    applicant = login_page("zhangsan")
    applicant.set_viewport_size(PHONE)
    applicant.goto(live_server(f"/applicant/cases/{case_no}"))
    assert "特别程序告知书" in applicant.content()
    applicant.screenshot(path=str(artifacts_dir / "back-office-applicant-390.png"), full_page=True)
    _no_overflow(applicant)
