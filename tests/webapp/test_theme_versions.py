"""Analysts save drafts (kept even when invalid); admins publish immutable versions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from webapp.models import Case, ThemeDraft, ThemeVersion

BPMN = (
    Path(__file__).resolve().parents[2]
    / "processes"
    / "themes"
    / "enterprise-opening"
    / "process.bpmn"
).read_text(encoding="utf-8")
DRAFTS = "/api/themes/enterprise-opening/drafts"


def _save(client, xml):
    response = client.post_xml(DRAFTS, xml)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


BAD_DIAGRAMS = {
    "malformed": (BPMN.replace("</bpmn:process>", "", 1), None, "XML 格式错误"),
    "xxe": (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + BPMN.split("?>", 1)[1],
        None,
        "DOCTYPE",
    ),
    "unsafe condition": (
        BPMN.replace("housing_fund == True", "__import__('os').system('id')"),
        "Flow_FundYes",
        "不安全",
    ),
    "unknown lane": (BPMN.replace('name="公安局"', 'name="宣传部"'), "Task_Seal", "宣传部"),
    "acceptance in wrong lane": (
        BPMN.replace('name="综合窗口"', 'name="市场监管局窗口"'),
        "Task_Accept",
        "市场监管局窗口",
    ),
}


@pytest.mark.parametrize("name", BAD_DIAGRAMS)
def test_bad_diagram_is_kept_as_invalid_draft_and_cannot_be_published(name, login, session):
    xml, element_id, fragment = BAD_DIAGRAMS[name]
    analyst, admin = login("analyst"), login("admin")
    versions_before = session.scalar(select(func.count(ThemeVersion.id)))

    saved = _save(analyst, xml)
    assert saved["valid"] is False
    assert any(fragment in e["message"] for e in saved["errors"]), saved["errors"]
    if element_id:
        assert element_id in {e["element_id"] for e in saved["errors"]}
    draft = session.get(ThemeDraft, saved["draft_id"])
    assert draft.bpmn_xml == xml  # nothing the analyst did is lost

    refused = admin.post_json(f"{DRAFTS}/{saved['draft_id']}/publish")
    assert refused.status_code == 422
    assert refused.get_json()["message"] == "草稿未通过校验，不能发布"
    session.expire_all()
    assert session.scalar(select(func.count(ThemeVersion.id))) == versions_before


def test_publishing_a_new_version_leaves_running_cases_on_theirs(login, submit_case, session):
    running = submit_case()["case_no"]
    analyst, admin = login("analyst"), login("admin")
    moved = BPMN.replace('name="企业设立登记"', 'name="企业设立登记（含名称申报）"')
    saved = _save(analyst, moved)
    assert saved == {"draft_id": saved["draft_id"], "valid": True, "errors": []}

    published = admin.post_json(f"{DRAFTS}/{saved['draft_id']}/publish", {"reason": "任务改名"})
    assert published.status_code == 201
    assert published.get_json() == {"theme": "enterprise-opening", "version": 2}
    version = session.scalars(select(ThemeVersion).where(ThemeVersion.number == 2)).one()
    assert (version.reason, version.source) == ("任务改名", "draft")
    again = admin.post_json(f"{DRAFTS}/{saved['draft_id']}/publish")
    assert again.status_code == 409

    fresh = submit_case()["case_no"]
    version_of = {
        c.case_no: c.theme_version.number
        for c in session.scalars(select(Case).where(Case.case_no.in_([running, fresh])))
    }
    assert version_of == {running: 1, fresh: 2}

    # The old case keeps running on version 1, with its own task names.
    window = login("window")
    tasks = {t["case_no"]: t for t in window.get("/api/tasks/").get_json()["tasks"]}
    for case_no in (running, fresh):
        window.post_json(f"/api/tasks/{tasks[case_no]['id']}/complete", {})
    names = {t["case_no"]: t["name"] for t in login("samr").get("/api/tasks/").get_json()["tasks"]}
    assert names[running] == "企业设立登记"
    assert names[fresh] == "企业设立登记（含名称申报）"


def test_only_analysts_save_and_only_admins_publish(login):
    applicant, analyst = login("zhangsan"), login("analyst")
    assert applicant.post_xml(DRAFTS, BPMN).status_code == 403
    draft_id = _save(analyst, BPMN)["draft_id"]
    assert analyst.post_json(f"{DRAFTS}/{draft_id}/publish").status_code == 403


def test_empty_and_non_utf8_bodies_are_refused(login):
    analyst = login("analyst")
    assert analyst.post_xml(DRAFTS, b"").status_code == 422
    response = analyst.post_xml(DRAFTS, "<a>测试</a>".encode("gb18030"))
    assert response.status_code == 422
    assert "UTF-8" in response.get_json()["message"]
