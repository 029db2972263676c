"""Material files: the applicant uploads while filling the one form (kept with the draft),
before acceptance, during 补正 and for a 容缺 material; declares a material 窗口提交纸质件;
whoever may see the case, and for approvers the material, previews or downloads."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_login import current_user

from webapp import access_policy
from webapp.access_policy import Function
from webapp.applications import drafts
from webapp.cases.case_forms import selection_materials
from webapp.cases.lookup import own_case_for
from webapp.db import db_session
from webapp.domain_errors import Invalid
from webapp.licences import sources
from webapp.materials import files as material_files
from webapp.materials import hand_in
from webapp.themes import theme_forms

# The applicant's pages render the form, case and 补正 pages; uploads come back to them.
from . import applicant as applicant_views
from .guards import requires
from .inputs import (
    DraftMaterialInput,
    MaterialUploadInput,
    PaperDeclarationInput,
    load_or_errors,
)

bp = Blueprint("materials", __name__)


@bp.post("/applicant/cases/<case_no>/materials")
@requires(Function.APPLY)
def upload(case_no: str):
    session = db_session()
    case = own_case_for(session, current_user, case_no)
    values, errors = load_or_errors(MaterialUploadInput(), request.form)
    upload = request.files.get("file")
    if errors or upload is None or not upload.filename:
        code = (values or {}).get("material", "")
        raise Invalid(
            "请选择材料和文件", details=[{"field": f"material:{code}", "message": "请选择文件"}]
        )
    data = _read(upload)
    try:
        row = material_files.upload(
            session, current_user, case, values["material"], upload.filename or "", data
        )
    except Invalid as exc:
        # Shown next to the material's file input, on the page the applicant came from.
        session.rollback()
        return _render_back(case_no, values["back"], _by_field(exc), 422)
    session.commit()
    flash(f"已上传：{row.filename}")
    return _redirect_back(case_no, values["back"])


@bp.post("/applicant/materials/<int:file_id>/delete")
@requires(Function.APPLY)
def remove(file_id: int):
    session = db_session()
    case = material_files.remove(session, current_user, file_id)
    session.commit()
    flash("文件已删除")
    return redirect(url_for("applicant.case_page", case_no=case.case_no) + "#materials")


@bp.post("/applicant/cases/<case_no>/materials/paper")
@requires(Function.APPLY)
def declare_paper(case_no: str):
    """窗口提交纸质件 for one material, or the declaration withdrawn (before 受理)."""
    session = db_session()
    case = own_case_for(session, current_user, case_no)
    values, errors = load_or_errors(PaperDeclarationInput(), request.form)
    if errors:
        raise Invalid("请选择材料", details=errors)
    hand_in.set_paper_declaration(
        session, current_user, case, values["material"], values["on_paper"]
    )
    session.commit()
    flash("已声明窗口提交纸质件" if values["on_paper"] else "已取消纸质件声明")
    return _redirect_back(case_no, values["back"])


@bp.post("/applicant/apply/<code>/materials")
@requires(Function.APPLY)
def draft_materials(code: str):
    """The one form's 上传 / 删除: the answers are kept as the draft, and every file chosen
    in the form is attached to it (or the named file removed); back to the form."""
    session = db_session()
    theme, version = applicant_views.version_or_404(code)
    answers = applicant_views.answers_from_form(request.form, version)
    values, errors = load_or_errors(DraftMaterialInput(), request.form)
    if errors:
        raise Invalid("请求无效", details=errors)
    chosen = [
        (name.removeprefix("file."), upload)
        for name, upload in request.files.items(multi=True)
        if name.startswith("file.") and upload.filename
    ]
    try:
        draft = drafts.save_draft(session, current_user, theme, answers)
        if values["remove"] is not None:
            material_files.remove_from_draft(session, current_user, draft, values["remove"])
        selected = theme_forms.decide_items(version, answers).selected
        held = sources.holdings(session, current_user)
        asked = {m.code: m for m in selection_materials(version, selected, held) if not m.exempt}
        stored = [
            material_files.upload_to_draft(
                session,
                current_user,
                draft,
                asked,
                material,
                upload.filename,
                _read(upload),
            )
            for material, upload in chosen
        ]
    except Invalid as exc:
        session.rollback()
        return applicant_views.render_form(theme, version, answers, _by_field(exc), 422)
    if not stored and values["upload"] and values["remove"] is None:
        session.rollback()
        errors = {f"material:{values['upload']}": "请先选择文件"}
        return applicant_views.render_form(theme, version, answers, errors, 422)
    session.commit()
    if stored:
        flash("已上传：" + "、".join(row.filename for row in stored) + "（已随草稿保存）")
    elif values["remove"] is not None:
        flash("文件已删除")
    return redirect(url_for("applicant.continue_draft", draft_id=draft.id) + "#materials")


def _read(upload) -> bytes:
    # MAX_CONTENT_LENGTH has already refused anything larger than the request limit (413).
    try:
        return upload.read(material_files.MAX_FILE_BYTES + 1)
    finally:
        upload.close()  # werkzeug spools large parts to a temporary file


def _by_field(exc: Invalid) -> dict:
    return {
        d.get("field") or d.get("key"): d["message"] for d in exc.details or [] if "message" in d
    } or {"form": exc.message}


def _redirect_back(case_no: str, back: str):
    if back == "correct":
        return redirect(url_for("applicant.correct", case_no=case_no) + "#correction-materials")
    return redirect(url_for("applicant.case_page", case_no=case_no) + "#materials")


def _render_back(case_no: str, back: str, errors: dict, status: int):
    case = own_case_for(db_session(), current_user, case_no)
    if back == "correct" and access_policy.can_correct(current_user, case):
        return applicant_views.render_correction(case, dict(case.answers), errors, status)
    return applicant_views.render_case(case, errors, status)


@bp.get("/materials/<int:file_id>")
@requires(Function.ANY_ACCOUNT)
def show(file_id: int):
    row, data = material_files.open_file(db_session(), current_user, file_id)
    disposition = "attachment" if request.args.get("download") else "inline"
    response = Response(data, mimetype=row.content_type)
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"material-{row.id}\"; filename*=UTF-8''{quote(row.filename)}"
    )
    # A file is shown, never run: no sniffing, no scripts, no same-origin access.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response.headers["Cache-Control"] = "private, no-store"
    return response
