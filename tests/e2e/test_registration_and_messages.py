"""A citizen in Chromium, on a phone (390 × 844) and on a desktop (1280 × 900): registers
with real name and a mobile proven by the SMS code (read from the file channel, as the
worker delivered it), logs in with the mobile, finds the form prefilled from the profile,
submits; the front desk asks for 补正; the worker delivers; the 补正 message waits in 消息
with the unread count in the top bar. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from stdnum.cn import ric

from tests.e2e.test_applicant_materials_journey import SAMPLE, _fill, _no_horizontal_scroll

pytestmark = pytest.mark.e2e

THEME = "enterprise-opening"
FORM_URL = f"/applicant/apply/{THEME}?step=form&housing_fund.needed=true"
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 900)}
PASSWORD = "my-own-password-2026"  # noqa: S105 - the test citizen's password
# A person per run (the live server is shared): 张三 of the sample, born on another day.
PEOPLE = {"phone": ("19920305", "13712340001"), "desktop": ("19920306", "13712340002")}


def _id_number(birth: str) -> str:
    body = f"441302{birth}002"
    return body + ric.calc_check_digit(body + "0")


def _deliver(live_server) -> None:
    """What `yjs worker` does between its sweeps: send the outbox."""
    from webapp import worker

    with live_server.app.app_context():
        worker.deliver_notifications()


def _code_sent_to(live_server, mobile: str) -> str:
    _deliver(live_server)
    lines = live_server.app.config["SMS_LOG_FILE"].read_text("utf-8").splitlines()
    texts = [json.loads(x)["text"] for x in lines if json.loads(x)["to"] == mobile]
    return re.search(r"验证码为(\d{6})", texts[-1]).group(1)


def _shot(page, artifacts_dir, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"register-{name}.png"), full_page=True)


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_register_submit_and_read_the_correction_message(
    device, browser, live_server, artifacts_dir
):
    from playwright.sync_api import expect

    from webapp.accounts.users import DEMO_PASSWORD

    width, height = VIEWPORTS[device]
    birth, mobile = PEOPLE[device]
    id_number = _id_number(birth)
    contexts = []

    def new_page():
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    def login(page, username, password):
        page.goto(live_server("/login"))
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("form[action='/login'] button[type=submit]")

    try:
        # Register: name, ID number, mobile; the code comes by SMS.
        page = new_page()
        page.goto(live_server("/login"))
        with page.expect_navigation():
            page.click("text=实名注册")
        page.fill("input[name=name]", "张三")
        page.fill("input[name=id_number]", id_number)
        page.fill("input[name=mobile]", mobile)
        _no_horizontal_scroll(page, width)
        _shot(page, artifacts_dir, f"{device}-1-register")
        with page.expect_navigation():
            page.click("text=获取短信验证码")
        expect(page.locator(".flash")).to_contain_text("验证码已发送")
        # A wrong code first: refused, said plainly.
        page.fill("input[name=code]", "000000")
        page.fill("input[name=password]", PASSWORD)
        page.fill("input[name=confirm_password]", PASSWORD)
        with page.expect_navigation():
            page.click("#register button[type=submit]:has-text('注册')")
        code = _code_sent_to(live_server, mobile)
        if code != "000000":
            expect(page.locator("#register .error")).to_contain_text("验证码错误")
        _shot(page, artifacts_dir, f"{device}-2-code")
        page.fill("input[name=code]", code)
        page.fill("input[name=password]", PASSWORD)
        page.fill("input[name=confirm_password]", PASSWORD)
        with page.expect_navigation():
            page.click("#register button[type=submit]:has-text('注册')")
        expect(page.locator(".flash")).to_contain_text("注册成功")

        # Log in with the mobile; the form starts from the profile.
        login(page, mobile, PASSWORD)
        page.goto(live_server(FORM_URL))
        expect(page.locator('[name="applicant.id_number"]')).to_have_value(id_number)
        expect(page.locator('[name="applicant.mobile"]')).to_have_value(mobile)
        answers = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
        paper = answers.pop("materials.on_paper")
        for key in (
            "applicant.name",
            "applicant.id_type",
            "applicant.id_number",
            "applicant.mobile",
        ):
            answers.pop(key)
        _fill(page, answers)
        for code_ in paper:
            page.locator(f'[name="materials.on_paper"][value="{code_}"]').check()
        with page.expect_navigation():
            page.click("#submit-application")
        case_no = page.locator("#case-no").inner_text()

        # The front desk asks for 补正 (one-time list).
        window = new_page()
        login(window, "window", DEMO_PASSWORD)
        window.goto(live_server(f"/clerk/cases/{case_no}"))
        correct = window.locator("#correct-form")
        correct.locator("xpath=..").locator("summary").click()
        correct.locator('input[name="fields"][value="enterprise.name"]').check()
        correct.locator('textarea[name="note"]').fill("企业名称与名称自主申报结果不一致")
        with window.expect_navigation():
            correct.locator('button[type="submit"]').click()

        # The worker delivers; the applicant sees the unread count and the message.
        _deliver(live_server)
        page.goto(live_server("/applicant/"))
        badge = page.locator("#nav-messages .unread-count")
        expect(badge).to_be_visible()
        unread = int(badge.inner_text())
        assert unread >= 2  # 申请已收到, 需要补正
        _no_horizontal_scroll(page, width)
        with page.expect_navigation():
            page.click("#nav-messages")
        message = page.locator('.message[data-event="correction_requested"]')
        expect(message).to_contain_text(f"办件 {case_no} 需要补正")
        expect(message).to_contain_text("企业名称")
        expect(message).to_contain_text("企业名称与名称自主申报结果不一致")
        expect(message.locator(".badge")).to_have_text("未读")
        assert id_number not in page.content()  # personal data stays out of messages
        _no_horizontal_scroll(page, width)
        _shot(page, artifacts_dir, f"{device}-3-messages")

        # Opening it leads to the case, and the count drops by one.
        with page.expect_navigation():
            message.locator("button").click()
        assert page.url.endswith(f"/applicant/cases/{case_no}")
        expect(page.locator("#case-status")).to_have_text("待补正")
        expect(page.locator("#nav-messages .unread-count")).to_have_text(str(unread - 1))
        page.goto(live_server("/account/profile"))
        expect(page.locator("#profile")).to_contain_text("已验证")
        _no_horizontal_scroll(page, width)
        _shot(page, artifacts_dir, f"{device}-4-profile")
    finally:
        for context in contexts:
            context.close()
