"""How each material of the one set is handed in, and what is still missing.

A material the applicant must hand in (not exempt) is, at any moment, one or more of:
uploaded (files), declared on paper by the applicant (窗口提交纸质件), received on paper by
the front desk, or accepted missing (容缺, with a promised date). Two rules read these:

- **submission**: every required material is uploaded or declared on paper;
- **acceptance (受理)**: every required material is uploaded, received on paper, or
  registered as 容缺 — the front desk never accepts a case with a material simply absent.

The applicant's declarations travel with the answers under one key, `materials.on_paper`
(the one form's checkboxes, a draft, and the API's `answers` alike), so a sample
application in `processes/themes/*/sample-application.yaml` is a complete submission.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms import MaterialRequirement
from webapp import access_policy
from webapp.accounts.models import User
from webapp.audit import trail
from webapp.cases.case_forms import materials_to_hand_in
from webapp.cases.locking import lock_case
from webapp.cases.models import Case
from webapp.clock import now
from webapp.domain_errors import Conflict, Invalid, NotFound
from webapp.front_desk.models import MaterialGap
from webapp.materials.models import MaterialFile, PaperMaterial

PAPER_KEY = "materials.on_paper"
MAX_CODE_CHARS = 64


def paper_codes(value) -> list[str]:
    """The declared material codes as given (a list of codes), deduplicated, in order."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, str) and 0 < len(v) <= MAX_CODE_CHARS for v in value
    ):
        raise Invalid(
            "窗口提交纸质件的声明格式不正确",
            details=[{"key": PAPER_KEY, "message": "应为材料编码的列表"}],
        )
    return list(dict.fromkeys(value))


def split_declarations(answers: Mapping) -> tuple[dict, list[str]]:
    """(the answers without the declarations, the declared codes)."""
    rest = {k: v for k, v in answers.items() if k != PAPER_KEY}
    return rest, paper_codes(answers.get(PAPER_KEY))


def missing_at_submission(
    materials: Iterable[MaterialRequirement], uploaded: set[str], on_paper: Iterable[str]
) -> list[dict]:
    """One error per required material neither uploaded nor declared on paper."""
    to_hand_in = {m.code: m for m in materials if not m.exempt}
    paper = set(on_paper)
    return [
        {
            "key": f"material:{m.code}",
            "message": f"请上传“{m.name}”，或勾选“窗口提交纸质件”",
        }
        for m in to_hand_in.values()
        if m.required and m.code not in uploaded and m.code not in paper
    ]


@dataclass(frozen=True)
class MaterialState:
    """One material of a case as the pages show it."""

    material: MaterialRequirement
    files: tuple[MaterialFile, ...]
    paper: PaperMaterial | None
    gap: MaterialGap | None

    @property
    def declared_on_paper(self) -> bool:
        return self.paper is not None and self.paper.declared_at is not None

    @property
    def received_on_paper(self) -> bool:
        return self.paper is not None and self.paper.received_at is not None

    @property
    def covered(self) -> bool:
        """Present for 受理 (see `covered`)."""
        return covered(self.material, bool(self.files), self.received_on_paper, bool(self.gap))


def covered(material: MaterialRequirement, uploaded: bool, received: bool, gap: bool) -> bool:
    """The acceptance rule for one material: exempt or optional, else uploaded, received on
    paper, or registered as 容缺."""
    return material.exempt or not material.required or uploaded or received or gap


def paper_of(session: Session, case: Case) -> dict[str, PaperMaterial]:
    stmt = select(PaperMaterial).where(PaperMaterial.case_id == case.id)
    return {p.material_code: p for p in session.scalars(stmt)}


def case_states(
    session: Session, case: Case, materials: Iterable[MaterialRequirement], files
) -> list[MaterialState]:
    """The state of each of `materials` (those the viewer may see) with `files` (theirs)."""
    paper = paper_of(session, case)
    gaps = {g.material_code: g for g in case.gaps}
    return [
        MaterialState(
            material=m,
            files=tuple(f for f in files if f.material_code == m.code),
            paper=paper.get(m.code),
            gap=gaps.get(m.code),
        )
        for m in materials
    ]


def missing_for_acceptance(session: Session, case: Case) -> list[MaterialRequirement]:
    """Required materials that are neither uploaded, received on paper nor 容缺."""
    stmt = select(MaterialFile.material_code).where(MaterialFile.case_id == case.id)
    uploaded = set(session.scalars(stmt))
    received = {c for c, p in paper_of(session, case).items() if p.received_at is not None}
    gaps = {g.material_code for g in case.gaps}
    return [
        m
        for m in materials_to_hand_in(case).values()
        if not covered(m, m.code in uploaded, m.code in received, m.code in gaps)
    ]


def declare_paper(
    session: Session, applicant: User, case: Case, codes: Iterable[str], at: dt.datetime
) -> None:
    """The applicant will bring these materials on paper (at submission or in 补正).
    Codes of materials this case does not ask for are not kept: changed guidance answers
    can leave a declaration behind, as they can leave a file."""
    materials = materials_to_hand_in(case)
    existing = paper_of(session, case)
    for code in (c for c in codes if c in materials):
        row = _paper_row(session, case, existing, materials[code])
        if row.declared_at is None:
            row.declared_at = at
            trail.record(
                session, applicant, "material.paper_declared", case=case,
                after={"material": row.material_name},
            )  # fmt: skip
    session.flush()


def _paper_row(
    session: Session, case: Case, existing: dict[str, PaperMaterial], material
) -> PaperMaterial:
    """The case's paper record of `material`, created (unflushed) when there is none yet."""
    row = existing.get(material.code)
    if row is None:
        row = PaperMaterial(
            case_id=case.id, material_code=material.code, material_name=material.name
        )
        session.add(row)
        existing[material.code] = row
    return row


def set_paper_declaration(
    session: Session, applicant: User, case: Case, code: str, on_paper: bool
) -> None:
    """The case page's 窗口提交纸质件 switch for one material (before 受理, or in 补正)."""
    case = lock_case(session, case.id)
    if not access_policy.is_own_case(applicant, case):
        raise NotFound("办件不存在")
    if not access_policy.can_declare_paper(applicant, case):
        raise Conflict("办件已受理，不能再更改材料的提交方式")
    if code not in materials_to_hand_in(case):
        raise Invalid(
            "该材料无需提交", details=[{"field": f"material:{code}", "message": "无需提交"}]
        )
    if on_paper:
        declare_paper(session, applicant, case, [code], now())
    else:
        withdraw_paper(session, applicant, case, code)


def withdraw_paper(session: Session, applicant: User, case: Case, code: str) -> None:
    """The applicant uploads instead after all: the declaration goes (a receipt stays)."""
    row = paper_of(session, case).get(code)
    if row is None or row.declared_at is None or row.received_at is not None:
        return
    trail.record(
        session, applicant, "material.paper_withdrawn", case=case,
        before={"material": row.material_name},
    )  # fmt: skip
    session.delete(row)
    session.flush()


def forget_declarations(session: Session, case: Case, codes: Iterable[str]) -> None:
    """补正 asks for these materials again: declarations not yet received are dropped."""
    paper = paper_of(session, case)
    for code in codes:
        row = paper.get(code)
        if row is not None and row.received_at is None:
            session.delete(row)
    session.flush()


def record_paper_received(
    session: Session, actor: User, case: Case, codes: list[str] | None, at: dt.datetime
) -> list[PaperMaterial]:
    """The front desk checked these paper materials at the window. `None` means every
    material the applicant declared on paper (the usual 受理: the paper is on the desk)."""
    materials = materials_to_hand_in(case)
    existing = paper_of(session, case)
    if codes is None:
        codes = [c for c, p in existing.items() if p.declared_at and p.received_at is None]
    unknown = [c for c in codes if c not in materials]
    if unknown:
        raise Invalid(
            "核收的纸质材料不在本办件的材料清单中",
            details=[{"field": f"material:{c}", "message": "不在材料清单中"} for c in unknown],
        )
    received = []
    for code in dict.fromkeys(codes):
        row = _paper_row(session, case, existing, materials[code])
        if row.received_at is None:
            row.received_at = at
            row.received_by_id = actor.id
            received.append(row)
    session.flush()
    for row in received:
        trail.record(
            session, actor, "material.paper_received", case=case,
            after={"material": row.material_name},
        )  # fmt: skip
    return received
