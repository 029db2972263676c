"""The analysts' diagram editor: bpmn-js in the page, drafts validated on save."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from ..db import db_session
from ..models import Role
from ..services import themes
from .access import roles_required

bp = Blueprint("modeler", __name__, url_prefix="/modeler")


@bp.get("/")
@roles_required(Role.ANALYST, Role.ADMIN)
def themes_list():
    session = db_session()
    rows = [
        (t, themes.latest_draft(session, t), themes.latest_version(session, t))
        for t in themes.list_themes(session)
    ]
    return render_template("modeler/themes.html", rows=rows)


@bp.get("/themes/<code>")
@roles_required(Role.ANALYST, Role.ADMIN)
def edit(code: str):
    session = db_session()
    theme = themes.get_theme(session, code)
    draft = themes.latest_draft(session, theme)
    return render_template("modeler/edit.html", theme=theme, draft=draft)


@bp.get("/themes/<code>/diagram.bpmn")
@roles_required(Role.ANALYST, Role.ADMIN)
def diagram(code: str):
    """The newest draft, or the newest published version when no draft exists."""
    session = db_session()
    theme = themes.get_theme(session, code)
    draft = themes.latest_draft(session, theme)
    version = themes.latest_version(session, theme)
    xml = draft.bpmn_xml if draft else (version.bpmn_xml if version else None)
    if xml is None:
        return Response("", status=404)
    return Response(xml, mimetype="application/xml")


@bp.get("/themes/<code>/guidance")
@roles_required(Role.ANALYST, Role.ADMIN)
def guidance(code: str):
    session = db_session()
    theme = themes.get_theme(session, code)
    return render_template(
        "modeler/guidance.html", theme=theme, draft=themes.latest_draft(session, theme)
    )


@bp.get("/themes/<code>/guidance.dmn")
@roles_required(Role.ANALYST, Role.ADMIN)
def guidance_table(code: str):
    """The guidance table of the newest draft, else of the newest published version."""
    session = db_session()
    xml = themes.current_guidance(session, themes.get_theme(session, code))
    if not xml:
        return Response("", status=404)
    return Response(xml, mimetype="application/xml")
