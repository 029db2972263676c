"""Admins publish theme versions and see what was published when, by whom."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from ..db import db_session
from ..models import Role, ThemeDraft
from ..services import theme_figures, themes
from ..services.errors import Invalid, NotFound
from .access import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@roles_required(Role.ADMIN)
def themes_list():
    session = db_session()
    rows = [
        (t, themes.latest_draft(session, t), themes.versions(session, t))
        for t in themes.list_themes(session)
    ]
    return render_template("admin/themes.html", rows=rows)


@bp.get("/figures")
@roles_required(Role.ADMIN)
def figures():
    """字段精简率 and 材料精简率 of each theme's latest published version."""
    session = db_session()
    rows = []
    for theme in themes.list_themes(session):
        version = themes.latest_version(session, theme)
        if version is not None:
            rows.append(theme_figures.theme_figures(theme, version))
    return render_template("admin/figures.html", rows=rows)


@bp.post("/drafts/<int:draft_id>/publish")
@roles_required(Role.ADMIN)
def publish(draft_id: int):
    session = db_session()
    draft = session.get(ThemeDraft, draft_id)
    if draft is None:
        raise NotFound("草稿不存在")
    try:
        version = themes.publish_draft(session, current_user, draft)
    except Invalid as exc:
        session.rollback()
        flash(f"{exc.message}：" + "；".join(e["message"] for e in exc.details or []), "error")
        return redirect(url_for("admin.themes_list"))
    session.commit()
    flash(f"{draft.theme.name} 第 {version.number} 版已发布，新申请将使用该版本")
    return redirect(url_for("admin.themes_list"))
