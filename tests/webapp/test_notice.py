"""The public one-time notice (一次告知书) page and API, and the admin's merge figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from forms import load_catalog, load_theme_definition, merge_figures, theme_form, theme_materials
from webapp.models import Theme

REPO = Path(__file__).resolve().parents[2]
NOTICE = "/notice/enterprise-opening"
API = "/api/themes/enterprise-opening/notice"


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_anyone_can_read_the_notice_in_chinese_with_materials_and_exemptions(app, db):
    page = _page(app.test_client(), f"{NOTICE}?housing_fund.needed=false")
    assert '<html lang="zh-CN">' in page
    assert "企业开办一件事一次告知书" in page
    assert "牵头部门：市场监管局" in page
    # The one material set: what to hand in, and what not, with the reason.
    materials = page.split('id="notice-materials"')[1]
    assert "公司章程" in materials and "原件 1 份" in materials
    assert "法定代表人任职文件" in materials and "可容缺受理" in materials
    exempt = materials.split("三、免于提交的材料")[1]
    assert "营业执照" in exempt and "由本主题“企业设立登记”办理后生成，无需提交" in exempt
    assert "可调用电子证照“居民身份证”，无需提交" in exempt
    # The items with their facts, and the one not needed with the guidance's reason.
    assert "企业设立登记" in page and "承诺时限 1 个工作日" in page
    assert "监督投诉电话" in page and "12345" in page
    skipped = page.split('id="notice-not-selected"')[1]
    assert "住房公积金单位缴存登记" in skipped and "根据您的回答，本次无需办理" in skipped
    assert "承诺时限之和" in page and "单项最长承诺时限" in page
    assert "<dt>办理事项</dt><dd>4 项</dd>" in page


def test_answers_select_the_items_on_the_notice(app, db):
    client = app.test_client()
    with_fund = _page(client, f"{NOTICE}?housing_fund.needed=true")
    without = _page(client, f"{NOTICE}?housing_fund.needed=false")
    assert 'data-item="HF-DWJCDJ"' in with_fund
    assert 'data-item="HF-DWJCDJ"' not in without
    assert "根据您的回答需办理" in with_fund
    assert "您的情形" in with_fund


def test_the_notice_is_printable(app, db):
    page = _page(app.test_client(), NOTICE)
    style = page.split("@media print")[1].split("</style>")[0]
    assert "size: A4" in style
    assert ".topbar" in style and "display: none" in style  # no navigation on paper
    assert "break-before: page" in style  # each section starts a new page
    assert ".print-bar" in style  # the 打印 button is not printed
    assert 'id="print-notice" data-print>打印</button>' in page
    # The button is wired by the page bundle (no inline script under the CSP).
    bundle = (REPO / "webapp" / "static" / "dist" / "page.js").read_text(encoding="utf-8")
    assert "[data-print]" in bundle and "window.print()" in bundle


def test_without_answers_the_complete_notice_marks_conditional_items(app, db):
    page = _page(app.test_client(), NOTICE)
    assert "完整告知" in page
    assert 'data-item="HF-DWJCDJ"' in page and "视情形办理" in page
    assert 'id="notice-not-selected"' not in page


def test_json_endpoint_gives_the_same_notice(app, db):
    client = app.test_client()
    response = client.get(f"{API}?housing_fund.needed=false")
    assert response.status_code == 200
    notice = response.get_json()
    assert notice["title"] == "企业开办一件事一次告知书"
    assert [i["code"] for i in notice["items"]] == [
        "SAMR-QYSLDJ",
        "PSB-GZKZBA",
        "TAX-SSSXBL",
        "HRSS-DWCBDJ",
    ]
    assert notice["not_selected"][0]["code"] == "HF-DWJCDJ"
    licence = next(m for m in notice["exemptions"] if m["code"] == "CL-YYZZ")
    assert licence["reason"] == "由本主题“企业设立登记”办理后生成，无需提交"
    assert notice["answers"][0]["answer"] == "否"
    assert "/api/themes/{code}/notice" in client.get("/api/openapi.json").get_json()["paths"]


def test_unknown_theme_is_404_on_page_and_api(app, db):
    client = app.test_client()
    page = client.get("/notice/no-such-theme")
    assert page.status_code == 404 and "主题不存在" in page.get_data(as_text=True)
    api = client.get("/api/themes/no-such-theme/notice")
    assert api.status_code == 404
    assert api.get_json() == {"code": "not_found", "message": "主题不存在"}


def test_a_wrong_answer_is_refused_with_a_chinese_message(app, db):
    response = app.test_client().get(f"{API}?housing_fund.needed=maybe")
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "导办问题的回答有误"
    assert [e["key"] for e in body["errors"]] == ["housing_fund.needed"]
    too_long = app.test_client().get(f"{API}?housing_fund.needed={'x' * 101}")
    assert too_long.status_code == 422


def test_the_notice_comes_from_the_published_version_not_the_current_catalog(app, session):
    # A reload of changed catalog data updates the theme row; until an admin publishes,
    # the published version (and so its notice) must not change.
    theme = session.scalars(select(Theme).where(Theme.code == "enterprise-opening")).one()
    definition = dict(theme.definition)
    notice = dict(definition["notice"])
    notice["items"] = [{**i, "place": "别处新大厅"} for i in notice["items"]]
    theme.definition = {**definition, "notice": notice}
    session.commit()
    page = _page(app.test_client(), NOTICE)
    assert "别处新大厅" not in page
    assert "县政务服务中心一楼企业开办专区" in page


def test_guide_and_form_pages_link_to_the_notice(login):
    applicant = login("zhangsan")
    guide = applicant.get("/applicant/apply/enterprise-opening").get_data(as_text=True)
    assert f'href="{NOTICE}"' in guide
    form = applicant.get(
        "/applicant/apply/enterprise-opening?step=form&housing_fund.needed=true"
    ).get_data(as_text=True)
    assert f'href="{NOTICE}?housing_fund.needed=true"' in form


def _enterprise_figures():
    catalog = load_catalog(REPO / "processes/catalog")
    theme = load_theme_definition(REPO / "processes/themes/enterprise-opening", catalog)
    minimal = [c for c in theme.item_codes if c not in theme.conditional_items]
    every = merge_figures(theme_form(theme, catalog), theme_materials(theme, catalog))
    least = merge_figures(
        theme_form(theme, catalog).for_items(minimal), theme_materials(theme, catalog, minimal)
    )
    return every, least


def test_admin_sees_field_and_material_figures_for_all_and_minimal_selection(login):
    page = login("admin").get("/admin/figures")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "字段精简率" in text and "材料精简率" in text
    section = text.split('data-theme="enterprise-opening"')[1].split("</section>")[0]
    every, least = _enterprise_figures()
    assert least.fields_total < every.fields_total  # the minimal selection asks less
    rows = section.split("<tr>")[2:]
    assert "全部事项" in rows[0] and "最少事项" in rows[1]
    for row, figures in zip(rows, (every, least), strict=True):
        assert f"{figures.fields_asked} / {figures.fields_total}" in row
        assert f"{figures.materials_asked} / {figures.materials_total}" in row
        assert f"{figures.material_reduction * 100:.1f}%" in row
    assert "/admin/figures" in login("admin").get("/admin/").get_data(as_text=True)


@pytest.mark.parametrize("username", ["zhangsan", "window", "samr", "analyst"])
def test_figures_are_for_admins_only(login, username):
    assert login(username).get("/admin/figures").status_code == 403


def test_anonymous_figures_request_is_sent_to_log_in(app, db):
    response = app.test_client().get("/admin/figures")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
