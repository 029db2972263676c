"""Admins publish theme versions and see what was published when, by whom."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.access_policy import Function
from webapp.accounts import sessions
from webapp.accounts.models import User
from webapp.db import db_session
from webapp.deadlines.recalculation import reschedule_open_tasks
from webapp.domain_errors import Invalid, NotFound
from webapp.themes import figures as theme_figures
from webapp.themes import publishing
from webapp.themes.lookup import latest_draft, latest_version, list_themes, versions
from webapp.themes.models import ThemeDraft
from webapp.themes.simulation import answers_text, draft_report
from webapp.working_calendar import arrangement
from webapp.working_calendar.notice import notice_lines

from .guards import requires
from .inputs import CalendarNoticeInput, load_or_errors

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


@bp.get("/calendar")
@requires(Function.PUBLISH)
def calendar():
    """工作日历: the covered years, each year's holidays and 调休, and the next year's form."""
    db = db_session()
    coverage = arrangement.coverage()
    return _calendar_page(db, coverage, {}, {"year": coverage.last_day.year + 1})


def _calendar_page(db, coverage, errors: dict, form: dict, status: int = 200):
    years = arrangement.years(db)
    shown = []
    for row in years[:3]:  # the latest years; older ones are history
        holidays, workdays = arrangement.days_of(db, row.year)
        shown.append((row, notice_lines(holidays), notice_lines(workdays)))
    return render_template(
        "admin/calendar.html",
        coverage=coverage,
        years=years,
        shown=shown,
        errors=errors,
        form=form,
    ), status


@bp.post("/calendar")
@requires(Function.PUBLISH)
def import_calendar():
    """Enter one year's holiday notice; it counts for every deadline from now on."""
    db = db_session()
    values, errors = load_or_errors(CalendarNoticeInput(), request.form)
    if errors:
        return _calendar_page(db, arrangement.coverage(), errors, request.form, 422)
    try:
        arrangement.import_notice(
            db,
            current_user,
            values["year"],
            values["holidays"],
            values["workdays"],
            values["notice"],
        )
    except Invalid as exc:
        db.rollback()
        problems = {"form": exc.message, "problems": [d["message"] for d in exc.details or []]}
        return _calendar_page(db, arrangement.coverage(), problems, request.form, 422)
    moved = reschedule_open_tasks(db, values["year"])
    db.commit()
    flash(f"{values['year']} 年节假日安排已录入；{moved} 个未办结任务的期限已按新日历重算")
    return redirect(url_for("admin.calendar"))
