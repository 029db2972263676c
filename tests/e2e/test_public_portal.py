"""The public face in Chromium, on a desktop (1280 × 900) and a phone (390 × 844): an
anonymous visitor finds a theme from the home page by searching, reads its guide and its
一次告知书; an applicant's 收件凭证 carries a QR code which, decoded from the screenshot as a
phone would, leads to 办件查询, where the receipt's query code shows the progress — and no
personal data. No page is wider than the screen. Screenshots go to test-artifacts/."""

from __future__ import annotations

import io

import pytest
import yaml
import zxingcpp
from PIL import Image

from .conftest import REPO

pytestmark = pytest.mark.e2e

SAMPLE = REPO / "processes" / "themes" / "enterprise-opening" / "sample-application.yaml"
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}


def _submit_over_api(live_server) -> str:
    from tests.conftest import UserClient
    from webapp.accounts.users import DEMO_PASSWORD

    client = UserClient(live_server.app.test_client(), "zhangsan").login(DEMO_PASSWORD)
    answers = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    created = client.post_json("/api/cases/", {"theme": "enterprise-opening", "answers": answers})
    assert created.status_code == 201, created.get_json()
    return created.get_json()["case_no"]


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def _context(browser, device):
    width, height = VIEWPORTS[device]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    context.set_default_timeout(10_000)
    return context


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_visitor_finds_a_theme_and_reads_its_notice(live_server, browser, artifacts_dir, device):
    context = _context(browser, device)
    try:
        page = context.new_page()
        page.goto(live_server("/"))
        assert page.locator("[data-audience='个人'] .wish").count() >= 2
        _fits(page)
        page.screenshot(path=str(artifacts_dir / f"portal-{device}-1-home.png"), full_page=True)
        page.fill("#q", "开办企业")
        with page.expect_navigation():
            page.press("#q", "Enter")
        wishes = page.locator(".wish-name")
        assert wishes.all_inner_texts() == ["我要开办企业"]
        with page.expect_navigation():
            wishes.first.click()
        assert page.locator("h1").inner_text() == "我要开办企业"
        assert "企业设立登记" in page.locator("#guide-items").inner_text()
        _fits(page)
        page.screenshot(path=str(artifacts_dir / f"portal-{device}-2-guide.png"), full_page=True)
        with page.expect_navigation():
            page.click("#notice-link")
        assert "企业开办一件事一次告知书" in page.locator("body").inner_text()
        assert "公司章程" in page.locator("body").inner_text()
        page.screenshot(path=str(artifacts_dir / f"portal-{device}-3-notice.png"))
    finally:
        context.close()


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_the_receipts_qr_code_leads_to_the_query(
    live_server, browser, login_page, artifacts_dir, device
):
    case_no = _submit_over_api(live_server)
    applicant = login_page("zhangsan")
    width, height = VIEWPORTS[device]
    applicant.set_viewport_size({"width": width, "height": height})
    applicant.goto(live_server(f"/applicant/cases/{case_no}"))
    _fits(applicant)
    applicant.locator("#instruments").screenshot(
        path=str(artifacts_dir / f"portal-{device}-4-case-instruments.png")
    )
    row = applicant.locator("#instruments tr[data-kind='receipt']")
    number = row.locator(".instrument-number").inner_text()
    assert number == f"{case_no}-SJ01"
    applicant.goto(live_server(f"/instruments/{number}"))
    assert applicant.locator("h1").inner_text().replace(" ", "") == "申请材料接收凭证"
    _fits(applicant)
    applicant.screenshot(path=str(artifacts_dir / f"portal-{device}-4-receipt.png"), full_page=True)
    query_code = applicant.locator(".query-code").inner_text()
    # The QR code, as a camera sees it: a picture of the printed document, decoded.
    picture = applicant.locator(".qr").screenshot()
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(picture)))
    assert decoded.text == live_server(f"/query?no={case_no}")

    context = _context(browser, device)  # someone else's phone: not logged in
    try:
        phone = context.new_page()
        phone.goto(decoded.text)
        assert phone.locator("input[name=no]").input_value() == case_no
        phone.fill("input[name=code]", query_code)
        with phone.expect_navigation():
            phone.click("#query-form button[type=submit]")
        result = phone.locator("#query-result").inner_text()
        assert "企业开办一件事" in result and "已提交" in result and "综合受理" in result
        body = phone.locator("body").inner_text()
        answers = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
        for personal in ("张三", answers["legal_rep.name"], answers["legal_rep.id_number"]):
            assert personal not in body
        _fits(phone)
        phone.screenshot(path=str(artifacts_dir / f"portal-{device}-5-query.png"), full_page=True)
    finally:
        context.close()
