"""帮办代办: a front-desk clerk or a 帮代办员 submits the one form for a person or company.

Two ways, told apart in the record (`cases.assistance`, the audit event, the receipt):

- **帮办** (help): the person (or the company's representative) is present; staff fill in
  and submit with them. The consent given in person is recorded.
- **代办** (proxy): staff act on a signed 授权委托书, which is attached to the case as a
  file (PDF/PNG/JPEG, checked by content like every material) — no letter, no 代办.

The party is identified by 居民身份证号 or 统一社会信用代码 (checked by GB 11643 / GB 32100).
If the party has an account (a real-name person; a company's 法定代表人 or 经办人), the
case is that account's own — they follow it, correct it, withdraw it and rate it as if they
had submitted it; otherwise the staff member who submitted holds it, and the party follows
it by case number and query code (办件查询) and at the window. Either way the case records
who acted (`assisted_by_id`), how (`assistance`) and where (`submitted_point_id`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import exceptions as stdnum_errors

from forms import MaterialRequirement
from forms.identifiers import validate_credit_code, validate_resident_id
from forms.masking import mask_id_number, mask_mobile
from webapp import access_policy
from webapp.access_policy import Function
from webapp.accounts.models import User
from webapp.audit import trail
from webapp.audit.models import AuditEvent
from webapp.cases import lifecycle, submissions
from webapp.cases.case_forms import materials_to_hand_in, selection_materials
from webapp.cases.models import Case
from webapp.domain_errors import Forbidden, Invalid, NotFound
from webapp.instruments import case_instruments
from webapp.licences import sources
from webapp.materials import files as material_files
from webapp.materials import hand_in
from webapp.parties import case_parties
from webapp.parties.models import Capacity, Party, PartyAccount, PartyKind
from webapp.service_network.models import ServicePoint
from webapp.themes import theme_forms
from webapp.themes.lookup import latest_version
from webapp.themes.models import Theme

# The catalog's 授权委托书 (委托代理人办理时提供), asked by many items.
CATALOG_PROXY_LETTER = "CL-SQWTS"
# The 授权委托书 of a case whose items do not ask for one, under a code no catalog item uses.
PROXY_LETTER = MaterialRequirement(
    code="PROXY-LETTER",
    name="授权委托书",
    original_or_copy="原件",
    copies=1,
    required=True,
    tolerance=False,
    asked_by=(),
)


class Assistance(enum.StrEnum):
    HELP = "help"
    PROXY = "proxy"

    @property
    def label(self) -> str:
        return {"help": "帮办", "proxy": "代办"}[self.value]


@dataclass(frozen=True)
class Principal:
    """The party staff act for."""

    kind: PartyKind
    number: str
    name: str
    mobile: str | None


@dataclass(frozen=True)
class ProxyLetter:
    filename: str
    data: bytes


def check_principal(kind: str, number: str, name: str, mobile: str | None) -> Principal:
    """The party as typed at the window, its number checked (Invalid names the field)."""
    number = (number or "").strip().upper()
    try:
        if kind == PartyKind.PERSON:
            number = validate_resident_id(number)
        else:
            number = validate_credit_code(number)
    except stdnum_errors.ValidationError:
        message = "身份证号码有误" if kind == PartyKind.PERSON else "统一社会信用代码有误"
        raise Invalid(message, details=[{"field": "party_number", "message": message}]) from None
    return Principal(PartyKind(kind), number, name.strip(), (mobile or "").strip() or None)


def owner_account(session: Session, principal: Principal) -> User | None:
    """The account acting for the party: the person's own (real-name) account, or the
    company's 法定代表人's (else 经办人's); None when the party has none."""
    kind = principal.kind.value
    party = session.scalars(
        select(Party).where(Party.kind == kind, Party.number == principal.number)
    ).one_or_none()
    if party is None:
        return None
    wanted = (
        [Capacity.SELF]
        if principal.kind == PartyKind.PERSON
        else [Capacity.LEGAL_REP, Capacity.AGENT]
    )
    for capacity in wanted:
        link = session.scalars(
            select(PartyAccount)
            .where(PartyAccount.party_id == party.id, PartyAccount.capacity == capacity.value)
            .order_by(PartyAccount.id)
        ).first()
        if link is not None:
            user = session.get(User, link.user_id)
            if user is not None and user.active:
                return user
    return None


def submit_for(
    session: Session,
    actor: User,
    theme: Theme,
    answers: dict,
    *,
    mode: Assistance,
    principal: Principal,
    consent: bool,
    letter: ProxyLetter | None,
    collection_point: ServicePoint | None = None,
) -> Case:
    """Submit `answers` for `principal`: the case, its parties, the letter (代办), the paper
    declared at the window, the receipt naming the point — or Invalid with every problem."""
    if not access_policy.may_use(actor, Function.ASSIST):
        raise Forbidden("只有综合窗口人员和帮代办员可以帮办代办")
    point = actor.service_point()
    if point is None:
        raise Forbidden("您尚未被指派到服务点，不能帮办代办；请联系管理员")
    problems = []
    if not consent:
        message = (
            "请确认当事人本人在场并同意由工作人员帮办"
            if mode == Assistance.HELP
            else "请确认已核验授权委托书及委托人、受托人身份"
        )
        problems.append({"key": "consent", "message": message})
    if mode == Assistance.PROXY and letter is None:
        problems.append({"key": "proxy_letter", "message": "代办须上传委托人签署的授权委托书"})
    problems += _matches_form(principal, answers)
    answers, on_paper = hand_in.split_declarations(answers)
    owner = owner_account(session, principal) or actor
    problems += _missing_materials(session, owner, theme, answers, on_paper)
    if problems:
        # The form's own errors come with them, all at once.
        _, form_errors = theme_forms.check_application(_version(session, theme), answers)
        raise Invalid("帮办代办信息或申请表有误，请修改后再提交", details=[*form_errors, *problems])

    def mark(case: Case) -> None:
        case.assisted_by_id = actor.id
        case.assistance = mode.value
        case.submitted_point_id = point.id
        case.collection_point_id = collection_point.id if collection_point else point.id

    case = lifecycle.open_case(session, actor, owner, theme, answers, prepare=mark)
    party = (
        case_parties.person(session, principal.number, principal.name)
        if principal.kind == PartyKind.PERSON
        else case_parties.company(session, principal.number, principal.name)
    )
    case_parties.add_to_case(session, case, party, "applicant", principal.mobile)
    letter_row = None
    if letter is not None:
        # The catalog's own 授权委托书 when the case's items ask for it (its departments
        # then see it with their materials), else kept under a code of its own.
        material = materials_to_hand_in(case).get(CATALOG_PROXY_LETTER, PROXY_LETTER)
        letter_row = material_files.attach_for_party(
            session, actor, case, material, letter.filename, letter.data
        )
    trail.record(
        session,
        actor,
        "case.assisted",
        case=case,
        after={
            "mode": mode.value,
            "mode_label": mode.label,
            "party_kind": principal.kind.value,
            "party": principal.name,
            "number": mask_id_number(principal.number),
            "mobile": mask_mobile(principal.mobile) if principal.mobile else None,
            "consent": True,
            "proxy_letter": letter_row.sha256[:16] if letter_row else None,
            "point": point.code,
            "owner": "party_account" if owner is not actor else "staff",
        },
    )
    hand_in.declare_paper(session, actor, case, on_paper, case.submitted_at)
    # The paper is in the staff member's hands: received here, at the point it was handed in
    # (the 流转单 at 受理 carries it on from this point).
    hand_in.record_paper_received(session, actor, case, None, case.submitted_at)
    case_instruments.issue_receipt(
        session,
        actor,
        case,
        applicant_name=principal.name,
        received_by=f"{point.name} {actor.display_name}（{mode.label}）",
    )
    return case


def _version(session: Session, theme: Theme):
    version = latest_version(session, theme)
    if version is None:
        raise NotFound("该主题尚未发布，暂不能申请")
    return version


def _matches_form(principal: Principal, answers: dict) -> list[dict]:
    """The form's applicant must be the party staff act for (not someone else's case)."""
    key = "applicant.id_number" if principal.kind == PartyKind.PERSON else "enterprise.uscc"
    given = str(answers.get(key) or "").strip().upper()
    if given and given != principal.number:
        return [{"key": key, "message": "与帮办代办的当事人证件号码不一致"}]
    return []


def _missing_materials(session, owner, theme, answers, on_paper) -> list[dict]:
    version = _version(session, theme)
    decision = theme_forms.decide_items(version, answers)
    if decision.errors:
        return []
    materials = selection_materials(version, decision.selected, sources.holdings(session, owner))
    return hand_in.missing_at_submission(materials, set(), on_paper)


def case_submitted_with(session: Session, actor: User, token: str | None) -> Case | None:
    """The case an earlier post of the same form made (back button, second click)."""
    if not token:
        return None
    session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    recent = (
        select(Case.id)
        .where(Case.assisted_by_id == actor.id)
        .order_by(Case.id.desc())
        .limit(submissions.RECENT_CASES)
    )
    stmt = select(AuditEvent).where(
        AuditEvent.case_id.in_(recent), AuditEvent.action == submissions.SUBMISSION_EVENT
    )
    for event in session.scalars(stmt):
        if (event.after or {}).get("token") == token:
            return session.get(Case, event.case_id)
    return None


def assisted_cases(session: Session, actor: User, limit: int = 100) -> list[Case]:
    """The cases `actor` submitted for others, newest first."""
    stmt = select(Case).where(Case.assisted_by_id == actor.id).order_by(Case.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def letter_of(session: Session, case: Case):
    """The 授权委托书 file of a 代办 case, or None."""
    codes = (PROXY_LETTER.code, CATALOG_PROXY_LETTER)
    uploaded_by = case.assisted_by_id
    return next(
        (
            f
            for f in material_files.files_of(session, case)
            if f.material_code in codes and f.uploaded_by_id == uploaded_by
        ),
        None,
    )
