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

from forms import MaterialRequirement
from webapp import access_policy
from webapp.accounts.models import User
from webapp.applications.models import ApplicationDraft
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


# Shown next to every file input, and in every refusal of a file: the limits, by name.
LIMITS_TEXT = "单个文件不能超过 5 MB，仅限 PDF、PNG、JPEG"


def upload(
    session: Session, applicant: User, case: Case, material_code: str, filename: str, data: bytes
) -> MaterialFile:
    case = lock_case(session, case.id)
    if not access_policy.is_own_case(applicant, case):
        raise NotFound("办件不存在")
    if not access_policy.can_upload_material(applicant, case, material_code):
        raise Conflict("办件已受理，材料不能再更改；如需补充请联系综合窗口")
    material = materials_to_hand_in(case).get(material_code)
    return _attach(session, applicant, case, material, filename, data)


def attach_for_party(
    session: Session,
    actor: User,
    case: Case,
    material: MaterialRequirement,
    filename: str,
    data: bytes,
) -> MaterialFile:
    """A file staff hand in with a case they submit for a party (帮办代办: the 授权委托书),
    checked like every material; the caller has checked that `actor` acts for the case."""
    return _attach(session, actor, case, material, filename, data)


def _attach(session, actor, case, material, filename: str, data: bytes) -> MaterialFile:
    """Store a checked file as `case`'s copy of `material` (None: refused by `_store`)."""
    code = material.code if material is not None else None
    existing = [f for f in files_of(session, case) if f.material_code == code]
    row = _store(session, actor, material, existing, filename, data)
    row.case_id = case.id
    session.add(row)
    session.flush()
    trail.record(
        session,
        actor,
        "material.uploaded",
        case=case,
        # Not the file name: applicants often name scans after their 身份证号.
        after={"material": material.name, "size": row.size, "sha256": row.sha256[:16]},
    )
    return row


def upload_to_draft(
    session: Session,
    applicant: User,
    draft: ApplicationDraft,
    materials: dict[str, MaterialRequirement],
    material_code: str,
    filename: str,
    data: bytes,
) -> MaterialFile:
    """A file for the applicant's draft (`materials`: what its selection asks for); it
    moves to the case when the draft is submitted (`move_to_case`)."""
    if not access_policy.is_own_draft(applicant, draft):
        raise NotFound("草稿不存在")
    existing = [f for f in draft_files(session, draft) if f.material_code == material_code]
    row = _store(session, applicant, materials.get(material_code), existing, filename, data)
    row.draft_id = draft.id
    session.add(row)
    session.flush()
    trail.record(
        session,
        applicant,
        "draft.material_uploaded",
        theme=draft.theme,
        after={"draft_id": draft.id, "material": row.material_code, "size": row.size},
    )
    return row


def _store(
    session: Session,
    applicant: User,
    material: MaterialRequirement | None,
    existing: list[MaterialFile],
    filename: str,
    data: bytes,
) -> MaterialFile:
    """Check one file for one material and keep its bytes; the caller gives it an owner."""
    if material is None:
        raise Invalid("该材料无需提交", details=[{"field": "material", "message": "无需提交"}])
    field = f"material:{material.code}"
    if not data:
        raise Invalid("文件为空", details=[{"field": field, "message": "请选择文件"}])
    if len(data) > MAX_FILE_BYTES:
        message = f"“{material.name}”的文件过大：{LIMITS_TEXT}"
        raise Invalid(message, details=[{"field": field, "message": message}])
    kind = sniff(data)
    if kind is None:
        message = f"“{material.name}”的文件类型不支持：{LIMITS_TEXT}"
        raise Invalid(message, details=[{"field": field, "message": message}])
    if len(existing) >= MAX_FILES_PER_MATERIAL:
        message = f"“{material.name}”最多上传 {MAX_FILES_PER_MATERIAL} 个文件"
        raise Conflict(message, details=[{"field": field, "message": message}])
    digest = hashlib.sha256(data).hexdigest()
    if session.get(MaterialBlob, digest) is None:
        try:
            with session.begin_nested():
                session.add(MaterialBlob(sha256=digest, data=data))
        except IntegrityError:
            pass  # the same bytes arrived at the same moment in another upload: stored once
    return MaterialFile(
        material_code=material.code,
        filename=_display_name(filename),
        content_type=kind,
        size=len(data),
        sha256=digest,
        uploaded_by_id=applicant.id,
        uploaded_at=now(),
    )


def remove(session: Session, applicant: User, file_id: int) -> Case:
    row = session.get(MaterialFile, file_id)
    if row is None or row.case_id is None:
        raise NotFound("文件不存在")
    case = lock_case(session, row.case_id)
    # Read again under the lock: the same file removed by a request we waited for is gone.
    row = session.get(MaterialFile, file_id, populate_existing=True)
    if row is None or not access_policy.is_own_case(applicant, case):
        raise NotFound("文件不存在")
    if not access_policy.can_upload_material(applicant, case, row.material_code):
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


def remove_from_draft(
    session: Session, applicant: User, draft: ApplicationDraft, file_id: int
) -> None:
    row = session.get(MaterialFile, file_id)
    if row is None or row.draft_id != draft.id or not access_policy.is_own_draft(applicant, draft):
        raise NotFound("文件不存在")
    trail.record(
        session,
        applicant,
        "draft.material_removed",
        theme=draft.theme,
        before={"draft_id": draft.id, "material": row.material_code, "size": row.size},
    )
    session.delete(row)
    session.flush()


def draft_files(session: Session, draft: ApplicationDraft) -> list[MaterialFile]:
    stmt = select(MaterialFile).where(MaterialFile.draft_id == draft.id).order_by(MaterialFile.id)
    return list(session.scalars(stmt))


def move_to_case(
    session: Session, applicant: User, draft: ApplicationDraft, case: Case
) -> list[MaterialFile]:
    """At submission the draft's files become the case's; files of materials the submitted
    selection no longer asks for are not kept (only what the application needs is)."""
    wanted = materials_to_hand_in(case)
    moved = []
    for row in draft_files(session, draft):
        if row.material_code not in wanted:
            session.delete(row)
            continue
        row.draft_id = None
        row.case_id = case.id
        moved.append(row)
    session.flush()
    for row in moved:
        trail.record(
            session,
            applicant,
            "material.uploaded",
            case=case,
            after={
                "material": wanted[row.material_code].name,
                "size": row.size,
                "sha256": row.sha256[:16],
            },
        )
    return moved


def files_of(session: Session, case: Case) -> list[MaterialFile]:
    """The case's files (a draft's are not the case's until it is submitted)."""
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
    if row.draft_id is not None:
        draft = session.get(ApplicationDraft, row.draft_id)
        if not access_policy.is_own_draft(user, draft):
            raise NotFound("文件不存在")
        return row, _bytes(session, row)
    case = session.get(Case, row.case_id)
    asked_by = next((m.asked_by for m in case_materials(case) if m.code == row.material_code), ())
    if not access_policy.can_see_case(user, case) or not access_policy.can_see_material(
        user, case, asked_by
    ):
        raise NotFound("文件不存在")
    return row, _bytes(session, row)


def _bytes(session: Session, row: MaterialFile) -> bytes:
    blob = session.scalars(
        select(MaterialBlob).where(MaterialBlob.sha256 == row.sha256).options(undefer("*"))
    ).one()
    return blob.data


def _display_name(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:200] or "未命名文件"
