"""The analysts' diagram editor: bpmn-js in the page, drafts validated on save."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.access_policy import Function
from webapp.db import db_session
from webapp.domain_errors import NotFound
from webapp.http_headers import xml_document
from webapp.themes import publishing
from webapp.themes.choices import modeler_choices
from webapp.themes.lookup import get_theme, latest_draft, latest_version, list_themes
from webapp.themes.simulation import answers_text, draft_report

from .guards import requires

bp = Blueprint("modeler", __name__, url_prefix="/modeler")


@bp.get("/")
@requires(Function.MODEL)
def themes_list():
    session = db_session()
    rows = [(t, latest_draft(session, t), latest_version(session, t)) for t in list_themes(session)]
    return render_template("modeler/themes.html", rows=rows)


@bp.get("/themes/<code>")
@requires(Function.MODEL)
def edit(code: str):
    session = db_session()
    theme = get_theme(session, code)
    draft = latest_draft(session, theme)
    return render_template(
        "modeler/edit.html",
        theme=theme,
        draft=draft,
        choices=modeler_choices(session, theme),
        **_simulation(session, theme),
    )


@bp.get("/themes/<code>/simulation")
@requires(Function.MODEL)
def simulation(code: str):
    """The path simulation of the newest draft, as the fragment the modeler shows after a
    save (the same partial the edit and publish pages include)."""
    session = db_session()
    theme = get_theme(session, code)
    return render_template("themes/_simulation.html", **_simulation(session, theme))


def _simulation(session, theme) -> dict:
    report = draft_report(
        session,
        theme,
        publishing.current_diagram(session, theme),
        publishing.current_guidance(session, theme),
    )
    return {"sim": report, "sim_answers_text": answers_text}


@bp.get("/themes/<code>/diagram.bpmn")
@requires(Function.MODEL)
def diagram(code: str):
    """The newest draft, or the newest published version when no draft exists."""
    session = db_session()
    xml = publishing.current_diagram(session, get_theme(session, code))
    if xml is None:
        raise NotFound("该主题还没有流程图")
    return xml_document(xml, f"{code}.bpmn")


@bp.get("/themes/<code>/guidance")
@requires(Function.MODEL)
def guidance(code: str):
    session = db_session()
    theme = get_theme(session, code)
    return render_template("modeler/guidance.html", theme=theme, draft=latest_draft(session, theme))


@bp.get("/themes/<code>/guidance.dmn")
@requires(Function.MODEL)
def guidance_table(code: str):
    """The guidance table of the newest draft, else of the newest published version."""
    session = db_session()
    xml = publishing.current_guidance(session, get_theme(session, code))
    if not xml:
        raise NotFound("该主题还没有导办决策表")
    return xml_document(xml, f"{code}-guidance.dmn")
