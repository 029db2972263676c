"""代办 at a town centre in Chromium, on a desktop (1280 px) and a phone (390 px): the
园洲镇 window's clerk fills in the 企业开办 form for 张三 on his signed 授权委托书, the
paper ticked as received; the clerk's list and the case page say who acted for whom and
where. No page is wider than the screen. Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.e2e.test_applicant_materials_journey import _fill, _no_horizontal_scroll

pytestmark = pytest.mark.e2e

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "processes/themes/enterprise-opening/sample-application.yaml"
)
FORM_URL = "/assist/apply/enterprise-opening?step=form&housing_fund.needed=true"
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_proxy_submission_at_a_town_centre(device, browser, live_server, artifacts_dir):
    from playwright.sync_api import expect

    from webapp.accounts.users import DEMO_PASSWORD

    width, height = VIEWPORTS[device]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    context.set_default_timeout(10_000)

    def shot(page, name: str, full: bool = False) -> None:
        _no_horizontal_scroll(page, width)
        page.screenshot(path=str(artifacts_dir / f"assist-{device}-{name}.png"), full_page=full)

    try:
        page = context.new_page()
        page.goto(live_server("/login"))
        page.fill("input[name=username]", "yuanzhou")
        page.fill("input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("form[action='/login'] button[type=submit]")
        page.goto(live_server("/assist/"))
        expect(page.locator("h1")).to_contain_text("园洲镇便民服务中心")
        shot(page, "1-home")

        page.goto(live_server(FORM_URL))
        expect(page.locator("#assist-point")).to_contain_text("园洲镇便民服务中心")
        answers = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
        answers.pop("materials.on_paper")
        # Forgetting the letter: refused in Chinese, everything typed kept.
        page.check('[name="mode"][value="proxy"]')
        page.fill("#party_name", "张三")
        page.fill("#party_number", answers["applicant.id_number"])
        page.fill("#party_mobile", answers["applicant.mobile"])
        page.check('[name="consent"]')
        _fill(page, dict(answers))
        with page.expect_navigation():
            page.click("#submit-assisted")
        letter_error = page.locator("#assistance .error")
        expect(letter_error).to_contain_text("代办须上传委托人签署的授权委托书")
        expect(page.locator('[name="enterprise.name"]')).to_have_value(answers["enterprise.name"])
        expect(page.locator("#party_number")).to_have_value(answers["applicant.id_number"])
        page.locator("#assistance").scroll_into_view_if_needed()
        shot(page, "2-letter-missing")

        page.set_input_files(
            "#proxy_letter",
            files=[{"name": "授权委托书.pdf", "mimeType": "application/pdf", "buffer": PDF}],
        )
        page.check('[name="consent"]')
        page.select_option("#collection_point_select", label="园洲镇便民服务中心")
        page.locator("#collection-point").scroll_into_view_if_needed()
        shot(page, "3-collection-point")
        with page.expect_navigation():
            page.click("#submit-assisted")
        expect(page.locator(".flash").first).to_contain_text("已代办提交")
        row = page.locator("#assisted-cases tbody tr").first
        expect(row).to_contain_text("张三")
        expect(row).to_contain_text("代办")
        case_no = row.get_attribute("id").removeprefix("case-")
        shot(page, "4-submitted")

        # The case, as the front desk opens it: who acted for whom, and where.
        page.goto(live_server(f"/clerk/cases/{case_no}"))
        network = page.locator("#case-network")
        expect(network.locator("#submitted-point")).to_have_text("园洲镇便民服务中心")
        expect(network.locator("#assisted")).to_contain_text("周窗口（园洲镇） 为 张三 代办")
        expect(network.locator("#assisted a")).to_have_text("授权委托书")
        network.scroll_into_view_if_needed()
        shot(page, "5-case")
        page.goto(live_server("/clerk/?view=point"))
        expect(page.locator(f'tr:has-text("{case_no}") .point-badge')).to_have_text("本服务点")
        shot(page, "6-inbox")
    finally:
        context.close()
