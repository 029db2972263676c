"""An admin edits an item's time limit as a draft, sees it (and a renamed task) in the
publication's diff, publishes with a reason and rolls back — in Chromium, on a desktop
and at 390 px."""

from __future__ import annotations

import re

from .conftest import REPO

THEME = "newborn"  # its items are its own: publishing here moves no other theme
ITEM = "HEALTH-CSYXZM"  # 出生医学证明: promised 0 working days, legal 1
BPMN = (REPO / "processes" / "themes" / THEME / "process.bpmn").read_text(encoding="utf-8")
RENAMED = BPMN.replace('name="预防接种证办理"', 'name="预防接种证办理（线上）"')


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, width


def test_admin_reviews_a_catalog_edit_publishes_and_rolls_back(
    live_server, login_page, artifacts_dir
):
    from playwright.sync_api import expect

    # The analyst's renamed task, saved through the API as the modeler does.
    analyst = login_page("analyst")
    token = analyst.locator("meta[name=csrf-token]").get_attribute("content")
    saved = analyst.request.post(
        live_server(f"/api/themes/{THEME}/drafts"),
        data=RENAMED.encode(),
        headers={"Content-Type": "application/xml", "X-CSRFToken": token},
    )
    assert saved.ok and saved.json()["valid"], saved.text()[:500]

    admin = login_page("admin")
    errors: list[str] = []
    admin.on("pageerror", lambda exc: errors.append(str(exc)))
    admin.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # ---- 1. the item's time limit, edited as a draft ---------------------------------
    admin.goto(live_server("/admin/catalog/"))
    with admin.expect_navigation():
        admin.locator(f"tr[data-item='{ITEM}'] a").click()
    admin.fill("#promised_days", "1")
    with admin.expect_navigation():
        admin.locator("#item-form button[type=submit]").click()
    expect(admin.locator(".flash")).to_contain_text(f"事项 {ITEM} 的草稿已保存")
    expect(admin.locator("#draft-status")).to_contain_text("尚未发布")
    expect(admin.locator("#promised_days")).to_have_value("1")
    admin.screenshot(path=str(artifacts_dir / "admin-catalog-item.png"), full_page=True)
    admin.set_viewport_size({"width": 390, "height": 844})
    _no_sideways_scroll(admin)
    admin.screenshot(path=str(artifacts_dir / "admin-catalog-item-390.png"), full_page=True)
    admin.locator("#item-materials").screenshot(
        path=str(artifacts_dir / "admin-catalog-materials-390.png")
    )
    admin.set_viewport_size({"width": 1400, "height": 900})

    # ---- 2. the diff: time limit and renamed task ------------------------------------
    admin.goto(live_server(f"/admin/themes/{THEME}/publish"))
    changed = admin.evaluate("() => window.yjsDiagramDiff.then(r => r.changed)")
    assert "Task_Vaccination" in changed, changed
    expect(admin.locator("#diagram-changes")).to_contain_text("修改：预防接种证办理（线上）")
    marked = admin.locator(
        "[data-diff-side=after] g.djs-element.diff-changed[data-element-id='Task_Vaccination']"
    )
    expect(marked).to_have_count(1)
    row = admin.locator(f"#diff-items tr[data-key='{ITEM}']")
    expect(row).to_contain_text("承诺时限（工作日）")
    expect(row.locator("del")).to_have_text("0")
    expect(row.locator("ins")).to_have_text("1")
    admin.screenshot(path=str(artifacts_dir / "admin-publish-review.png"), full_page=True)
    admin.set_viewport_size({"width": 390, "height": 844})
    admin.reload()  # the diagrams fit the screen they are loaded on
    admin.evaluate("() => window.yjsDiagramDiff")
    expect(row).to_be_visible()
    _no_sideways_scroll(admin)
    admin.screenshot(path=str(artifacts_dir / "admin-publish-review-390.png"), full_page=True)
    admin.set_viewport_size({"width": 1400, "height": 900})

    # ---- 3. confirmed with a reason ---------------------------------------------------
    admin.fill("#reason", "出生医学证明承诺 1 个工作日办结；接种证改为线上办理")
    with admin.expect_navigation():
        admin.locator("#confirm button[type=submit]").click()
    expect(admin.locator(".flash")).to_contain_text("新生儿出生一件事 第 2 版")
    expect(admin.locator("h1")).to_contain_text("办件迁移")
    admin.screenshot(path=str(artifacts_dir / "admin-move-cases.png"), full_page=True)

    # ---- 4. rolled back to version 1, with a reason ------------------------------------
    admin.goto(live_server("/admin/"))
    card = admin.locator(f"section[data-theme='{THEME}']")
    expect(card.locator("tr[data-version]").first).to_contain_text(
        "出生医学证明承诺 1 个工作日办结"
    )
    first = card.locator("tr[data-version='1']")
    first.locator("input[name=reason]").fill("线上接种证系统未就绪，恢复第 1 版")
    admin.once("dialog", lambda dialog: dialog.accept())
    with admin.expect_navigation():
        first.locator("button", has_text="回退到此版").click()
    expect(admin.locator(".flash")).to_contain_text("第 1 版已重新发布为第 3 版")
    card = admin.locator(f"section[data-theme='{THEME}']")
    newest = card.locator("tr[data-version]").first
    expect(newest).to_contain_text("第 3 版")
    expect(newest).to_contain_text("回退至第 1 版")
    expect(newest).to_contain_text("线上接种证系统未就绪")
    expect(newest).to_contain_text(re.compile("管理员|admin"))
    admin.screenshot(path=str(artifacts_dir / "admin-rolled-back.png"), full_page=True)
    admin.set_viewport_size({"width": 390, "height": 844})
    _no_sideways_scroll(admin)
    admin.screenshot(path=str(artifacts_dir / "admin-rolled-back-390.png"), full_page=True)
    assert errors == [], errors
