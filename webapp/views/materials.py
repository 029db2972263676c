"""Material files: the applicant uploads (before acceptance or during 补正); whoever may see
the case, and for approvers the material, previews or downloads."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_login import current_user

from webapp.access_policy import Function
from webapp.cases.lookup import own_case_for
from webapp.db import db_session
from webapp.domain_errors import Invalid
from webapp.materials import files as material_files

from .guards import requires
from .inputs import MaterialUploadInput, load_or_errors

bp = Blueprint("materials", __name__)


@bp.post("/applicant/cases/<case_no>/materials")
@requires(Function.APPLY)
def upload(case_no: str):
    session = db_session()
    case = own_case_for(session, current_user, case_no)
    values, errors = load_or_errors(MaterialUploadInput(), request.form)
    upload = request.files.get("file")
    if errors or upload is None:
        raise Invalid("请选择材料和文件")
    # MAX_CONTENT_LENGTH has already refused anything larger than the request limit (413).
    try:
        data = upload.read(material_files.MAX_FILE_BYTES + 1)
    finally:
        upload.close()  # werkzeug spools large parts to a temporary file
    row = material_files.upload(
        session, current_user, case, values["material"], upload.filename or "", data
    )
    session.commit()
    flash(f"已上传：{row.filename}")
    return redirect(url_for("applicant.case_page", case_no=case_no) + "#materials")


@bp.post("/applicant/materials/<int:file_id>/delete")
@requires(Function.APPLY)
def remove(file_id: int):
    session = db_session()
    case = material_files.remove(session, current_user, file_id)
    session.commit()
    flash("文件已删除")
    return redirect(url_for("applicant.case_page", case_no=case.case_no) + "#materials")


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
