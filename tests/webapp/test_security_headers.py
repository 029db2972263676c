"""Nothing a browser would run is ever served: pages carry a CSP without inline script,
XML documents go out as sandboxed attachments, and diagrams carrying browser markup are
refused at save."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from webapp.models import ThemeDraft

from .test_theme_versions import BPMN, DRAFTS

TEMPLATES = Path(__file__).resolve().parents[2] / "webapp" / "templates"


@pytest.mark.parametrize(
    ("username", "url"),
    [
        (None, "/login"),
        (None, "/notice/enterprise-opening"),
        ("zhangsan", "/applicant/"),
        ("window", "/clerk/"),
        ("analyst", "/modeler/themes/enterprise-opening"),
        ("admin", "/admin/"),
    ],
)
def test_every_page_has_a_policy_without_inline_script(app, login, username, url):
    client = login(username) if username else app.test_client()
    response = client.get(url)
    assert response.status_code == 200
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    html = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"


def test_no_template_holds_inline_script_or_handlers():
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if re.search(
            r"<script(?![^>]*\bsrc=)|\son(click|change|submit|load|input)\s*=", path.read_text()
        )
    ]
    assert offenders == []


def _assert_sandboxed_attachment(response):
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Security-Policy"].startswith("sandbox;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_xml_documents_are_sandboxed_attachments(login, submit_case):
    analyst = login("analyst")
    _assert_sandboxed_attachment(analyst.get("/modeler/themes/enterprise-opening/diagram.bpmn"))
    _assert_sandboxed_attachment(analyst.get("/modeler/themes/enterprise-opening/guidance.dmn"))
    case_no = submit_case()["case_no"]
    _assert_sandboxed_attachment(login("window").get(f"/clerk/cases/{case_no}/diagram.bpmn"))


XHTML_ROOT = (
    '<html xmlns="http://www.w3.org/1999/xhtml"><body>'
    "<script>fetch('/admin/')</script></body></html>"
)
SCRIPT_IN_DOCUMENTATION = BPMN.replace(
    'name="综合受理">',
    'name="综合受理"><bpmn:documentation><script xmlns="http://www.w3.org/1999/xhtml">'
    "alert(1)</script></bpmn:documentation>",
    1,
)


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [(XHTML_ROOT, "不是 BPMN 2.0 文档"), (SCRIPT_IN_DOCUMENTATION, "XHTML 元素 <script>")],
    ids=["xhtml-root", "script-in-documentation"],
)
def test_drafts_carrying_browser_markup_are_refused_and_not_kept(login, session, xml, fragment):
    before = session.scalar(select(func.count(ThemeDraft.id)))
    response = login("analyst").post_xml(DRAFTS, xml)
    assert response.status_code == 422
    assert any(fragment in e["message"] for e in response.get_json()["errors"])
    session.expire_all()
    assert session.scalar(select(func.count(ThemeDraft.id))) == before


def test_plain_text_documentation_is_fine(login):
    xml = BPMN.replace(
        'name="综合受理">',
        'name="综合受理"><bpmn:documentation>材料齐全即可受理 &lt;b&gt;</bpmn:documentation>',
        1,
    )
    response = login("analyst").post_xml(DRAFTS, xml)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["valid"] is True
