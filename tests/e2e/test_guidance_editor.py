"""The analyst edits the 企业开办 guidance table in dmn-js (Chromium): a broken cell is saved
but named as a problem; the table restored, the draft is valid again."""

from __future__ import annotations

EDITOR = "/modeler/themes/enterprise-opening/guidance"
CELL = "td[data-element-id='InputEntry_HousingFund_Yes']"


def _save(page):
    with page.expect_response(lambda r: r.url.endswith("/drafts/guidance")) as answer:
        page.click("#save-guidance")
    assert answer.value.status == 201, answer.value.text()[:300]
    return answer.value.json()


def _type_into_cell(page, text: str) -> None:
    cell = page.locator(CELL)
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.locator("h1").click()  # leave the cell so dmn-js commits the edit


def test_analyst_edits_the_guidance_table(live_server, login_page, artifacts_dir):
    from playwright.sync_api import expect

    page = login_page("analyst")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server(EDITOR))
    assert page.evaluate("() => window.yjsDmnModelerReady.then(r => r.ok)") is True
    expect(page.locator(CELL)).to_contain_text("True")

    _type_into_cell(page, "__import__('os')")
    broken = _save(page)
    assert broken["valid"] is False
    assert "InputEntry_HousingFund_Yes" in [e["element_id"] for e in broken["errors"]]
    expect(page.locator("#dmn-status")).to_contain_text("不能发布")
    expect(page.locator("#validation-errors li")).to_have_count(len(broken["errors"]))
    page.screenshot(path=str(artifacts_dir / "guidance-editor-invalid.png"), full_page=True)

    _type_into_cell(page, "True")
    fixed = _save(page)
    assert fixed["valid"] is True, fixed
    expect(page.locator("#dmn-status")).to_contain_text("校验通过")
    assert errors == []
