"""Admins publish theme versions and see what was published when, by whom."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.access_policy import Function
from webapp.accounts import sessions
from webapp.accounts.models import User
from webapp.db import db_session
from webapp.domain_errors import Invalid, NotFound
from webapp.themes import figures as theme_figures
from webapp.themes import publishing
from webapp.themes.lookup import latest_draft, latest_version, list_themes, versions
from webapp.themes.models import ThemeDraft
from webapp.themes.simulation import answers_text, draft_report

from .guards import requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@requires(Function.PUBLISH)
def themes_list():
    session = db_session()
    rows = []
    for theme in list_themes(session):
        draft = latest_draft(session, theme)
        # What each path of the draft does, seen before the publish button.
        report = draft_report(session, theme, draft.bpmn_xml, draft.guidance_dmn) if draft else None
        rows.append((theme, draft, versions(session, theme), report))
    return render_template("admin/themes.html", rows=rows, sim_answers_text=answers_text)


@bp.get("/figures")
@requires(Function.PUBLISH)
def figures():
    """字段精简率 and 材料精简率 of each theme's latest published version."""
    session = db_session()
    rows = []
    for theme in list_themes(session):
        version = latest_version(session, theme)
        if version is not None:
            rows.append(theme_figures.theme_figures(theme, version))
    return render_template("admin/figures.html", rows=rows)


@bp.post("/drafts/<int:draft_id>/publish")
@requires(Function.PUBLISH)
def publish(draft_id: int):
    session = db_session()
    draft = session.get(ThemeDraft, draft_id)
    if draft is None:
        raise NotFound("草稿不存在")
    try:
        version = publishing.publish_draft(session, current_user, draft)
    except Invalid as exc:
        session.rollback()
        flash(f"{exc.message}：" + "；".join(e["message"] for e in exc.details or []), "error")
        return redirect(url_for("admin.themes_list"))
    session.commit()
    flash(f"{draft.theme.name} 第 {version.number} 版已发布，新申请将使用该版本")
    return redirect(url_for("admin.themes_list"))


@bp.get("/users")
@requires(Function.PUBLISH)
def users():
    """Accounts, with a password reset for each (the temporary password is shown once)."""
    rows = db_session().scalars(select(User).order_by(User.id))
    return render_template("admin/users.html", users=rows, temporary=session.pop("yjs_temp", None))


@bp.post("/users/<int:user_id>/reset-password")
@requires(Function.PUBLISH)
def reset_password(user_id: int):
    db = db_session()
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("账号不存在")
    temporary = sessions.reset_password(db, current_user, user)
    db.commit()
    # Shown once on the next page; kept in the signed session only until then.
    session["yjs_temp"] = {"user": user.username, "password": temporary}
    return redirect(url_for("admin.users"))
