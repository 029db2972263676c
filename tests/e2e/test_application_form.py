"""An applicant fills the 企业开办 one form in Chromium: 省/市/区 cascade, 股东 rows added
and removed, 保存草稿 and continue, an invalid 身份证号 shown inline, fixed, submitted."""

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
FORM_URL = "/applicant/apply/enterprise-opening?step=form&housing_fund.needed=true"
QUESTION = "housing_fund.needed"
REGION = "enterprise.address.region"
PROVINCE = "select.region-level-0"
CITY = "select.region-level-1"
COUNTY = "select.region-level-2"


def _field(page, name: str):
    return page.locator(f'[name="{name}"]')


def _fill(page, name: str, value) -> None:
    """Type or pick `value` the way a person would for that kind of input."""
    if isinstance(value, bool):  # 是 / 否: two radio buttons, one of them chosen
        page.locator(f'[name="{name}"][value="{"true" if value else "false"}"]').check()
        return
    if isinstance(value, list):
        for choice in value:
            page.locator(f'[name="{name}"][value="{choice}"]').check()
        return
    field = _field(page, name)
    if field.evaluate("el => el.tagName") == "SELECT":
        field.select_option(str(value))
    else:
        field.fill(str(value))


def _rows(page):
    return page.locator('.group[data-group="shareholders"] .group-rows > .group-row')


def _selected_text(page, selector: str) -> str:
    return page.locator(selector).evaluate("s => s.options[s.selectedIndex].text")


def test_one_form_in_the_browser(login_page, live_server, artifacts_dir):
    from playwright.sync_api import expect

    answers = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    shareholders = answers.pop("shareholders")
    answers.pop(QUESTION)
    region = answers.pop(REGION)
    legal_rep_id = answers["legal_rep.id_number"]

    page = login_page("zhangsan")
    page.goto(live_server(FORM_URL))

    # 省 → 市 → 区: the script replaces the code input with three selects.
    expect(page.locator(PROVINCE)).to_be_visible()
    expect(_field(page, REGION)).to_have_attribute("type", "hidden")
    page.select_option(PROVINCE, label="广东省")
    page.select_option(CITY, label="惠州市")
    page.select_option(COUNTY, label="博罗县")
    expect(_field(page, REGION)).to_have_value(region)

    # 股东: one row to start (at least one is required), add two, remove the middle one.
    rows = _rows(page)
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator(".remove-row")).to_be_disabled()
    add = page.locator('.group[data-group="shareholders"] .add-row')
    add.click()
    add.click()
    expect(rows).to_have_count(3)
    _fill(page, "shareholders[1].name", "临时录入的股东")
    for sub, value in shareholders[1].items():
        _fill(page, f"shareholders[2].{sub}", value)
    rows.nth(1).locator(".remove-row").click()
    expect(rows).to_have_count(2)
    # The third row moved up: renumbered to index 1 and shown as 第2项.
    expect(_field(page, "shareholders[1].name")).to_have_value(shareholders[1]["name"])
    expect(_field(page, "shareholders[2].name")).to_have_count(0)
    expect(rows.nth(1).locator(".row-no")).to_have_text("2")
    for sub, value in shareholders[0].items():
        _fill(page, f"shareholders[0].{sub}", value)

    # Everything else, with a 身份证号 whose check digit is wrong.
    wrong_id = legal_rep_id[:-1] + ("1" if legal_rep_id[-1] != "1" else "2")
    for name, value in answers.items():
        _fill(page, name, wrong_id if name == "legal_rep.id_number" else value)

    # 保存草稿, then continue it: the cascade and the rows come back as they were.
    with page.expect_navigation():
        page.click("#save-draft")
    assert re.search(r"/applicant/drafts/\d+$", page.url), page.url
    expect(page.locator("#draft-notice")).to_contain_text("正在继续填写")
    expect(page.locator(COUNTY)).to_be_visible()
    assert _selected_text(page, PROVINCE) == "广东省"
    assert _selected_text(page, CITY) == "惠州市"
    assert _selected_text(page, COUNTY) == "博罗县"
    expect(_rows(page)).to_have_count(2)
    expect(_field(page, "legal_rep.id_number")).to_have_value(wrong_id)  # never masked here

    # Submitting shows the error inline, in Chinese, with everything else kept.
    with page.expect_navigation():
        page.click("#submit-application")
    error = page.locator('.field-error:has([name="legal_rep.id_number"]) .error')
    expect(error).to_have_text("法定代表人身份证号校验位错误")
    expect(page.locator("#error-summary")).to_contain_text("申请表有 1 处需要修改")
    assert _selected_text(page, COUNTY) == "博罗县"
    expect(_field(page, "shareholders[1].name")).to_have_value(shareholders[1]["name"])
    page.screenshot(path=str(artifacts_dir / "application-form-error.png"), full_page=True)

    _fill(page, "legal_rep.id_number", legal_rep_id)
    with page.expect_navigation():
        page.click("#submit-application")
    case_no = page.locator("#case-no")
    expect(case_no).to_have_text(re.compile(r"^YJS-\d{8}-\d{6}$"))
    expect(page.locator(".answers dd", has_text="广东省 惠州市 博罗县")).to_have_count(1)
    page.screenshot(path=str(artifacts_dir / "application-form-submitted.png"), full_page=True)
    number = case_no.inner_text()

    # The draft became the case: the home page lists the case, no draft any more.
    page.goto(live_server("/applicant/"))
    expect(page.locator("#my-cases")).to_contain_text(number)
    expect(page.locator("#my-drafts")).to_have_count(0)
