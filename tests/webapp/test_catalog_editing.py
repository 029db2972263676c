"""Admins edit item records in the browser: drafts checked by the catalog's own rules,
published into every theme using the item, new cases use them, running cases keep theirs."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml
from sqlalchemy import select

from forms import load_catalog
from forms.catalog import with_item_records
from webapp.catalog.models import CatalogItemRevision, RevisionStatus
from webapp.cli import main
from webapp.domain_errors import Invalid
from webapp.models import AuditEvent, Case, CaseTask, Theme, ThemeVersion
from webapp.themes.candidates import rebuilt_definition
from webapp.themes.lookup import latest_version

from .catalog_forms import ITEMS, item_file, item_form, page_form

ITEM = "SAMR-QYSLDJ"  # 企业设立登记: used by 企业开办 and 开办餐饮店
EDIT = f"/admin/catalog/{ITEM}"


def _version(session, code: str) -> ThemeVersion:
    session.expire_all()
    theme = session.scalars(select(Theme).where(Theme.code == code)).one()
    return latest_version(session, theme)


def test_a_saved_draft_changes_nothing_until_published(login, session):
    admin = login("admin")
    saved = admin.post_form(EDIT, item_form(item_file(ITEM), promised_days=2))
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]

    page = admin.get(EDIT).get_data(as_text=True)
    assert 'id="promised_days" name="promised_days" value="2"' in page
    assert "尚未发布" in page
    (draft,) = session.scalars(
        select(CatalogItemRevision).where(CatalogItemRevision.item_code == ITEM)
    )
    assert draft.status == RevisionStatus.DRAFT and draft.document["promised_days"] == 2
    # Nothing in force changed: the published version still promises 1 day.
    items = {i["code"]: i for i in _version(session, "enterprise-opening").definition["items"]}
    assert items[ITEM]["promised_days"] == "1"
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "catalog.item_draft_saved")
    ).one()
    assert event.after["promised_days"] == 2 and event.before == {"promised_days": 1}


@pytest.mark.parametrize("code", ["HEALTH-CSYXZM", ITEM, "FIRE-GZJHCS"])
def test_the_editor_posted_as_shown_keeps_the_record_as_the_file_has_it(login, session, code):
    admin = login("admin")
    shown = admin.get(f"/admin/catalog/{code}").get_data(as_text=True)
    saved = admin.post_form(f"/admin/catalog/{code}", page_form(shown))
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    draft = session.scalars(select(CatalogItemRevision)).one()
    assert draft.document == item_file(code)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"promised_days": 5}, "承诺时限 5 天超过法定时限 3 天"),
        ({"promised_days": "一天"}, "promised_days 应为数字"),
        ({"delivery": ["快递到家"]}, "送达方式“快递到家”无效"),
        ({"result": {"name": "营业执照", "type": "奖状", "e_licence": True}}, "奖状"),
    ],
)
def test_an_edit_breaking_the_catalog_rules_is_refused_with_their_message(
    login, session, changes, fragment
):
    admin = login("admin")
    refused = admin.post_form(EDIT, item_form(item_file(ITEM), **changes))
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert fragment in page
    assert session.scalars(select(CatalogItemRevision)).first() is None


def test_a_field_outside_the_dictionary_is_refused(login):
    document = item_file(ITEM)
    form = item_form(document) + [(f"fields-{len(document['fields'])}-key", "enterprise.motto")]
    refused = login("admin").post_form(EDIT, form)
    assert refused.status_code == 422
    assert "enterprise.motto 不在字段字典中" in refused.get_data(as_text=True)


def test_a_merge_conflict_names_both_items(app):
    """Two items asking one key under constraints that cannot both hold."""
    catalog = load_catalog(ITEMS.parent)
    seal = item_file("PSB-GZKZBA")
    registration = item_file(ITEM)
    for doc, narrowing in ((seal, {"max_length": 5}), (registration, {"min_length": 10})):
        for use in doc["fields"]:
            if use["key"] == "enterprise.name":
                use.update(narrowing)
    edited = with_item_records(catalog, {"PSB-GZKZBA": seal, ITEM: registration})
    with app.app_context():
        from webapp.db import db_session

        theme = db_session().scalars(select(Theme).where(Theme.code == "enterprise-opening")).one()
        with pytest.raises(Invalid) as raised:
            rebuilt_definition(theme, edited)
    (message,) = [d["message"] for d in raised.value.details]
    assert "PSB-GZKZBA" in message and ITEM in message and "enterprise.name" in message


def test_publishing_an_edited_item_reaches_every_theme_using_it_and_new_cases_only(
    login, submit_case, session
):
    admin, window = login("admin"), login("window")
    running = submit_case()["case_no"]  # on version 1: 企业设立登记 promised in 1 day
    assert admin.post_form(EDIT, item_form(item_file(ITEM), promised_days=2)).status_code == 302

    review = admin.get("/admin/themes/enterprise-opening/publish").get_data(as_text=True)
    # The other theme using the item is listed before confirming.
    assert 'data-theme="restaurant-opening"' in review
    assert "承诺时限（工作日）" in review and "<del>1</del> → <ins>2</ins>" in review

    published = admin.post_form(
        "/admin/themes/enterprise-opening/publish", {"reason": "压缩企业设立登记承诺时限"}
    )
    assert published.status_code == 302
    for code in ("enterprise-opening", "restaurant-opening"):
        version = _version(session, code)
        assert version.number == 2 and version.reason == "压缩企业设立登记承诺时限"
        assert version.published_by.username == "admin"
        assert version.catalog[ITEM]["promised_days"] == 2
        items = {i["code"]: i for i in version.definition["items"]}
        assert items[ITEM]["promised_days"] == "2"
    # The restaurant theme kept its own diagram: only the catalog moved.
    restaurant = session.scalars(
        select(ThemeVersion).join(Theme).where(Theme.code == "restaurant-opening")
    ).all()
    assert len({v.bpmn_xml for v in restaurant}) == 1
    revision = session.scalars(select(CatalogItemRevision)).one()
    assert revision.status == RevisionStatus.PUBLISHED

    fresh = submit_case()["case_no"]
    tasks = {t["case_no"]: t["id"] for t in window.get("/api/tasks/").get_json()["tasks"]}
    for case_no in (running, fresh):
        accepted = window.post_json(f"/api/tasks/{tasks[case_no]}/complete", {})
        assert accepted.status_code == 200, accepted.get_json()
    session.expire_all()
    allowed = {
        case_no: session.scalars(
            select(CaseTask.allowed_days)
            .join(Case)
            .where(Case.case_no == case_no, CaseTask.item_code == ITEM)
        ).one()
        for case_no in (running, fresh)
    }
    assert allowed == {running: Decimal("1"), fresh: Decimal("2")}


def test_the_record_in_force_exports_as_a_file_that_reads_back(login, tmp_path):
    admin = login("admin")
    admin.post_form(EDIT, item_form(item_file(ITEM), promised_days=2))
    admin.post_form("/admin/themes/enterprise-opening/publish", {"reason": "压缩时限"})

    exported = admin.get(f"{EDIT}/export.yaml")
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"] == f'attachment; filename="{ITEM}.yaml"'
    text = exported.get_data(as_text=True)
    assert yaml.safe_load(text)["promised_days"] == 2
    # Dropped into a copy of the catalog, the file loads with the same rules as the others.
    copy = tmp_path / "catalog"
    (copy / "items").mkdir(parents=True)
    for name in ("fields.yaml", "departments.yaml"):
        (copy / name).write_text((ITEMS.parent / name).read_text(encoding="utf-8"), "utf-8")
    for path in ITEMS.glob("*.yaml"):
        (copy / "items" / path.name).write_text(path.read_text(encoding="utf-8"), "utf-8")
    (copy / "items" / f"{ITEM}.yaml").write_text(text, encoding="utf-8")
    assert load_catalog(copy).item(ITEM).promised_days == Decimal(2)


def test_the_command_writes_published_records_back_as_files(app, login, tmp_path):
    runner = app.test_cli_runner()
    nothing = runner.invoke(main, ["export-catalog", "--to", str(tmp_path)])
    assert "无需导出" in nothing.output and not list(tmp_path.rglob("*.yaml"))
    admin = login("admin")
    admin.post_form(EDIT, item_form(item_file(ITEM), promised_days=2))
    admin.post_form("/admin/themes/enterprise-opening/publish", {"reason": "压缩时限"})

    done = runner.invoke(main, ["export-catalog", "--to", str(tmp_path)], catch_exceptions=False)

    assert done.exit_code == 0, done.output
    (written,) = tmp_path.rglob("*.yaml")
    assert written == tmp_path / "items" / f"{ITEM}.yaml"
    assert yaml.safe_load(written.read_text(encoding="utf-8")) == {
        **item_file(ITEM),
        "promised_days": 2,
    }


def test_a_discarded_draft_leaves_nothing_to_publish(login, session):
    admin = login("admin")
    admin.post_form(EDIT, item_form(item_file(ITEM), promised_days=2))
    assert 'data-key="SAMR-QYSLDJ"' in admin.get("/admin/themes/enterprise-opening/publish").text

    assert admin.post_form(f"{EDIT}/discard", {}).status_code == 302
    review = admin.get("/admin/themes/enterprise-opening/publish").get_data(as_text=True)
    assert 'id="nothing-to-publish"' in review
    assert admin.post_form(f"{EDIT}/discard", {}).status_code == 409
    (revision,) = session.scalars(select(CatalogItemRevision))
    assert revision.status == RevisionStatus.SUPERSEDED
