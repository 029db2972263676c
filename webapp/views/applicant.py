"""Applicants: pick a theme, answer the guidance questions, fill the one form, track cases."""

from __future__ import annotations

import re

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from webapp import access_policy
from webapp.access_policy import Function
from webapp.accounts import registration
from webapp.applications import drafts
from webapp.applications.earlier_answers import earlier_answers
from webapp.audit import trail
from webapp.back_office import promises
from webapp.cases import lifecycle, submissions
from webapp.cases.case_forms import (
    case_form,
    case_licences,
    case_materials,
    issued_licence_types,
    visible_sections,
)
from webapp.cases.locking import lock_case
from webapp.cases.lookup import case_for, own_case_for
from webapp.cases.next_steps import next_step
from webapp.cases.progress import item_progress
from webapp.db import db_session
from webapp.domain_errors import Conflict, Invalid, NotFound
from webapp.front_desk import acceptance
from webapp.instruments import issuing
from webapp.instruments.documents import qr_svg, render_pdf
from webapp.licences import document as licence_document
from webapp.licences import revocation, wallet
from webapp.materials import files as material_files
from webapp.materials import hand_in
from webapp.parties import case_parties
from webapp.ratings import service as ratings
from webapp.ratings.models import BAD_TAGS, GOOD_TAGS, LEVEL_LABELS
from webapp.service_network import case_facts, points
from webapp.themes import theme_forms
from webapp.themes.lookup import get_theme, latest_version, list_themes
from webapp.themes.published import published_theme

from .guards import requires
from .inputs import (
    CollectionPointInput,
    PromiseInput,
    RatingInput,
    SubmissionInput,
    WithdrawInput,
    load_or_errors,
)

bp = Blueprint("applicant", __name__, url_prefix="/applicant")

# Rows 0–999: more than the form parts a request may carry (Flask's MAX_FORM_PARTS).
GROUP_FIELD = re.compile(r"^(?P<group>[a-z_][\w.]*)\[(?P<index>\d{1,3})\]\.(?P<sub>[a-z_][\w.]*)$")


@bp.get("/")
@requires(Function.APPLY)
def home():
    session = db_session()
    offered = [(t, latest_version(session, t)) for t in list_themes(session)]
    return render_template(
        "applicant/home.html",
        themes=[(t, v) for t, v in offered if v is not None],
        cases=lifecycle.my_cases(session, current_user),
        drafts=drafts.my_drafts(session, current_user),
        next_step=next_step,
    )


def version_or_404(code: str):
    session = db_session()
    theme = get_theme(session, code)
    version = latest_version(session, theme)
    if version is None:
        raise NotFound("该主题尚未发布，暂不能申请")
    return theme, version


def answers_from_form(form: MultiDict, version) -> dict:
    """Turn posted fields (canonical keys, `group[i].sub` for rows) into an answers dict."""
    whole = theme_forms.version_form(version)
    answers: dict = {}
    groups: dict[str, dict[int, dict]] = {}
    for name in form:
        if name in ("csrf_token", "submission_token"):
            continue
        if name == hand_in.PAPER_KEY:  # 窗口提交纸质件 ticks: the applicant's declarations
            answers[name] = form.getlist(name)
            continue
        match = GROUP_FIELD.match(name)
        if match:
            # Every row is kept: how many a group may have is the form's rule (max_items),
            # checked by validation and drafts with a message, never a silent cut here.
            row = groups.setdefault(match["group"], {}).setdefault(int(match["index"]), {})
            row[match["sub"]] = form.get(name, "").strip()
            continue
        if name not in whole:
            continue  # unknown keys are dropped, never stored
        field = whole.field(name)
        if field.multiple:
            answers[name] = [v for v in form.getlist(name) if v]
        else:
            answers[name] = form.get(name, "").strip()
    # Guidance questions are fields like any other (typed by the field dictionary); a yes/no
    # one posts "true" or "false", and an unanswered one is absent (asked again, never 否).
    for group, rows in groups.items():
        if group in whole:
            answers[group] = [rows[i] for i in sorted(rows) if any(v for v in rows[i].values())]
    return {k: v for k, v in answers.items() if v != ""}


@bp.get("/apply/<code>")
@requires(Function.APPLY)
def apply(code: str):
    theme, version = version_or_404(code)
    keys = theme_forms.question_fields(version)
    form = theme_forms.version_form(version)
    answers = {k: v for k in keys if (v := _query_answer(form.field(k))) is not None}
    if keys and request.args.get("step") != "form":
        return _render_guide(theme, version, answers, {}, 200)  # answers: coming back to edit
    decision = theme_forms.decide_items(version, answers)
    if decision.errors:
        errors = {e["key"]: e["message"] for e in decision.errors}
        return _render_guide(theme, version, answers, errors, 422)
    # A fresh form starts from the applicant's earlier case (shared fields), the profile's
    # identity and what their e-licences carry (智能填报, said so on the form), each later
    # one winning; the applicant may change any of it.
    session = db_session()
    issued = issued_licence_types(version, decision.selected)
    earlier = earlier_answers(session, current_user, form.fields, issued)
    prefill = {k: v for k, v in registration.profile_answers(current_user).items() if k in form}
    from_licences = wallet.prefill(session, current_user, form.fields, issued)
    answers = {**earlier.values, **prefill, **from_licences.values, **answers}
    kept = [k for k, v in earlier.values.items() if answers.get(k) == v and k not in prefill]
    kept = [k for k in kept if k not in from_licences.values]
    return render_form(
        theme, version, answers, {}, 200, prefilled=from_licences.notes,
        earlier_note=earlier.note(kept),
    )  # fmt: skip


def _query_answer(field):
    """A question's answer from the guide form's query string, None when not given."""
    values = [v.strip() for v in request.args.getlist(field.key) if v.strip()]
    if field.multiple:
        return values or None
    return values[0] if values else None


def _guide_query(version, answers: dict) -> dict:
    """The question answers as the guide form sends them, to go back and change them."""
    query = {}
    for key in theme_forms.question_fields(version):
        value = answers.get(key)
        if isinstance(value, bool):
            query[key] = "true" if value else "false"
        elif value not in (None, "", []):
            query[key] = value if isinstance(value, list) else str(value)
    return query


def _render_guide(
    theme, version, answers: dict, errors: dict, status: int, action: str | None = None
):
    """The guidance questions, each by its type, with the items they may switch on;
    `action` is where the answers go (帮办代办 asks the same questions for its form)."""
    form = theme_forms.version_form(version)
    names = {i.code: i.name for i in published_theme(version).items}
    possible = [
        (names.get(code, code), reasons)
        for code, reasons in theme_forms.guidance_reasons(version).items()
    ]
    return render_template(
        "applicant/guide.html",
        theme=theme,
        questions=[form.field(k) for k in theme_forms.question_fields(version)],
        answers=answers,
        errors=errors,
        possible=possible,
        guide_action=action,
    ), status


def render_form(
    theme, version, answers: dict, errors: dict, status: int, draft=None, token=None,
    prefilled=(), earlier_note=None, collection_point=None,
):  # fmt: skip
    """The one form with the answers as typed (never masked: the applicant typed them)
    and every error at once; `draft` is the saved draft being continued, if any. `token`
    is the submission token of a post shown again (new when the form is shown afresh)."""
    decision = theme_forms.decide_items(version, answers)
    form = theme_forms.version_form(version).for_items(decision.selected)
    selected = set(decision.selected)
    # Which conditional items the guidance answers switched on, and why (rule descriptions).
    reasons = theme_forms.guidance_reasons(version, decision)
    guided = [(i.name, reasons.get(i.code, [])) for i in form.items if i.code in reasons]
    guide_url = url_for("applicant.apply", code=theme.code, **_guide_query(version, answers))
    return render_template(
        "applicant/apply.html",
        theme=theme,
        version=version,
        form=form,
        answers=answers,
        errors=errors,
        selected=selected,
        guided=guided,
        guide_url=guide_url,
        draft=draft,
        saved_draft=draft or drafts.draft_of(db_session(), current_user, theme),
        questions=published_theme(version).questions,
        submission_token=token or submissions.new_token(),
        prefilled=prefilled,
        earlier_note=earlier_note,
        points=points.all_points(db_session(), active_only=True),
        collection_point=collection_point,
        materials=drafts.draft_materials(
            db_session(), current_user, version, decision.selected, answers
        ),
    ), status


@bp.post("/apply/<code>")
@requires(Function.APPLY)
def submit(code: str):
    session = db_session()
    theme, version = version_or_404(code)
    values, problems = load_or_errors(SubmissionInput(), request.form)
    if problems:
        raise Invalid("提交凭据无效，请刷新页面后重新提交", details=problems)
    token = values["submission_token"]
    # Back button and submit again: the same post must not make a second case.
    earlier = submissions.case_submitted_with(session, current_user, token)
    if earlier is not None:
        session.commit()
        flash(f"该申请已于 {earlier.case_no} 提交，未重复提交")
        return redirect(url_for("applicant.case_page", case_no=earlier.case_no))
    answers = answers_from_form(request.form, version)
    chosen, bad_point = load_or_errors(CollectionPointInput(), request.form)
    point_id = chosen["collection_point"] if chosen else None
    try:
        if bad_point:
            raise Invalid("请选择领取结果的服务点", details=[
                {"key": "collection_point", "message": "请选择领取结果的服务点"}
            ])  # fmt: skip
        # A saved draft of this theme becomes the case; on errors it stays as it was.
        case = drafts.submit(session, current_user, theme, answers)
        points.choose_collection(session, current_user, case, point_id)
    except Invalid as exc:
        session.rollback()
        errors = {e["key"]: e["message"] for e in exc.details or []}
        return render_form(
            theme, version, answers, errors, 422, token=token, collection_point=point_id
        )
    submissions.remember(session, current_user, case, token)
    session.commit()
    flash(f"申请已提交，办件编号 {case.case_no}，请凭此编号查询进度")
    return redirect(url_for("applicant.case_page", case_no=case.case_no))


@bp.post("/apply/<code>/draft")
@requires(Function.APPLY)
def save_draft(code: str):
    """保存草稿: keep the form as it is, unchecked, and come back to it later."""
    session = db_session()
    theme, version = version_or_404(code)
    answers = answers_from_form(request.form, version)
    try:
        draft = drafts.save_draft(session, current_user, theme, answers)
    except Invalid as exc:
        session.rollback()
        return render_form(theme, version, answers, {"_draft": exc.message}, 422)
    session.commit()
    flash("草稿已保存，可随时在“我的办件”页面继续填写")
    return redirect(url_for("applicant.continue_draft", draft_id=draft.id))


@bp.get("/drafts/<int:draft_id>")
@requires(Function.APPLY)
def continue_draft(draft_id: int):
    draft = drafts.get_draft_for(db_session(), current_user, draft_id)
    theme, version = version_or_404(draft.theme.code)
    return render_form(theme, version, draft.answers, {}, 200, draft=draft)


@bp.get("/cases/<case_no>")
@requires(Function.APPLY)
def case_page(case_no: str):
    # Its applicant, or an account acting for one of its parties (read-only).
    case = case_for(db_session(), current_user, case_no)
    return render_case(case, {}, 200)


@bp.post("/cases/<case_no>/confirm")
@requires(Function.APPLY)
def confirm(case_no: str):
    """共同申请: the other side confirms the application with their own account."""
    session = db_session()
    case = lock_case(session, case_for(session, current_user, case_no).id)
    case_parties.confirm(session, current_user, case)
    session.commit()
    flash(f"您已确认办件 {case_no} 的共同申请")
    return redirect(url_for("applicant.case_page", case_no=case_no))


def render_case(case, errors: dict, status: int, template: str = "applicant/case.html"):
    """The case page (or the 补正 page's materials part) with `errors` by `material:<code>`."""
    session = db_session()
    files = material_files.visible_files(session, current_user, case)
    return render_template(
        template,
        case=case,
        steps=item_progress(case),
        timeline=trail.case_timeline(session, case, current_user),
        sections=visible_sections(current_user, case, masked=True),
        licences=case_licences(session, case),
        materials=hand_in.case_states(session, case, case_materials(case), files),
        uploadable=_uploadable(case),
        next_step=next_step(case),
        instruments=issuing.instruments_of(session, case),
        errors=errors,
        can_upload=access_policy.can_upload(current_user, case),
        can_declare_paper=access_policy.can_declare_paper(current_user, case),
        can_withdraw=access_policy.can_withdraw(current_user, case),
        can_correct=access_policy.can_correct(current_user, case),
        can_confirm=access_policy.can_confirm(current_user, case),
        is_own=access_policy.is_own_case(current_user, case),
        parties=case.parties,
        my_parties={link.party_id for link in current_user.party_links},
        joint_sides=case_parties.joint_sides(case),
        rating_targets=ratings.rating_targets(session, case)
        if access_policy.can_see_ratings(current_user, case)
        else [],
        can_rate=access_policy.can_rate(current_user, case),
        promise_items=promises.promise_items(case),
        signed_promises=promises.promises_of(session, case),
        can_sign_promise=access_policy.can_sign_promise(current_user, case),
        rating_levels=LEVEL_LABELS,
        good_tags=GOOD_TAGS,
        bad_tags=BAD_TAGS,
        network=case_facts.case_network(session, current_user, case),
    ), status


def _uploadable(case) -> set[str]:
    """Codes of the case's materials the applicant may upload to (or remove from) now."""
    return {
        m.code
        for m in case_materials(case)
        if access_policy.can_upload_material(current_user, case, m.code)
    }


@bp.get("/cases/<case_no>/correct")
@requires(Function.APPLY)
def correct(case_no: str):
    case = own_case_for(db_session(), current_user, case_no)
    if not access_policy.can_correct(current_user, case):
        raise Conflict("该办件当前不需要补正")
    return render_correction(case, dict(case.answers), {}, 200)


def render_correction(case, answers: dict, errors: dict, status: int):
    session = db_session()
    form = case_form(case)
    asked = [f["key"] for f in case.correction.get("fields", [])]
    # The materials the correction asks for, each uploaded again or declared on paper.
    asked_materials = {m["code"] for m in case.correction.get("materials", [])}
    files = material_files.visible_files(session, current_user, case)
    states = hand_in.case_states(session, case, case_materials(case), files)
    still_missing = {
        e["key"].removeprefix("material:")
        for e in acceptance.correction_materials_missing(session, case)
    }
    return render_template(
        "applicant/correct.html",
        case=case,
        form=form,
        asked=asked,
        answers=answers,
        errors=errors,
        materials=[s for s in states if s.material.code in asked_materials],
        still_missing=still_missing,
        uploadable=_uploadable(case),
        can_declare_paper=access_policy.can_declare_paper(current_user, case),
    ), status


@bp.post("/cases/<case_no>/correct")
@requires(Function.APPLY)
def resubmit(case_no: str):
    session = db_session()
    case = own_case_for(session, current_user, case_no)
    if not access_policy.can_correct(current_user, case):
        raise Conflict("该办件当前不需要补正")
    posted = answers_from_form(request.form, case.theme_version)
    # Only the listed fields are editable; everything else stays as submitted.
    asked = {f["key"] for f in case.correction.get("fields", [])}
    answers = {**case.answers, **{k: v for k, v in posted.items() if k in asked}}
    for key in asked - posted.keys():
        answers.pop(key, None)
    try:
        acceptance.resubmit(session, current_user, case_no, answers)
    except Invalid as exc:
        session.rollback()
        case = own_case_for(session, current_user, case_no)
        errors = {e.get("key", e.get("field")): e["message"] for e in exc.details or []}
        return render_correction(case, answers, errors, 422)
    session.commit()
    flash(f"补正材料已提交，办件 {case_no} 已回到综合窗口")
    return redirect(url_for("applicant.case_page", case_no=case_no))


@bp.post("/cases/<case_no>/ratings")
@requires(Function.APPLY)
def rate(case_no: str):
    """好差评 of the case or of one decided item (once, and once more after 整改)."""
    session = db_session()
    data = {**request.form.to_dict(), "tags": request.form.getlist("tags")}
    values, errors = load_or_errors(RatingInput(), data)
    case = lock_case(session, own_case_for(session, current_user, case_no).id)
    if errors:
        return render_case(case, {"rating": "请选择满意程度", **errors}, 422)
    try:
        rating = ratings.rate(
            session,
            current_user,
            case,
            values["scope"],
            values["level"],
            values["tags"],
            values["comment"],
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        case = own_case_for(session, current_user, case_no)
        return render_case(case, {"rating": exc.message}, 422 if isinstance(exc, Invalid) else 409)
    session.commit()
    if rating.is_bad and rating.rectification is not None:
        flash("感谢您的评价。牵头部门将与您联系并整改，整改答复后您可再评价一次")
    else:
        flash("感谢您的评价")
    return redirect(url_for("applicant.case_page", case_no=case_no, _anchor="ratings"))


@bp.post("/cases/<case_no>/promises")
@requires(Function.APPLY)
def sign_promise(case_no: str):
    """告知承诺制: the applicant signs an item's promise (once); the 告知承诺书 is issued."""
    session = db_session()
    values, errors = load_or_errors(PromiseInput(), request.form)
    if errors:
        case = own_case_for(session, current_user, case_no)
        return render_case(case, {"promise": "请选择要签署承诺的事项"}, 422)
    try:
        promises.sign(session, current_user, case_no, values["item"])
    except (Invalid, Conflict) as exc:
        session.rollback()
        case = own_case_for(session, current_user, case_no)
        return render_case(case, {"promise": exc.message}, 422 if isinstance(exc, Invalid) else 409)
    session.commit()
    flash("告知承诺书已签署，审批部门可据此当场作出决定")
    return redirect(url_for("applicant.case_page", case_no=case_no, _anchor="promises"))


@bp.post("/cases/<case_no>/withdraw")
@requires(Function.APPLY)
def withdraw(case_no: str):
    session = db_session()
    values, errors = load_or_errors(WithdrawInput(), request.form)
    if errors:
        raise Invalid("撤回原因不超过 200 字", details=errors)
    lifecycle.withdraw(session, current_user, case_no, values["reason"])
    session.commit()
    flash(f"办件 {case_no} 已撤回")
    return redirect(url_for("applicant.case_page", case_no=case_no))


@bp.get("/licences")
@requires(Function.APPLY)
def licences():
    """证照夹: the e-licences the account holds, its own and its parties' (a company it
    represents), each with its status and the case it came from."""
    session = db_session()
    return render_template("applicant/licences.html", entries=wallet.entries(session, current_user))


@bp.get("/licences/<int:licence_id>")
@requires(Function.APPLY)
def licence(licence_id: int):
    """The licence itself, to print or save as PDF: with its check code and the QR code of
    the public check."""
    session = db_session()
    lic = wallet.licence_for(session, current_user, licence_id)
    url = wallet.verify_url(lic.number)
    return render_template(
        "applicant/licence.html",
        lic=lic,
        holder=wallet.holder_name(lic),
        verify_url=url,
        qr=qr_svg(url, "扫码核验"),
        document=licence_document.document_of(session, lic),
        revoked_because=revocation.reason_of(session, lic),
    )


@bp.get("/licences/<int:licence_id>/pdf")
@requires(Function.APPLY)
def licence_pdf(licence_id: int):
    """下载PDF: the licence's instrument (issued once; for a licence granted before licences
    had one, issued now, under the case's lock so two downloads make one)."""
    session = db_session()
    lic = wallet.licence_for(session, current_user, licence_id)
    if not lic.valid:
        raise Conflict("该电子证照已撤销，不再提供下载；可在“证照核验”查询撤销情况")
    document = licence_document.document_of(session, lic)
    if document is None:
        lock_case(session, lic.case_id)
        document = licence_document.ensure_document(session, current_user, lic)
        session.commit()
    response = Response(render_pdf(document.html), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{document.number}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
