"""Applicants: pick a theme, answer the guidance questions, fill the one form, track cases."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..db import db_session
from ..models import Role
from ..services import audit, cases, theme_forms, themes
from ..services.errors import Invalid, NotFound
from .access import roles_required

bp = Blueprint("applicant", __name__, url_prefix="/applicant")

GROUP_FIELD = re.compile(r"^(?P<group>[a-z_][\w.]*)\[(?P<index>\d{1,3})\]\.(?P<sub>[a-z_][\w.]*)$")
MAX_GROUP_ROWS = 50


@bp.get("/")
@roles_required(Role.APPLICANT)
def home():
    session = db_session()
    offered = [(t, themes.latest_version(session, t)) for t in themes.list_themes(session)]
    return render_template(
        "applicant/home.html",
        themes=[(t, v) for t, v in offered if v is not None],
        cases=cases.my_cases(session, current_user),
    )


def _version_or_404(code: str):
    session = db_session()
    theme = themes.get_theme(session, code)
    version = themes.latest_version(session, theme)
    if version is None:
        raise NotFound("该主题尚未发布，暂不能申请")
    return theme, version


def answers_from_form(form: MultiDict, version) -> dict:
    """Turn posted fields (canonical keys, `group[i].sub` for rows) into an answers dict."""
    whole = theme_forms.version_form(version)
    answers: dict = {}
    groups: dict[str, dict[int, dict]] = {}
    for name in form:
        if name == "csrf_token":
            continue
        match = GROUP_FIELD.match(name)
        if match:
            index = int(match["index"])
            if index < MAX_GROUP_ROWS:
                row = groups.setdefault(match["group"], {}).setdefault(index, {})
                row[match["sub"]] = form.get(name, "").strip()
            continue
        if name not in whole:
            continue  # unknown keys are dropped, never stored
        field = whole.field(name)
        if field.multiple:
            answers[name] = [v for v in form.getlist(name) if v]
        else:
            answers[name] = form.get(name, "").strip()
    for key in version.definition.get("questions", []):
        answers[key] = form.get(key) in ("true", "on", "1")
    for group, rows in groups.items():
        if group in whole:
            answers[group] = [rows[i] for i in sorted(rows) if any(v for v in rows[i].values())]
    return {k: v for k, v in answers.items() if v != ""}


@bp.get("/apply/<code>")
@roles_required(Role.APPLICANT)
def apply(code: str):
    theme, version = _version_or_404(code)
    questions = [
        theme_forms.version_form(version).field(k) for k in version.definition.get("questions", [])
    ]
    if questions and request.args.get("step") != "form":
        return render_template("applicant/guide.html", theme=theme, questions=questions)
    answers = {
        k: request.args.get(k) in ("true", "on", "1")
        for k in version.definition.get("questions", [])
    }
    return _render_form(theme, version, answers, {}, 200)


def _render_form(theme, version, answers: dict, errors: dict, status: int):
    typed = theme_forms.question_answers(version, answers)
    form = theme_forms.form_for(version, typed)
    materials = version.form.get("materials", {})
    selected = set(theme_forms.selected_item_codes(version, typed))
    return render_template(
        "applicant/apply.html",
        theme=theme,
        version=version,
        form=form,
        answers=answers,
        errors=errors,
        materials=materials,
        selected=selected,
    ), status


@bp.post("/apply/<code>")
@roles_required(Role.APPLICANT)
def submit(code: str):
    session = db_session()
    theme, version = _version_or_404(code)
    answers = answers_from_form(request.form, version)
    try:
        case = cases.submit_application(session, current_user, theme, answers)
    except Invalid as exc:
        session.rollback()
        errors = {e["key"]: e["message"] for e in exc.details or []}
        return _render_form(theme, version, answers, errors, 422)
    session.commit()
    flash(f"申请已提交，办件编号 {case.case_no}，请凭此编号查询进度")
    return redirect(url_for("applicant.case_page", case_no=case.case_no))


@bp.get("/cases/<case_no>")
@roles_required(Role.APPLICANT)
def case_page(case_no: str):
    session = db_session()
    case = cases.get_case_for(session, current_user, case_no)
    version = case.theme_version
    sections = theme_forms.display_sections(
        theme_forms.form_for(version, case.answers), case.answers, masked=True
    )
    return render_template(
        "applicant/case.html",
        case=case,
        steps=cases.item_progress(case),
        timeline=audit.case_timeline(session, case),
        sections=sections,
    )
