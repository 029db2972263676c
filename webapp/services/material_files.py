"""Material files of a case: the applicant hands them in, clerks preview and download them.

What a file *is* is decided from its first bytes, never from its name or the browser's
claim: only PDF, PNG and JPEG are taken (what service halls scan and print). An approver
sees the files of the materials their own department's items ask for, nothing else.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from ..models import Case, CaseStatus, MaterialBlob, MaterialFile, Role, User
from . import audit
from .case_forms import case_materials
from .case_lock import lock_case
from .case_tasks import now
from .cases import get_case_for
from .errors import Conflict, Forbidden, Invalid, NotFound

SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
MAX_FILES_PER_MATERIAL = 5
MAX_FILE_BYTES = 5 * 1024 * 1024
# While the front desk has not accepted yet, or the applicant is correcting.
OPEN_FOR_UPLOAD = (CaseStatus.SUBMITTED, CaseStatus.CORRECTION)


def sniff(data: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES if data.startswith(magic)), None)


def upload(
    session: Session, applicant: User, case: Case, material_code: str, filename: str, data: bytes
) -> MaterialFile:
    case = lock_case(session, case.id)
    if case.applicant_id != applicant.id:
        raise NotFound("办件不存在")
    if case.status not in OPEN_FOR_UPLOAD:
        raise Conflict("办件已受理，材料不能再更改；如需补充请联系综合窗口")
    wanted = {m["code"]: m for m in case_materials(case) if not m.get("exempt_reason")}
    material = wanted.get(material_code)
    if material is None:
        raise Invalid("该材料无需提交", details=[{"field": "material", "message": "无需提交"}])
    if not data:
        raise Invalid("文件为空", details=[{"field": "file", "message": "请选择文件"}])
    if len(data) > MAX_FILE_BYTES:
        raise Invalid("单个文件不能超过 5 MB", details=[{"field": "file", "message": "文件过大"}])
    kind = sniff(data)
    if kind is None:
        raise Invalid(
            "只接受 PDF、PNG 或 JPEG 文件",
            details=[{"field": "file", "message": "文件类型不支持"}],
        )
    existing = [f for f in files_of(session, case) if f.material_code == material_code]
    if len(existing) >= MAX_FILES_PER_MATERIAL:
        raise Conflict(f"“{material['name']}”最多上传 {MAX_FILES_PER_MATERIAL} 个文件")
    digest = hashlib.sha256(data).hexdigest()
    if session.get(MaterialBlob, digest) is None:
        try:
            with session.begin_nested():
                session.add(MaterialBlob(sha256=digest, data=data))
        except IntegrityError:
            pass  # the same bytes arrived at the same moment in another upload: stored once

    row = MaterialFile(
        case_id=case.id,
        material_code=material_code,
        filename=_display_name(filename),
        content_type=kind,
        size=len(data),
        sha256=digest,
        uploaded_by_id=applicant.id,
        uploaded_at=now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        applicant,
        "material.uploaded",
        case=case,
        # Not the file name: applicants often name scans after their 身份证号.
        after={"material": material["name"], "size": row.size, "sha256": digest[:16]},
    )
    return row


def remove(session: Session, applicant: User, file_id: int) -> Case:
    row = session.get(MaterialFile, file_id)
    if row is None:
        raise NotFound("文件不存在")
    case = lock_case(session, row.case_id)
    if case.applicant_id != applicant.id:
        raise NotFound("文件不存在")
    if case.status not in OPEN_FOR_UPLOAD:
        raise Conflict("办件已受理，材料不能再更改")
    audit.record(
        session,
        applicant,
        "material.removed",
        case=case,
        before={"material_code": row.material_code, "size": row.size},
    )
    session.delete(row)
    session.flush()
    return case


def files_of(session: Session, case: Case) -> list[MaterialFile]:
    stmt = select(MaterialFile).where(MaterialFile.case_id == case.id).order_by(MaterialFile.id)
    return list(session.scalars(stmt))


def visible_files(session: Session, user: User, case: Case) -> list[MaterialFile]:
    """The case's files this user may open (the caller has already checked the case)."""
    files = files_of(session, case)
    if user.has_role(Role.APPROVER):
        codes = _approver_material_codes(user, case)
        files = [f for f in files if f.material_code in codes]
    return files


def open_file(session: Session, user: User, file_id: int) -> tuple[MaterialFile, bytes]:
    """The file and its bytes, if `user` may see it (404 otherwise: nothing is revealed)."""
    row = session.get(MaterialFile, file_id)
    if row is None:
        raise NotFound("文件不存在")
    case = session.get(Case, row.case_id)
    try:
        get_case_for(session, user, case.case_no)
    except (NotFound, Forbidden):
        raise NotFound("文件不存在") from None
    if user.has_role(Role.APPROVER) and row.material_code not in _approver_material_codes(
        user, case
    ):
        raise NotFound("文件不存在")
    blob = session.scalars(
        select(MaterialBlob).where(MaterialBlob.sha256 == row.sha256).options(undefer("*"))
    ).one()
    return row, blob.data


def _approver_material_codes(user: User, case: Case) -> set[str]:
    own = {t.item_code for t in case.tasks if t.department_id == user.department_id}
    return {m["code"] for m in case_materials(case) if own & set(m["asked_by"])}


def _display_name(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:200] or "未命名文件"
