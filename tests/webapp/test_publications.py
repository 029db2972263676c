"""Admins see what a publication changes, confirm it with a reason, and roll back."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from webapp.models import AuditEvent, Case, Theme, ThemeVersion
from webapp.themes.published import load_published_theme
from webapp.themes.version_diff import Side, diff_versions

from .catalog_forms import item_file, item_form

THEME_DIR = Path(__file__).resolve().parents[2] / "processes" / "themes" / "enterprise-opening"
BPMN = (THEME_DIR / "process.bpmn").read_text(encoding="utf-8")
DMN = (THEME_DIR / "guidance.dmn").read_text(encoding="utf-8")
REVIEW = "/admin/themes/enterprise-opening/publish"
RENAMED = BPMN.replace('name="单位参保登记"', 'name="单位参保登记（社保）"')


def _versions(session) -> list[ThemeVersion]:
    session.expire_all()
    stmt = (
        select(ThemeVersion)
        .join(Theme)
        .where(Theme.code == "enterprise-opening")
        .order_by(ThemeVersion.number)
    )
    return list(session.scalars(stmt))


def test_the_review_shows_each_kind_of_change(login, session):
    analyst, admin = login("analyst"), login("admin")
    assert analyst.post_xml("/api/themes/enterprise-opening/drafts", RENAMED).status_code == 201
    form = item_form(
        item_file("SAMR-QYSLDJ"),
        promised_days=2,
        required={"bank.name": True},  # an optional field becomes required
    )
    # 住所使用证明 may now be handed in after acceptance (容缺).
    index = next(i for i, (k, v) in enumerate(form) if k.endswith("-code") and v == "CL-ZSSYZM")
    form.append((form[index][0].replace("-code", "-tolerance"), "on"))
    assert admin.post_form("/admin/catalog/SAMR-QYSLDJ", form).status_code == 302

    page = admin.get(REVIEW)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # The diagram: both versions for the browser's differ (the e2e test sees the highlights).
    assert 'data-diff-side="before"' in html and 'data-diff-side="after"' in html
    current = admin.get("/admin/themes/enterprise-opening/publish/current.bpmn")
    following = admin.get("/admin/themes/enterprise-opening/publish/next.bpmn")
    assert current.get_data(as_text=True) == BPMN
    assert following.get_data(as_text=True) == RENAMED
    assert following.headers["Content-Security-Policy"].startswith("sandbox;")
    items = html.split('id="diff-items"')[1].split("</section>")[0]
    assert 'data-key="SAMR-QYSLDJ"' in items and "<del>1</del> → <ins>2</ins>" in items
    fields = html.split('id="diff-fields"')[1].split("</section>")[0]
    assert 'data-key="bank.name"' in fields and "使用事项及必填" in fields
    materials = html.split('id="diff-materials"')[1].split("</section>")[0]
    assert 'data-key="CL-ZSSYZM"' in materials and "可容缺" in materials
    assert "<del>否</del> → <ins>是</ins>" in materials
    # Guidance unchanged, and said so.
    guidance = html.split('id="diff-guidance"')[1].split("</section>")[0]
    assert "无变化" in guidance


def test_guidance_rows_added_and_removed_are_listed():
    theme = load_published_theme(_current_definition())
    # No table against the shipped one: every shipped rule is new.
    before, after = Side(theme, BPMN, None), Side(theme, BPMN, DMN)
    diff = diff_versions(before, after)
    assert diff.guidance and {c.kind for c in diff.guidance} == {"added"}
    assert {c.key for c in diff.guidance} and not diff.items and not diff.diagram_changed
    reverse = diff_versions(after, before)
    assert {c.kind for c in reverse.guidance} == {"removed"}


def _current_definition():
    from forms import load_catalog, load_theme_definition
    from webapp.themes.shipped import definition_document

    catalog = load_catalog(THEME_DIR.parents[1] / "catalog")
    return definition_document(load_theme_definition(THEME_DIR, catalog), catalog)


def test_publishing_needs_a_reason_and_records_who_when_and_why(login, session):
    analyst, admin = login("analyst"), login("admin")
    analyst.post_xml("/api/themes/enterprise-opening/drafts", RENAMED)

    refused = admin.post_form(REVIEW, {"reason": ""})
    assert refused.status_code == 422
    assert "请填写发布原因" in refused.get_data(as_text=True)
    assert len(_versions(session)) == 1

    done = admin.post_form(REVIEW, {"reason": "参保登记改名，与人社局表述一致"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/admin/themes/enterprise-opening/cases")
    first, second = _versions(session)
    assert (second.number, second.source, second.reason) == (
        2,
        "draft",
        "参保登记改名，与人社局表述一致",
    )
    assert second.published_by.username == "admin" and second.published_at is not None
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "theme.published")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.actor.username == "admin"
    assert event.after["version"] == 2 and event.after["reason"] == "参保登记改名，与人社局表述一致"

    # Nothing left to publish: the page says so and offers no button.
    again = admin.get(REVIEW).get_data(as_text=True)
    assert 'id="nothing-to-publish"' in again and "确认发布" not in again
    page = admin.get("/admin/").get_data(as_text=True)
    assert "参保登记改名，与人社局表述一致" in page and "管理员" in page


def test_an_older_version_is_republished_as_a_new_version(login, submit_case, session):
    analyst, admin = login("analyst"), login("admin")
    analyst.post_xml("/api/themes/enterprise-opening/drafts", RENAMED)
    admin.post_form(REVIEW, {"reason": "改名"})

    refused = admin.post_form("/admin/themes/enterprise-opening/versions/1/rollback", {})
    assert refused.status_code == 302 and len(_versions(session)) == 2
    rolled = admin.post_form(
        "/admin/themes/enterprise-opening/versions/1/rollback", {"reason": "改名有误，恢复原名"}
    )
    assert rolled.status_code == 302
    first, _, third = _versions(session)
    assert (third.number, third.source, third.restores) == (3, "rollback", 1)
    assert third.reason == "改名有误，恢复原名"
    assert (third.bpmn_xml, third.definition) == (first.bpmn_xml, first.definition)
    # New cases run on the republished version.
    case_no = submit_case()["case_no"]
    session.expire_all()
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    assert case.theme_version.number == 3
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "theme.published")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.after["source"] == "rollback" and event.after["restores"] == 1
