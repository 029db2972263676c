"""An analyst edits the 企业开办 diagram in bpmn-js, saves an invalid then a valid draft,
and an admin publishes it — all in a real Chromium against a live server."""

from __future__ import annotations

import re

import pytest
from lxml import etree

pytestmark = pytest.mark.e2e

THEME = "enterprise-opening"
MODELER_PATH = f"/modeler/themes/{THEME}"
DIAGRAM_PATH = f"/modeler/themes/{THEME}/diagram.bpmn"
SAVE_PATH = f"/api/themes/{THEME}/drafts"

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
}

# Edits go through bpmn-js's `modeling` service, i.e. the command stack, as a user's would.
RENAME_LANE = """(name) => {
  const m = window.yjsModeler;
  m.get('modeling').updateLabel(m.get('elementRegistry').get('Lane_PSB'), name);
  return m.get('elementRegistry').get('Lane_PSB').businessObject.name;
}"""
MOVE_SEAL = """() => {
  const m = window.yjsModeler;
  const registry = m.get('elementRegistry');
  m.get('modeling').moveElements([registry.get('Task_Seal')], {x: 20, y: 0});
  return registry.get('Task_Seal').x;
}"""
SEAL_X = "() => window.yjsModeler.get('elementRegistry').get('Task_Seal').x"
SEAL_MARKED = "() => window.yjsModeler.get('canvas').hasMarker('Task_Seal', 'validation-error')"


def _seal_x_in(xml: bytes) -> float:
    root = etree.fromstring(xml)
    bounds = root.xpath("//bpmndi:BPMNShape[@bpmnElement='Task_Seal']/dc:Bounds", namespaces=NS)
    assert len(bounds) == 1, "Task_Seal has no diagram shape in the saved XML"
    return float(bounds[0].get("x"))


def _lane_name_in(xml: bytes) -> str:
    root = etree.fromstring(xml)
    lanes = root.xpath("//bpmn:lane[@id='Lane_PSB']", namespaces=NS)
    assert len(lanes) == 1
    return lanes[0].get("name")


def _save(page) -> dict:
    """Click 保存草稿, wait for the server's answer and for the page to show it."""
    from playwright.sync_api import expect

    with page.expect_response(
        lambda r: r.url.endswith(SAVE_PATH) and r.request.method == "POST"
    ) as answer:
        page.click("#save-draft")
    response = answer.value
    assert response.status in (200, 201), response.text()[:500]
    body = response.json()
    expect(page.locator("#save-status")).not_to_have_attribute("data-state", "busy")
    expect(page.locator("#save-draft")).to_be_enabled()
    return body


def test_analyst_saves_drafts_and_admin_publishes(live_server, login_page, artifacts_dir):
    from playwright.sync_api import expect

    # ---- 1. the analyst opens the modeler ------------------------------------------
    page = login_page("analyst")
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    page.on("console", lambda msg: page_errors.append(msg.text) if msg.type == "error" else None)

    page.goto(live_server(MODELER_PATH))
    assert page.evaluate("() => window.yjsModelerReady.then(r => r.ok)") is True
    canvas = page.locator("#bpmn-canvas")
    expect(canvas).to_have_attribute("data-state", "ready")
    expect(canvas).to_have_attribute("data-dirty", "false")
    expect(page.locator("#save-draft")).to_be_enabled()
    # The diagram really is drawn: the lane and the task are SVG elements on the canvas.
    expect(page.locator("#bpmn-canvas [data-element-id='Task_Seal']")).to_be_visible()
    expect(page.locator("#bpmn-canvas [data-element-id='Lane_PSB']")).to_be_visible()
    original_x = page.evaluate(SEAL_X)

    status = page.locator("#save-status")
    errors = page.locator("#validation-errors li")
    seal_shape = page.locator("#bpmn-canvas g.djs-element[data-element-id='Task_Seal']")

    # ---- 2. wrong department lane → saved, but cannot be published ----------------
    assert page.evaluate(RENAME_LANE, "宣传部") == "宣传部"
    expect(canvas).to_have_attribute("data-dirty", "true")
    invalid = _save(page)
    assert invalid["valid"] is False, invalid
    assert any(e["element_id"] == "Task_Seal" for e in invalid["errors"]), invalid

    expect(status).to_have_attribute("data-state", "warning")
    expect(status).to_contain_text("不能发布")
    expect(canvas).to_have_attribute("data-dirty", "false")
    expect(errors).to_have_count(len(invalid["errors"]))
    seal_error = page.locator("#validation-errors li[data-element-id='Task_Seal']")
    expect(seal_error).to_have_count(1)
    expect(seal_error).to_contain_text("Task_Seal")
    expect(seal_error).to_contain_text("宣传部")
    assert page.evaluate(SEAL_MARKED) is True
    expect(seal_shape).to_have_class(re.compile(r"\bvalidation-error\b"))
    # The invalid draft was stored as the analyst drew it.
    stored = page.request.get(live_server(DIAGRAM_PATH))
    assert stored.ok
    assert _lane_name_in(stored.body()) == "宣传部"
    page.screenshot(path=str(artifacts_dir / "modeler-invalid.png"), full_page=True)

    # ---- 3. lane fixed, task moved → valid draft ------------------------------------
    assert page.evaluate(RENAME_LANE, "公安局") == "公安局"
    moved_x = page.evaluate(MOVE_SEAL)
    assert moved_x == original_x + 20
    valid = _save(page)
    assert valid["valid"] is True, valid
    assert valid["errors"] == []
    assert valid["draft_id"] != invalid["draft_id"]

    expect(status).to_have_attribute("data-state", "ok")
    expect(status).to_contain_text("校验通过")
    expect(status).not_to_contain_text("不能发布")
    expect(errors).to_have_count(0)
    assert page.evaluate(SEAL_MARKED) is False
    expect(seal_shape).not_to_have_class(re.compile(r"\bvalidation-error\b"))
    expect(canvas).to_have_attribute("data-draft-id", str(valid["draft_id"]))
    stored = page.request.get(live_server(DIAGRAM_PATH))
    assert stored.ok
    assert _lane_name_in(stored.body()) == "公安局"
    assert _seal_x_in(stored.body()) == original_x + 20
    page.screenshot(path=str(artifacts_dir / "modeler-valid.png"), full_page=True)
    assert page_errors == [], page_errors

    # ---- 4. the admin reviews that draft and publishes it as the next version ----------
    admin = login_page("admin")
    admin.goto(live_server("/admin/"))
    card = admin.locator(f"section[data-theme='{THEME}']")
    expect(card).to_contain_text(f"最新草稿 #{valid['draft_id']}")
    expect(card.locator(".badge", has_text="校验通过")).to_have_count(1)
    current = int(card.locator("tr[data-version]").first.get_attribute("data-version"))
    with admin.expect_navigation():
        card.locator("a", has_text="查看变化并发布").click()
    # The moved task is shown as moved on the diagram to publish.
    moved = admin.evaluate("() => window.yjsDiagramDiff.then(r => r.layoutChanged)")
    assert "Task_Seal" in moved, moved
    expect(admin.locator("#diagram-changes")).to_contain_text("调整位置：公章刻制备案")
    admin.fill("#reason", "公章刻制备案调整位置")
    with admin.expect_navigation():
        admin.locator("#confirm button", has_text=f"确认发布为第 {current + 1} 版").click()

    expect(admin.locator(".flash")).to_contain_text(f"企业开办一件事 第 {current + 1} 版")
    admin.goto(live_server("/admin/"))
    card = admin.locator(f"section[data-theme='{THEME}']")
    expect(card).to_contain_text("（已发布）")
    newest = card.locator("tr[data-version]").first
    expect(newest).to_contain_text(f"第 {current + 1} 版")
    expect(newest).to_contain_text(f"#{valid['draft_id']}")
    expect(newest).to_contain_text("公章刻制备案调整位置")
    admin.screenshot(path=str(artifacts_dir / "admin-published.png"), full_page=True)
