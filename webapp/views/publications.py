"""Admins review what a publication changes, confirm it with a reason, roll back, and move
running cases to the newest version."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.access_policy import Function
from webapp.cases import moving
from webapp.db import db_session
from webapp.domain_errors import Conflict, Invalid, NotFound, ServiceError
from webapp.http_headers import xml_document
from webapp.themes import publications
from webapp.themes.candidates import candidate, carried_along
from webapp.themes.lookup import get_theme, latest_version, versions
from webapp.themes.published import load_published_theme, published_theme
from webapp.themes.simulation import answers_text, draft_report
from webapp.themes.version_diff import Side, diff_versions

from .guards import requires
from .inputs import MoveCasesInput, PublicationInput, load_or_errors

bp = Blueprint("publications", __name__, url_prefix="/admin/themes")


def _processes_dir():
    return current_app.config["PROCESSES_DIR"]


def _review_page(code: str, errors: dict | None = None, reason: str = "", status: int = 200):
    session = db_session()
    theme = get_theme(session, code)
    try:
        planned = candidate(session, theme, _processes_dir())
        others = carried_along(session, theme, _processes_dir())
        problem = None
    except Invalid as exc:
        planned, others, problem = None, [], exc
    diff = sim = None
    if planned is not None:
        # Every path of what would be published, run before the admin confirms (issue 19).
        sim = draft_report(session, theme, planned.bpmn_xml, planned.guidance_dmn)
        current = planned.current
        diff = diff_versions(
            Side(published_theme(current), current.bpmn_xml, current.guidance_dmn)
            if current is not None
            else None,
            Side(load_published_theme(planned.definition), planned.bpmn_xml, planned.guidance_dmn),
        )
    return render_template(
        "admin/review.html",
        theme=theme,
        planned=planned,
        others=others,
        problem=problem,
        diff=diff,
        sim=sim,
        sim_answers_text=answers_text,
        errors=errors or {},
        reason=reason,
    ), status


@bp.get("/<code>/publish")
@requires(Function.PUBLISH)
def review(code: str):
    """What publishing would change: diagram, guidance rows, items, form fields, materials,
    and the other themes an edited item carries along."""
    return _review_page(code)


@bp.get("/<code>/publish/<any(current, next):which>.bpmn")
@requires(Function.PUBLISH)
def diagram(code: str, which: str):
    """The diagram in force, or the one the review would publish, for the page's differ."""
    session = db_session()
    theme = get_theme(session, code)
    if which == "current":
        version = latest_version(session, theme)
        xml = version.bpmn_xml if version is not None else None
    else:
        xml = candidate(session, theme, _processes_dir()).bpmn_xml
    if xml is None:
        raise NotFound("该主题还没有流程图")
    return xml_document(xml, f"{code}-{which}.bpmn")


@bp.post("/<code>/publish")
@requires(Function.PUBLISH)
def publish(code: str):
    session = db_session()
    theme = get_theme(session, code)
    data, errors = load_or_errors(PublicationInput(), request.form)
    if errors:
        return _review_page(code, errors, request.form.get("reason", ""), 422)
    try:
        published = publications.publish_theme(
            session, current_user, theme, _processes_dir(), data["reason"]
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        flash(_message(exc), "error")
        return redirect(url_for("publications.review", code=code))
    session.commit()
    names = "、".join(f"{v.theme.name} 第 {v.number} 版" for v in published)
    flash(f"已发布：{names}。新申请将使用新版本")
    return redirect(url_for("publications.cases", code=code))


@bp.post("/<code>/versions/<int:number>/rollback")
@requires(Function.PUBLISH)
def roll_back(code: str, number: int):
    session = db_session()
    theme = get_theme(session, code)
    data, errors = load_or_errors(PublicationInput(), request.form)
    if errors:
        flash("回退需要填写原因（至少 2 个字）", "error")
        return redirect(url_for("admin.themes_list"))
    try:
        version = publications.roll_back(session, current_user, theme, number, data["reason"])
    except (Invalid, NotFound) as exc:
        session.rollback()
        flash(_message(exc), "error")
        return redirect(url_for("admin.themes_list"))
    session.commit()
    flash(f"{theme.name} 第 {number} 版已重新发布为第 {version.number} 版")
    return redirect(url_for("admin.themes_list"))


@bp.get("/<code>/cases")
@requires(Function.PUBLISH)
def cases(code: str):
    """Which running cases can move to the newest version, and why the others cannot."""
    session = db_session()
    theme = get_theme(session, code)
    target = latest_version(session, theme)
    if target is None:
        raise NotFound("该主题还没有发布的版本")
    report = moving.move_report(session, theme, target)
    return render_template(
        "admin/cases.html", theme=theme, target=target, report=report,
        versions=versions(session, theme),
    )  # fmt: skip


@bp.post("/<code>/cases/move")
@requires(Function.PUBLISH)
def move(code: str):
    """Move one case, or every movable one; each in its own transaction."""
    session = db_session()
    theme = get_theme(session, code)
    target = latest_version(session, theme)
    data, errors = load_or_errors(MoveCasesInput(), request.form)
    if target is None or errors:
        raise NotFound("该主题还没有发布的版本") if target is None else Invalid("办件编号无效")
    target_id = target.id
    if data["case_no"]:
        ids = [c.id for c in moving.running_cases(session, theme, target)
               if c.case_no == data["case_no"]]  # fmt: skip
        if not ids:
            raise NotFound("办件不存在或不在迁移范围内")
    else:
        ids = [c.case.id for c in moving.move_report(session, theme, target) if c.movable]
    session.rollback()  # the checks read only; each move starts its own transaction
    moved, refused = [], []
    for case_id in ids:
        try:
            case = moving.move_case(
                session, current_user, case_id, session.get(type(target), target_id)
            )
            case_no = case.case_no
            session.commit()
            moved.append(case_no)
        except ServiceError as exc:
            session.rollback()
            refused.append(_message(exc))
    if moved:
        flash(f"已迁移到第 {target.number} 版：{'、'.join(moved)}")
    for message in refused:
        flash(message, "error")
    if not moved and not refused:
        flash("没有可迁移的办件")
    return redirect(url_for("publications.cases", code=code))


def _message(exc: ServiceError) -> str:
    rows = exc.details if isinstance(exc.details, list) else []
    details = "；".join(d.get("message", "") for d in rows)
    return f"{exc.message}：{details}" if details else exc.message
