"""Guided Q&A over HTTP: the guidance table decides the items, the form and the gateways;
a published version keeps its table; a hostile table never gets published."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from stdnum.cn.uscc import calc_check_digit as calc_check

from webapp.cases.engine_state import restore_workflow
from webapp.models import Case, Theme, ThemeDraft, ThemeVersion
from webapp.themes import theme_forms
from webapp.themes.shipped import load_shipped

from .conftest import enterprise_answers, form_fields

REPO = Path(__file__).resolve().parents[2]
ENTERPRISE = REPO / "processes" / "themes" / "enterprise-opening"
RESTAURANT = REPO / "processes" / "themes" / "restaurant-opening"
APPLY = "/applicant/apply/enterprise-opening"
DRAFTS = "/api/themes/enterprise-opening/drafts"
RULE_REASON = "新设立的单位应当自设立之日起30日内办理住房公积金缴存登记"


def submit_form(client, answers: dict):
    return client.post_form(APPLY, data=form_fields(answers) + [("csrf_token", client.csrf)])


def case_of(session, response) -> Case:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page_url = response.headers["Location"]
    case_no = re.search(r"YJS-\d{8}-\d{6}", page_url).group(0)
    session.expire_all()
    return session.scalars(select(Case).where(Case.case_no == case_no)).one()


# ---------- enterprise-opening: a yes/no question ----------


def test_guide_asks_the_question_and_says_what_it_may_switch_on(login):
    page = login("zhangsan").get(APPLY).get_data(as_text=True)
    # 是 and 否 are both explicit choices: not answering is never taken as 否.
    assert 'type="radio" name="housing_fund.needed" value="true"' in page
    assert 'type="radio" name="housing_fund.needed" value="false"' in page
    assert "是否办理住房公积金缴存登记" in page
    possible = page.split('id="possible-items"')[1].split("</ul>")[0]
    assert "住房公积金单位缴存登记" in possible and RULE_REASON in possible


@pytest.mark.parametrize("housing_fund", [True, False])
def test_the_answer_decides_items_fields_and_gateway(login, session, housing_fund):
    applicant = login("zhangsan")
    query = f"&housing_fund.needed={'true' if housing_fund else 'false'}"
    response = applicant.get(f"{APPLY}?step=form{query}")
    assert response.status_code == 200
    form_page = response.get_data(as_text=True)
    assert ('name="housing_fund.rate"' in form_page) is housing_fund
    assert ('id="guided-items"' in form_page) is housing_fund
    if housing_fund:  # the form step says which item the answer added, and why
        guided = form_page.split('id="guided-items"')[1].split("</div>")[0]
        assert "住房公积金单位缴存登记" in guided and RULE_REASON in guided
        assert '<input type="hidden" name="housing_fund.needed" value="true">' in form_page

    case = case_of(session, submit_form(applicant, enterprise_answers(housing_fund=housing_fund)))
    assert ("HF-DWJCDJ" in case.selected_items) is housing_fund
    assert {"SAMR-QYSLDJ", "PSB-GZKZBA", "TAX-SSSXBL", "HRSS-DWCBDJ"} <= set(case.selected_items)
    assert case.answers["housing_fund.needed"] is housing_fund
    assert ("housing_fund.rate" in case.answers) is housing_fund
    # The BPMN gateway reads the same decision: the variable is whether the item is selected.
    assert restore_workflow(case).task_tree.data["housing_fund"] is housing_fund
    case_page = applicant.get(f"/applicant/cases/{case.case_no}").get_data(as_text=True)
    assert ("住房公积金单位缴存登记" in case_page) is housing_fund


def test_a_question_answer_of_the_wrong_type_is_refused_in_chinese(login):
    applicant = login("zhangsan")
    answers = enterprise_answers()
    answers["housing_fund.needed"] = "也许"
    response = applicant.post_json(
        "/api/cases/", {"theme": "enterprise-opening", "answers": answers}
    )
    assert response.status_code == 422
    errors = {e["key"]: e["message"] for e in response.get_json()["errors"]}
    assert errors["housing_fund.needed"] == "是否办理住房公积金缴存登记应为“是”或“否”"


# ---------- a numeric question and a new table, published by an admin ----------


def theme_copy(tmp_path: Path) -> Path:
    """processes/ with the catalog and enterprise-opening only, to change on purpose."""
    root = tmp_path / "processes"
    shutil.copytree(REPO / "processes" / "catalog", root / "catalog")
    shutil.copytree(ENTERPRISE, root / "themes" / "enterprise-opening")
    return root


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def staff_threshold_theme(tmp_path: Path) -> Path:
    """enterprise-opening asking 职工人数 instead: 10 or more selects the housing fund."""
    root = theme_copy(tmp_path)
    theme = root / "themes" / "enterprise-opening"
    replace_in(
        theme / "theme.yaml",
        "housing_fund: housing_fund.needed",
        "staff: housing_fund.employee_count",
    )
    replace_in(theme / "guidance.dmn", "<text>housing_fund</text>", "<text>staff</text>")
    replace_in(theme / "guidance.dmn", "<text>True</text>", "<text>&gt;= 10</text>")
    replace_in(theme / "guidance.dmn", "申请人选择办理住房公积金缴存登记", "职工达到10人")
    return root


def reload_and_publish(session, login, root: Path) -> ThemeVersion:
    report = load_shipped(session, root)
    assert any("已保存为草稿" in line for line in report), report
    session.commit()
    draft = session.scalars(select(ThemeDraft).order_by(ThemeDraft.id.desc()).limit(1)).one()
    assert draft.valid, draft.problems
    published = login("admin").post_json(f"{DRAFTS}/{draft.id}/publish")
    assert published.status_code == 201, published.get_json()
    session.expire_all()
    return session.scalars(select(ThemeVersion).where(ThemeVersion.draft_id == draft.id)).one()


def test_numeric_question_threshold_at_the_boundary(login, session, tmp_path):
    version = reload_and_publish(session, login, staff_threshold_theme(tmp_path))
    assert "&gt;= 10" in version.guidance_dmn
    applicant = login("zhangsan")

    guide = applicant.get(APPLY).get_data(as_text=True)
    field = guide.split('data-key="housing_fund.employee_count"')[1].split("</div>")[0]
    assert 'type="number"' in field and 'step="1"' in field and 'min="1"' in field
    assert '<span class="unit">人</span>' in field
    assert "职工达到10人" in guide  # when the housing fund item would apply

    below = applicant.get(f"{APPLY}?step=form&housing_fund.employee_count=9")
    at = applicant.get(f"{APPLY}?step=form&housing_fund.employee_count=10")
    assert below.status_code == at.status_code == 200
    assert 'name="housing_fund.rate"' not in below.get_data(as_text=True)
    assert 'name="housing_fund.rate"' in at.get_data(as_text=True)
    # The answer rides along to the submit as typed, and back to the guide to change it.
    at_page = at.get_data(as_text=True)
    assert '<input type="hidden" name="housing_fund.employee_count" value="10">' in at_page
    back = re.search(r'href="([^"]+)" id="guide-link"', at_page).group(1)
    again = applicant.get(back.replace("&amp;", "&")).get_data(as_text=True)
    field = again.split('data-key="housing_fund.employee_count"')[1].split("</div>")[0]
    assert 'value="10"' in field

    for staff, selected in ((9, False), (10, True)):
        answers = enterprise_answers()
        del answers["housing_fund.needed"]
        answers["housing_fund.employee_count"] = str(staff)
        if not selected:
            answers = {k: v for k, v in answers.items() if not k.startswith("housing_fund.rate")}
        case = case_of(session, submit_form(applicant, answers))
        assert case.theme_version_id == version.id
        assert ("HF-DWJCDJ" in case.selected_items) is selected
        assert restore_workflow(case).task_tree.data["housing_fund"] is selected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "公积金缴存职工人数为必填项"),
        ("很多", "公积金缴存职工人数应为整数"),
        ("0", "公积金缴存职工人数不能小于1人"),
    ],
)
def test_numeric_question_errors_are_shown_on_the_guide(login, session, tmp_path, value, message):
    reload_and_publish(session, login, staff_threshold_theme(tmp_path))
    response = login("zhangsan").get(f"{APPLY}?step=form&housing_fund.employee_count={value}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = page.split('data-key="housing_fund.employee_count"')[1].split("</div>")[0]
    assert f'<p class="error" role="alert">{message}</p>' in field
    assert 'name="enterprise.name"' not in page  # still on the guide, not the form


def test_a_published_version_keeps_its_table_when_the_shipped_one_changes(login, session, tmp_path):
    v1 = session.scalars(
        select(ThemeVersion)
        .join(ThemeVersion.theme)
        .where(Theme.code == "enterprise-opening", ThemeVersion.number == 1)
    ).one()
    shipped = (ENTERPRISE / "guidance.dmn").read_text(encoding="utf-8")
    assert v1.guidance_dmn == shipped
    # The new table selects the housing fund for everybody who does NOT ask for it.
    root = theme_copy(tmp_path)
    replace_in(
        root / "themes" / "enterprise-opening" / "guidance.dmn",
        "<text>True</text>",
        "<text>False</text>",
    )
    report = load_shipped(session, root)
    assert any("已保存为草稿" in line for line in report), report
    session.commit()
    session.expire_all()
    assert session.get(ThemeVersion, v1.id).guidance_dmn == shipped
    applicant = login("zhangsan")
    still = applicant.get(f"{APPLY}?step=form&housing_fund.needed=true").get_data(as_text=True)
    assert 'name="housing_fund.rate"' in still  # version 1 decides with its own table

    draft = session.scalars(select(ThemeDraft).order_by(ThemeDraft.id.desc()).limit(1)).one()
    assert login("admin").post_json(f"{DRAFTS}/{draft.id}/publish").status_code == 201
    now = applicant.get(f"{APPLY}?step=form&housing_fund.needed=true").get_data(as_text=True)
    assert 'name="housing_fund.rate"' not in now
    answered_no = applicant.get(f"{APPLY}?step=form&housing_fund.needed=false")
    assert 'name="housing_fund.rate"' in answered_no.get_data(as_text=True)


HOSTILE_CELLS = {
    "import": ("__import__('os').system('id')", "不安全或无效"),
    "attribute": ('"".__class__.__mro__', "不允许访问属性"),
    "unknown variable": ("== secret_key", "引用了未知变量 secret_key"),
}


@pytest.mark.parametrize("name", HOSTILE_CELLS)
def test_a_hostile_table_makes_the_draft_invalid_and_publish_is_refused(
    login, session, tmp_path, name
):
    cell, fragment = HOSTILE_CELLS[name]
    root = theme_copy(tmp_path)
    replace_in(
        root / "themes" / "enterprise-opening" / "guidance.dmn",
        "<text>True</text>",
        f"<text>{cell}</text>",
    )
    report = load_shipped(session, root)
    assert any("个问题，不能发布" in line for line in report), report
    session.commit()
    draft = session.scalars(select(ThemeDraft).order_by(ThemeDraft.id.desc()).limit(1)).one()
    assert draft.valid is False
    (problem,) = draft.problems
    assert problem["element_id"] == "InputEntry_HousingFund_Yes"
    assert fragment in problem["message"]

    admin = login("admin")
    refused = admin.post_json(f"{DRAFTS}/{draft.id}/publish")
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["message"] == "草稿未通过校验，不能发布"
    assert [e["element_id"] for e in body["errors"]] == ["InputEntry_HousingFund_Yes"]
    assert fragment in body["errors"][0]["message"]
    page = admin.get("/admin/").get_data(as_text=True)
    assert "InputEntry_HousingFund_Yes" in page

    # A diagram saved afterwards carries the same table, so it cannot be published either.
    saved = login("analyst").post_xml(DRAFTS, (ENTERPRISE / "process.bpmn").read_text("utf-8"))
    assert saved.get_json()["valid"] is False
    assert any(fragment in e["message"] for e in saved.get_json()["errors"])


# ---------- restaurant-opening: numeric thresholds in the shipped data ----------

RESTAURANT_APPLY = "/applicant/apply/restaurant-opening"


def restaurant_answers() -> dict:
    """The shipped sample 餐饮店 application (not registered yet: the licence is included)."""
    return yaml.safe_load((RESTAURANT / "sample-application.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("area", "seats", "fire", "sewage"),
    [("300", "75", False, False), ("300.01", "76", True, True), ("120.5", "80", False, True)],
)
def test_restaurant_thresholds_over_http(login, session, area, seats, fire, sewage):
    applicant = login("zhangsan")
    guide = applicant.get(RESTAURANT_APPLY).get_data(as_text=True)
    area_field = guide.split('data-key="restaurant.floor_area"')[1].split("</div>")[0]
    assert 'type="number"' in area_field and 'step="0.01"' in area_field
    assert '<span class="unit">㎡</span>' in area_field
    assert 'type="radio" name="restaurant.outdoor_sign" value="false"' in guide

    query = (
        f"step=form&restaurant.floor_area={area}&restaurant.seats={seats}"
        "&enterprise.registered=false&operator.form=enterprise&restaurant.outdoor_sign=false"
    )
    page = applicant.get(f"{RESTAURANT_APPLY}?{query}").get_data(as_text=True)
    assert ('name="fire.storey"' in page) is fire  # asked only by the 消防 item
    assert ('name="sewage.daily_volume"' in page) is sewage  # only by the 排水 item
    guided = page.split('id="guided-items"')[1].split("</div>")[0]
    assert "尚未取得营业执照" in guided  # registered answered 否: the licence is added
    assert ("公众聚集场所投入使用、营业前消防安全检查" in guided) is fire

    answers = restaurant_answers()
    answers.update(
        {"restaurant.floor_area": area, "restaurant.seats": seats, "restaurant.outdoor_sign": False}
    )
    response = applicant.post_form(
        RESTAURANT_APPLY, data=form_fields(answers) + [("csrf_token", applicant.csrf)]
    )
    case = case_of(session, response)
    assert ("FIRE-GZJHCS" in case.selected_items) is fire
    assert ("WATER-PSXK" in case.selected_items) is sewage
    assert "URBAN-HWZPSZ" not in case.selected_items
    assert {"SAMR-QYSLDJ", "SAMR-SPJYXK"} <= set(case.selected_items)
    data = restore_workflow(case).task_tree.data
    assert (data["fire_check"], data["sewage_permit"], data["sign_permit"]) == (fire, sewage, False)
    assert data["business_licence"] is True


def test_a_version_published_before_guidance_tables_still_decides_by_its_answer(session):
    # Such a version stored `condition` on its items and BPMN variables mapped to answer keys.
    current = session.scalars(
        select(ThemeVersion)
        .join(ThemeVersion.theme)
        .where(Theme.code == "enterprise-opening", ThemeVersion.number == 1)
    ).one()
    definition = {
        k: v for k, v in current.definition.items() if k not in ("question_variables", "guidance")
    }
    definition["items"] = [
        {k: v for k, v in i.items() if k != "selected_by"}
        | ({"condition": "housing_fund.needed"} if i["code"] == "HF-DWJCDJ" else {})
        for i in definition["items"]
    ]
    definition["variables"] = {"housing_fund": "housing_fund.needed"}
    legacy = ThemeVersion(id=-1, definition=definition, form=current.form, guidance_dmn=None)

    yes = theme_forms.decide_items(legacy, {"housing_fund.needed": "true"})
    no = theme_forms.decide_items(legacy, {})
    assert "HF-DWJCDJ" in yes.selected and "HF-DWJCDJ" not in no.selected
    assert (yes.variables, no.variables) == ({"housing_fund": True}, {"housing_fund": False})
    assert theme_forms.guidance_reasons(legacy, yes) == {}


def test_a_registered_restaurant_without_the_e_licence_is_asked_for_it(login, session):
    # Already registered: the 营业执照 is not produced in this case (设立登记 is not selected),
    # so the material set must not say it will be. The applicant holds no 营业执照 in the
    # wallet (calling it up is test_licence_wallet's), so it is asked, not waved through.
    answers = restaurant_answers()
    base = "91441322MA4W3Q5K1"
    answers.update({"enterprise.registered": True, "enterprise.uscc": base + calc_check(base)})
    applicant = login("zhangsan")
    response = applicant.post_form(
        RESTAURANT_APPLY, data=form_fields(answers) + [("csrf_token", applicant.csrf)]
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    licence_part = page.split('data-material="CL-YYZZ"')[1].split('data-material="')[0]
    assert "免提交" not in licence_part and "办理后生成" not in licence_part
    assert "field-error" in page.split('data-material="CL-YYZZ"')[0][-80:]

    # Not registered: the licence is produced in the theme, and said so.
    response = applicant.post_form(
        RESTAURANT_APPLY, data=form_fields(restaurant_answers()) + [("csrf_token", applicant.csrf)]
    )
    case = case_of(session, response)
    page = applicant.get(f"/applicant/cases/{case.case_no}").get_data(as_text=True)
    licence_row = page.split('data-material="CL-YYZZ"')[1].split("</tr>")[0]
    assert "由本主题“企业设立登记”办理后生成" in licence_row
