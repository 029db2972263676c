"""帮办代办: a front-desk clerk or a 帮代办员 fills in and submits the one form for a person
or company at their service point (service_network/assistance.py says how 帮办 and 代办
differ in the record)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.access_policy import Function
from webapp.applications.drafts import DraftMaterial
from webapp.cases import submissions
from webapp.cases.case_forms import selection_materials
from webapp.db import db_session
from webapp.domain_errors import Invalid
from webapp.instruments.models import Instrument
from webapp.materials import hand_in
from webapp.service_network import assistance, points
from webapp.themes import theme_forms
from webapp.themes.lookup import latest_version, list_themes
from webapp.themes.published import published_theme

from . import applicant
from .guards import requires
from .inputs import AssistanceInput, CollectionPointInput, SubmissionInput, load_or_errors

bp = Blueprint("assist", __name__, url_prefix="/assist")


@bp.get("/")
@requires(Function.ASSIST)
def home():
    session = db_session()
    offered = [(t, latest_version(session, t)) for t in list_themes(session)]
    cases = assistance.assisted_cases(session, current_user)
    # The 收件凭证 of each, to print for the party (the instruments' own page checks access).
    receipts: dict[int, list[Instrument]] = {}
    if cases:
        stmt = select(Instrument).where(
            Instrument.case_id.in_([c.id for c in cases]), Instrument.kind == "receipt"
        )
        for instrument in session.scalars(stmt):
            receipts.setdefault(instrument.case_id, []).append(instrument)
    return render_template(
        "assist/home.html",
        themes=[(t, v) for t, v in offered if v is not None],
        cases=cases,
        instruments_by_case=receipts,
        point=current_user.service_point(),
    )


@bp.get("/apply/<code>")
@requires(Function.ASSIST)
def apply(code: str):
    theme, version = applicant.version_or_404(code)
    keys = theme_forms.question_fields(version)
    form = theme_forms.version_form(version)
    answers = {k: v for k in keys if (v := applicant._query_answer(form.field(k))) is not None}
    action = url_for("assist.apply", code=theme.code)
    if keys and request.args.get("step") != "form":
        return applicant._render_guide(theme, version, answers, {}, 200, action)
    decision = theme_forms.decide_items(version, answers)
    if decision.errors:
        errors = {e["key"]: e["message"] for e in decision.errors}
        return applicant._render_guide(theme, version, answers, errors, 422, action)
    return _render(theme, version, answers, {}, {}, 200)


def _render(theme, version, answers, assist: dict, errors: dict, status: int, token=None):
    """The one form as the applicant sees it, with the 帮办代办 part first and the materials
    as paper handed over at the window (scans need no upload at the desk)."""
    session = db_session()
    decision = theme_forms.decide_items(version, answers)
    form = theme_forms.version_form(version).for_items(decision.selected)
    reasons = theme_forms.guidance_reasons(version, decision)
    try:
        on_paper = set(hand_in.paper_codes(answers.get(hand_in.PAPER_KEY)))
    except Invalid:
        on_paper = set()
    first_time = not assist  # a fresh form: every paper material ticked as handed over
    materials = [
        DraftMaterial(material=m, files=(), on_paper=first_time or m.code in on_paper)
        for m in selection_materials(version, decision.selected)
    ]
    point = current_user.service_point()
    return render_template(
        "assist/apply.html",
        theme=theme,
        version=version,
        form=form,
        answers=answers,
        errors=errors,
        selected=set(decision.selected),
        guided=[(i.name, reasons.get(i.code, [])) for i in form.items if i.code in reasons],
        guide_url=url_for(
            "assist.apply", code=theme.code, **applicant._guide_query(version, answers)
        ),
        draft=None,
        saved_draft=None,
        questions=published_theme(version).questions,
        submission_token=token or submissions.new_token(),
        prefilled=(),
        materials=materials,
        assist=assist,
        point=point,
        points=points.all_points(session, active_only=True),
        collection_point=assist.get("collection_point") or (point.id if point else None),
    ), status


@bp.post("/apply/<code>")
@requires(Function.ASSIST)
def submit(code: str):
    session = db_session()
    theme, version = applicant.version_or_404(code)
    values, problems = load_or_errors(SubmissionInput(), request.form)
    if problems:
        raise Invalid("提交凭据无效，请刷新页面后重新提交", details=problems)
    token = values["submission_token"]
    earlier = assistance.case_submitted_with(session, current_user, token)
    if earlier is not None:
        session.commit()
        flash(f"该申请已于 {earlier.case_no} 提交，未重复提交")
        return redirect(url_for("assist.home"))
    answers = applicant.answers_from_form(request.form, version)
    posted = {k: request.form.get(k, "") for k in AssistanceInput().fields}
    posted["consent"] = request.form.get("consent") == "yes"
    assist, errors = load_or_errors(AssistanceInput(), posted)
    where, bad_point = load_or_errors(CollectionPointInput(), request.form)
    shown = {**posted, "collection_point": where["collection_point"] if where else None}
    if errors or bad_point:
        errors = {**(errors or {}), **(bad_point or {})}
        return _render(theme, version, answers, shown, errors, 422, token=token)
    letter_file = request.files.get("proxy_letter")
    letter = None
    if letter_file is not None and letter_file.filename:
        letter = assistance.ProxyLetter(letter_file.filename, letter_file.read())
    try:
        principal = assistance.check_principal(
            assist["party_kind"], assist["party_number"], assist["party_name"],
            assist["party_mobile"],
        )  # fmt: skip
        chosen = (
            points.get_point(session, where["collection_point"], active=True)
            if where["collection_point"]
            else None
        )
        case = assistance.submit_for(
            session,
            current_user,
            theme,
            answers,
            mode=assistance.Assistance(assist["mode"]),
            principal=principal,
            consent=assist["consent"],
            letter=letter,
            collection_point=chosen,
        )
    except Invalid as exc:
        session.rollback()
        errors = {e.get("key", e.get("field")): e["message"] for e in exc.details or []}
        errors = errors or {"_form": exc.message}
        return _render(theme, version, answers, shown, errors, 422, token=token)
    submissions.remember(session, current_user, case, token)
    session.commit()
    flash(
        f"已{assistance.Assistance(assist['mode']).label}提交，办件编号 {case.case_no}，"
        "请将收件凭证交当事人"
    )
    return redirect(url_for("assist.home", _anchor=f"case-{case.case_no}"))
