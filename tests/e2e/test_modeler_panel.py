"""The analyst's modeler in Chinese: the properties panel sets a task's item, the inline lint
flags an item in the wrong department's lane, the analyst fixes it and saves; the path
simulation is shown under the diagram and a path is highlighted on it. Desktop and phone."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

THEME = "enterprise-opening"
MODELER_PATH = f"/modeler/themes/{THEME}"
SAVE_PATH = f"/api/themes/{THEME}/drafts"
SEAL_ERRORS = """() => {
  const overlays = window.yjsModeler.get('overlays').get({ element: 'Task_Seal' });
  return overlays.filter(o => o.html && o.html.querySelector('.bjsl-icon-error')).length;
}"""


def _open(page, live_server):
    page.goto(live_server(MODELER_PATH))
    assert page.evaluate("() => window.yjsModelerReady.then(r => r.ok)") is True


def test_analyst_sets_an_item_sees_the_lint_error_fixes_it_and_saves(
    live_server, login_page, artifacts_dir
):
    from playwright.sync_api import expect

    page = login_page("analyst")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _open(page, live_server)

    # The palette speaks Chinese.
    expect(page.locator(".djs-palette .entry[aria-label='任务']")).to_have_count(1)
    expect(page.locator(".djs-palette .entry[aria-label='抓手工具（拖动画布）']")).to_have_count(1)
    # The shipped diagram has no lint errors.
    expect(page.locator(".bjsl-button")).to_contain_text("没有问题")

    # Select 公章刻制 and give it an item of 市场监管局 while it sits in 公安局's lane.
    page.locator("[data-element-id='Task_Seal']").first.click()
    expect(page.locator("#properties-panel")).to_contain_text("一件事")
    item = page.locator("#properties-panel select[name='yjsItem']")
    expect(item).to_be_visible()
    # The context pad is Chinese too.
    expect(page.locator(".djs-context-pad .entry[title='追加任务']")).to_have_count(1)
    item.select_option("SAMR-QYSLDJ")
    expect(page.locator(".bjsl-button")).to_contain_text("1 个错误")
    assert page.evaluate(SEAL_ERRORS) == 1
    page.locator(".djs-overlay .bjsl-icon-error").first.hover()
    expect(page.locator(".bjsl-dropdown-content, .bjsl-overlay").first).to_contain_text(
        "属于市场监管局"
    )
    page.screenshot(path=str(artifacts_dir / "modeler-panel-lint-desktop.png"))

    # Fix it: the item this task really does. The lint clears, the draft saves valid.
    item.select_option("PSB-GZKZBA")
    expect(page.locator(".bjsl-button")).to_contain_text("没有问题")
    with page.expect_response(
        lambda r: r.url.endswith(SAVE_PATH) and r.request.method == "POST"
    ) as answer:
        page.click("#save-draft")
    assert answer.value.json()["valid"] is True
    expect(page.locator("#save-status")).to_contain_text("校验通过")
    # The simulation under the diagram was reloaded for the saved draft; a row lights its path.
    expect(page.locator("#simulation-report")).to_contain_text("每条路径都能走到结束")
    page.locator(".simulation-path[data-path='2']").click()
    assert page.evaluate(
        "() => window.yjsModeler.get('canvas').hasMarker('Task_Seal', 'simulation-path')"
    )
    assert not page.evaluate(
        "() => window.yjsModeler.get('canvas').hasMarker('Task_HousingFund', 'simulation-path')"
    )
    page.screenshot(path=str(artifacts_dir / "modeler-panel-saved-desktop.png"), full_page=True)
    saved = page.request.get(live_server(f"/modeler/themes/{THEME}/diagram.bpmn")).text()
    assert 'yjs:item="PSB-GZKZBA"' in saved
    assert errors == []

    # The admin sees the same paths before the publish button.
    admin = login_page("admin")
    admin.goto(live_server("/admin/"))
    card = admin.locator(f"section[data-theme='{THEME}']")
    expect(card.locator("#simulation-report")).to_contain_text("每条路径都能走到结束")
    expect(card.locator(".simulation-path")).to_have_count(2)
    card.screenshot(path=str(artifacts_dir / "admin-simulation-desktop.png"))
    admin.set_viewport_size({"width": 390, "height": 844})
    card.screenshot(path=str(artifacts_dir / "admin-simulation-390.png"))
    width = admin.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the publish page scrolls sideways: {width}px"


def test_the_modeler_on_a_phone(live_server, browser, artifacts_dir):
    from playwright.sync_api import expect

    from webapp.accounts.users import DEMO_PASSWORD

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(live_server("/login"))
        page.fill("input[name=username]", "analyst")
        page.fill("input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("form[action='/login'] button[type=submit]")
        _open(page, live_server)
        page.locator("[data-element-id='Task_Seal']").first.click()
        panel = page.locator("#properties-panel")
        expect(panel).to_contain_text("办理事项")
        # Stacked: the panel is below the canvas and no wider than the screen.
        canvas_box = page.locator("#bpmn-canvas").bounding_box()
        panel_box = panel.bounding_box()
        assert panel_box["y"] >= canvas_box["y"] + canvas_box["height"] - 1
        assert panel_box["x"] + panel_box["width"] <= 390
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways: {width}px"
        page.screenshot(path=str(artifacts_dir / "modeler-panel-390.png"), full_page=True)
    finally:
        context.close()
