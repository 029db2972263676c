"""The applicant's whole journey in Chromium, on a phone (390 × 844) and on a desktop
(1280 × 900): guidance, the one form with a material uploaded while filling (a wrong file
refused in the browser, naming the limits), the rest declared 窗口提交纸质件, submission;
the front desk refusing 受理 while a paper is missing, then accepting; the applicant's case
page. No page is wider than the screen. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "processes/themes/enterprise-opening/sample-application.yaml"
)
THEME = "enterprise-opening"
FORM_URL = f"/applicant/apply/{THEME}?step=form&housing_fund.needed=true"
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
LIMITS = "单个文件不能超过 5 MB，仅限 PDF、PNG、JPEG"
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 900)}


def _fill(page, answers: dict) -> None:
    """Type the sample as a person would: the 省/市/区 selects, rows added, boxes ticked."""
    rows = answers.pop("shareholders")
    answers.pop("housing_fund.needed")
    answers.pop("enterprise.address.region")
    page.select_option("select.region-level-0", label="广东省")
    page.select_option("select.region-level-1", label="惠州市")
    page.select_option("select.region-level-2", label="博罗县")
    add = page.locator('.group[data-group="shareholders"] .add-row')
    for _ in rows[1:]:
        add.click()
    for i, row in enumerate(rows):
        for sub, value in row.items():
            _fill_one(page, f"shareholders[{i}].{sub}", value)
    for name, value in answers.items():
        _fill_one(page, name, value)


def _fill_one(page, name: str, value) -> None:
    if isinstance(value, bool):
        if value:
            page.locator(f'[name="{name}"][value="true"]').first.check()
        return
    if isinstance(value, list):
        for choice in value:
            page.locator(f'[name="{name}"][value="{choice}"]').check()
        return
    field = page.locator(f'[name="{name}"]').first
    if field.evaluate("el => el.tagName") == "SELECT":
        field.select_option(str(value))
    else:
        field.fill(str(value))


def _no_horizontal_scroll(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide at {width} px"


def _shot(page, artifacts_dir, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"journey-{name}.png"), full_page=True)


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_the_applicant_journey_with_materials(device, browser, live_server, artifacts_dir):
    from playwright.sync_api import expect

    from webapp.accounts.users import DEMO_PASSWORD

    width, height = VIEWPORTS[device]
    contexts = []

    def login(username: str):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(live_server("/login"))
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("form[action='/login'] button[type=submit]")
        return page

    try:
        page = login("zhangsan")
        page.goto(live_server("/applicant/"))
        _no_horizontal_scroll(page, width)
        _shot(page, artifacts_dir, f"{device}-1-home")

        # Guidance, then the one form for the answers given.
        page.goto(live_server(f"/applicant/apply/{THEME}"))
        _no_horizontal_scroll(page, width)
        _shot(page, artifacts_dir, f"{device}-2-guide")
        page.goto(live_server(FORM_URL))
        answers = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
        paper = answers.pop("materials.on_paper")
        _fill(page, answers)
        # Every required material but 公司章程 comes on paper.
        for code in paper:
            if code != "CL-GSZC":
                page.locator(f'[name="materials.on_paper"][value="{code}"]').check()

        # A Word document is refused in the browser, naming the limits; nothing is sent.
        material = page.locator('.material[data-material="CL-GSZC"]')
        material.locator('input[type="file"]').set_input_files(
            files=[{"name": "章程.docx", "mimeType": "application/msword", "buffer": b"PK\x03"}]
        )
        expect(material.locator("[data-file-error]")).to_contain_text(LIMITS)
        expect(material).to_have_class(re.compile("field-error"))
        _no_horizontal_scroll(page, width)
        material.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts_dir / f"journey-{device}-3-wrong-file.png"))

        # A PDF is uploaded at once; the form comes back as the draft, everything kept.
        with page.expect_navigation():
            material.locator('input[type="file"]').set_input_files(
                files=[{"name": "公司章程.pdf", "mimeType": "application/pdf", "buffer": PDF}]
            )
        assert re.search(r"/applicant/drafts/\d+", page.url), page.url
        material = page.locator('.material[data-material="CL-GSZC"]')
        expect(material.locator(".file")).to_contain_text("公司章程.pdf")
        expect(page.locator('[name="enterprise.name"]')).to_have_value(answers["enterprise.name"])
        for code in paper:
            if code != "CL-GSZC":
                expect(page.locator(f'[name="materials.on_paper"][value="{code}"]')).to_be_checked()
        _no_horizontal_scroll(page, width)
        material.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts_dir / f"journey-{device}-4-uploaded.png"))

        with page.expect_navigation():
            page.click("#submit-application")
        case_no = page.locator("#case-no").inner_text()
        assert re.fullmatch(r"YJS-\d{8}-\d{6}", case_no)

        # The front desk: one paper is not on the desk, so 受理 is refused, naming it.
        window = login("window")
        window.goto(live_server(f"/clerk/cases/{case_no}"))
        accept_form = window.locator("#accept-form")
        expect(accept_form.locator("#missing-materials")).to_contain_text("尚缺 4 项必交材料")
        accept_form.locator('input[name="paper_received"][value="CL-ZSSYZM"]').uncheck()
        with window.expect_navigation():
            accept_form.locator('button[type="submit"]').click()
        accept_form = window.locator("#accept-form")
        expect(window.locator("#task-actions .error").first).to_contain_text("不能受理")
        expect(window.locator("#task-actions")).to_contain_text("住所（经营场所）使用证明")
        accept_form.scroll_into_view_if_needed()
        window.screenshot(path=str(artifacts_dir / f"journey-{device}-5-refused.png"))
        # The paper arrives: ticked, and accepted.
        accept_form.locator('input[name="paper_received"][value="CL-ZSSYZM"]').check()
        with window.expect_navigation():
            accept_form.locator('button[type="submit"]').click()
        expect(window.locator(".flash")).to_contain_text(f"{case_no}：受理")

        # The applicant's case page: status, next step, materials, plain timeline.
        page.goto(live_server(f"/applicant/cases/{case_no}"))
        expect(page.locator("#case-status")).to_have_text("办理中")
        expect(page.locator("#next-step")).to_contain_text("各部门正在审批")
        expect(page.locator('.material[data-material="CL-GSZC"]')).to_contain_text(
            "已上传 1 个文件"
        )
        expect(page.locator('.material[data-material="CL-ZSSYZM"]')).to_contain_text(
            "综合窗口已核收纸质件"
        )
        expect(page.locator("#timeline")).to_contain_text("综合窗口已受理您的申请")
        _no_horizontal_scroll(page, width)
        # Header and progress list read as lines, not one character per line.
        line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")
        assert page.locator(".brand").bounding_box()["height"] < 2 * line
        for name in page.locator(".steps .step-name").all():
            assert name.bounding_box()["height"] < 2.5 * line, name.inner_text()
        _shot(page, artifacts_dir, f"{device}-6-case")

        page.goto(live_server("/applicant/"))
        expect(page.locator("#my-cases")).to_contain_text("办理中")
        _no_horizontal_scroll(page, width)
        _shot(page, artifacts_dir, f"{device}-7-my-cases")
    finally:
        for context in contexts:
            context.close()
