"""Application drafts (草稿): save the one form at any time, continue later, submit once.

A draft is not checked beyond its shape and size, so an applicant can stop half-way with
a wrong ID number typed in; the checks run when it is submitted. Only the form's own keys
are kept (data minimisation). Answer values never go into the audit trail or the logs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forms import MaterialRequirement
from forms.field_values import CONTROL_CHARACTERS, has_control_characters
from webapp import access_policy
from webapp.access_policy import Function
from webapp.accounts.models import User
from webapp.applications.models import ApplicationDraft
from webapp.audit import trail
from webapp.cases import lifecycle
from webapp.cases.case_forms import selection_materials
from webapp.cases.models import Case
from webapp.clock import now
from webapp.domain_errors import Forbidden, Invalid, NotFound
from webapp.instruments import case_instruments
from webapp.licences import sources
from webapp.materials import files as material_files
from webapp.materials import hand_in
from webapp.materials.models import MaterialFile
from webapp.themes import theme_forms
from webapp.themes.lookup import latest_version
from webapp.themes.models import Theme, ThemeVersion

MAX_DRAFT_BYTES = 64 * 1024  # the whole draft as JSON: a full 企业开办 form is ~2 KiB
MAX_TEXT_CHARS = 2000
MAX_ROWS = 50  # rows of a group whose form sets no max_items
MAX_CHOICES = 100


def save_draft(
    session: Session, applicant: User, theme: Theme, answers: Mapping
) -> ApplicationDraft:
    """Keep `answers` as the applicant's one draft of `theme`, replacing an earlier one.

    Keys the newest version's form does not have are dropped. Raises Invalid when a value
    has the wrong shape (not text, yes/no, a list of choices or rows of text) or the draft
    is too large; nothing is checked against the fields' rules.
    """
    _check_applicant(applicant)
    version = _latest_or_404(session, theme)
    kept = draft_answers(version, answers)
    draft = draft_of(session, applicant, theme)
    if draft is None:
        draft = ApplicationDraft(applicant_id=applicant.id, theme_id=theme.id)
        _fill(draft, version, kept)
        try:
            with session.begin_nested():
                session.add(draft)
                session.flush()
        except IntegrityError:
            # The same applicant saved this theme twice at once (two tabs): update the
            # draft the other request created instead of failing.
            draft = draft_of(session, applicant, theme)
            if draft is None:
                raise
            _fill(draft, version, kept)
    else:
        _fill(draft, version, kept)
    session.flush()
    trail.record(
        session,
        applicant,
        "draft.saved",
        theme=theme,
        after={"draft_id": draft.id, "theme_version": version.number, "answered": len(kept)},
    )
    return draft


def submit(session: Session, applicant: User, theme: Theme, answers: dict) -> Case:
    """Submit the one form; the applicant's draft of the theme, if any, becomes this case,
    its material files move to the case, and the materials declared on paper (answers'
    `materials.on_paper`) are recorded. Every required material must be one or the other.

    On invalid answers or missing materials (Invalid, every problem at once) nothing
    changes: the draft and its files stay as they were last saved.
    """
    answers, on_paper = hand_in.split_declarations(answers)
    draft = draft_of(session, applicant, theme)
    missing = _missing_materials(session, applicant, theme, answers, on_paper, draft)
    try:
        case = lifecycle.submit_application(session, applicant, theme, answers)
    except Invalid as exc:
        raise Invalid(exc.message, details=[*(exc.details or []), *missing]) from None
    if missing:
        raise Invalid("申请材料未齐：请上传，或声明到窗口提交纸质件", details=missing)
    if draft is not None:
        material_files.move_to_case(session, applicant, draft, case)
        trail.record(
            session,
            applicant,
            "draft.submitted",
            theme=theme,
            after={"draft_id": draft.id, "case_no": case.case_no},
        )
        session.delete(draft)
        session.flush()
    hand_in.declare_paper(session, applicant, case, on_paper, case.submitted_at)
    # With the files and declarations in place: the receipt says what was received.
    case_instruments.issue_receipt(session, applicant, case)
    return case


def _missing_materials(session, applicant, theme, answers, on_paper, draft) -> list[dict]:
    version = latest_version(session, theme)
    if version is None:
        return []  # submit_application says why
    decision = theme_forms.decide_items(version, answers)
    if decision.errors:
        return []  # which materials are asked depends on answers still to be fixed
    uploaded = (
        {f.material_code for f in material_files.draft_files(session, draft)} if draft else set()
    )
    holdings = sources.holdings(session, applicant)
    materials = selection_materials(version, decision.selected, holdings)
    return hand_in.missing_at_submission(materials, uploaded, on_paper)


def draft_materials(
    session: Session, applicant: User, version: ThemeVersion, selected, answers: Mapping
) -> list[DraftMaterial]:
    """The materials the one form asks for now, each with the draft's files and whether
    the applicant declared it on paper — what the form's 申请材料 part shows."""
    draft = draft_of(session, applicant, version.theme)
    files = material_files.draft_files(session, draft) if draft else []
    try:
        on_paper = set(hand_in.paper_codes(answers.get(hand_in.PAPER_KEY)))
    except Invalid:
        on_paper = set()
    return [
        DraftMaterial(
            material=m,
            files=tuple(f for f in files if f.material_code == m.code),
            on_paper=m.code in on_paper,
        )
        for m in selection_materials(version, selected, sources.holdings(session, applicant))
    ]


@dataclass(frozen=True)
class DraftMaterial:
    material: MaterialRequirement
    files: tuple[MaterialFile, ...]
    on_paper: bool


def draft_of(session: Session, applicant: User, theme: Theme) -> ApplicationDraft | None:
    stmt = select(ApplicationDraft).where(
        ApplicationDraft.applicant_id == applicant.id, ApplicationDraft.theme_id == theme.id
    )
    return session.scalars(stmt).one_or_none()


def get_draft_for(session: Session, user: User, draft_id: int) -> ApplicationDraft:
    """The draft if it is `user`'s own; anyone else's is "not found" (404), never 403."""
    draft = session.get(ApplicationDraft, draft_id)
    if draft is None or draft.applicant_id != user.id:
        raise NotFound("草稿不存在")
    return draft


def my_drafts(session: Session, applicant: User) -> list[ApplicationDraft]:
    stmt = (
        select(ApplicationDraft)
        .where(ApplicationDraft.applicant_id == applicant.id)
        .order_by(ApplicationDraft.updated_at.desc(), ApplicationDraft.id.desc())
    )
    return list(session.scalars(stmt))


def draft_answers(version: ThemeVersion, answers: Mapping) -> dict[str, Any]:
    """The answers worth keeping: the form's keys only, each of a storable shape and size."""
    if not isinstance(answers, Mapping):
        raise Invalid("草稿格式不正确")
    form = theme_forms.version_form(version)
    kept: dict[str, Any] = {}
    for key, value in answers.items():
        if key == hand_in.PAPER_KEY:
            kept[key] = hand_in.paper_codes(value)  # declarations are kept with the draft
            continue
        if not isinstance(key, str) or key not in form or value is None:
            continue
        field = form.field(key)
        if field.item_fields:
            kept[key] = _rows(field, value)
        elif isinstance(value, list):
            kept[key] = _choices(field, value)
        else:
            kept[key] = _scalar(field.label, value, multiline=field.type == "text")
    size = len(json.dumps(kept, ensure_ascii=False).encode("utf-8"))
    if size > MAX_DRAFT_BYTES:
        raise Invalid(f"草稿内容过多（{size // 1024} KiB），无法保存")
    return kept


def _scalar(label: str, value: Any, *, multiline: bool = False) -> str | bool | int | float:
    if isinstance(value, bool | int | float):
        return value
    if not isinstance(value, str):
        raise Invalid(f"草稿中“{label}”的格式不正确")
    if len(value) > MAX_TEXT_CHARS:
        raise Invalid(f"草稿中“{label}”超过{MAX_TEXT_CHARS}个字符，无法保存")
    # Unchecked is not unfiltered: a control character is never kept (and PostgreSQL
    # refuses NUL in a JSON document).
    if has_control_characters(value, multiline=multiline):
        raise Invalid(f"草稿中“{label}”{CONTROL_CHARACTERS}，无法保存")
    return value


def _choices(field, value: list) -> list[str]:
    if len(value) > MAX_CHOICES or not all(isinstance(v, str) for v in value):
        raise Invalid(f"草稿中“{field.label}”的格式不正确")
    return [_scalar(field.label, v) for v in value]


def _rows(field, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise Invalid(f"草稿中“{field.label}”的格式不正确")
    # As many rows as the form allows (a draft may be complete), else MAX_ROWS.
    limit = field.constraints.max_items or MAX_ROWS
    if len(value) > limit:
        raise Invalid(f"草稿中“{field.label}”超过{limit}行，无法保存")
    subs = {s.key: s for s in field.item_fields}
    rows = []
    for row in value:
        if not isinstance(row, Mapping):
            raise Invalid(f"草稿中“{field.label}”的格式不正确")
        rows.append(
            {
                k: _scalar(f"{field.label}·{subs[k].label}", v, multiline=subs[k].type == "text")
                for k, v in row.items()
                if k in subs and v is not None
            }
        )
    return rows


def _fill(draft: ApplicationDraft, version: ThemeVersion, answers: dict) -> None:
    draft.theme_version_id = version.id
    draft.answers = answers
    draft.updated_at = now()


def _check_applicant(user: User) -> None:
    if not access_policy.may_use(user, Function.APPLY):
        raise Forbidden("只有申请人可以保存申请草稿")


def _latest_or_404(session: Session, theme: Theme) -> ThemeVersion:
    version = latest_version(session, theme)
    if version is None:
        raise NotFound("该主题尚未发布，暂不能申请")
    return version
