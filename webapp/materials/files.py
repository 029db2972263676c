"""Material files of a case: the applicant hands them in, clerks preview and download them.

What a file *is* is decided from its first bytes, never from its name or the browser's
claim: only PDF, PNG and JPEG are taken (what service halls scan and print). Who may open
which file is the access policy's answer (an approver: the materials their items ask for).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from webapp import access_policy
from webapp.accounts.models import User
from webapp.audit import trail
from webapp.cases.case_forms import case_materials, materials_to_hand_in
from webapp.cases.locking import lock_case
from webapp.cases.models import Case
from webapp.clock import now
from webapp.domain_errors import Conflict, Invalid, NotFound
from webapp.materials.models import MaterialBlob, MaterialFile

SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
MAX_FILES_PER_MATERIAL = 5
MAX_FILE_BYTES = 5 * 1024 * 1024


def sniff(data: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES if data.startswith(magic)), None)


def upload(
    session: Session, applicant: User, case: Case, material_code: str, filename: str, data: bytes
) -> MaterialFile:
    case = lock_case(session, case.id)
    if not access_policy.is_own_case(applicant, case):
        raise NotFound("办件不存在")
    if not access_policy.can_upload(applicant, case):
        raise Conflict("办件已受理，材料不能再更改；如需补充请联系综合窗口")
    material = materials_to_hand_in(case).get(material_code)
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
        raise Conflict(f"“{material.name}”最多上传 {MAX_FILES_PER_MATERIAL} 个文件")
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
    trail.record(
        session,
        applicant,
        "material.uploaded",
        case=case,
        # Not the file name: applicants often name scans after their 身份证号.
        after={"material": material.name, "size": row.size, "sha256": digest[:16]},
    )
    return row


def remove(session: Session, applicant: User, file_id: int) -> Case:
    row = session.get(MaterialFile, file_id)
    if row is None:
        raise NotFound("文件不存在")
    case = lock_case(session, row.case_id)
    # Read again under the lock: the same file removed by a request we waited for is gone.
    row = session.get(MaterialFile, file_id, populate_existing=True)
    if row is None or not access_policy.is_own_case(applicant, case):
        raise NotFound("文件不存在")
    if not access_policy.can_upload(applicant, case):
        raise Conflict("办件已受理，材料不能再更改")
    trail.record(
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
    asked_by = {m.code: m.asked_by for m in case_materials(case)}
    return [
        f
        for f in files_of(session, case)
        if access_policy.can_see_material(user, case, asked_by.get(f.material_code, ()))
    ]


def open_file(session: Session, user: User, file_id: int) -> tuple[MaterialFile, bytes]:
    """The file and its bytes, if `user` may see it (404 otherwise: nothing is revealed)."""
    row = session.get(MaterialFile, file_id)
    if row is None:
        raise NotFound("文件不存在")
    case = session.get(Case, row.case_id)
    asked_by = next((m.asked_by for m in case_materials(case) if m.code == row.material_code), ())
    if not access_policy.can_see_case(user, case) or not access_policy.can_see_material(
        user, case, asked_by
    ):
        raise NotFound("文件不存在")
    blob = session.scalars(
        select(MaterialBlob).where(MaterialBlob.sha256 == row.sha256).options(undefer("*"))
    ).one()
    return row, blob.data


def _display_name(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:200] or "未命名文件"
