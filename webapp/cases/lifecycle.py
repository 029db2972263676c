"""A case's life: submit → 综合受理 → 后台审批 (parallel) → 统一出件 → 办结."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.cases import start_case
from engine.problems import CaseStepError
from engine.working_calendar import Card
from forms.party_roles import JOINT_ROLES
from webapp import access_policy
from webapp.accounts.models import Role, User
from webapp.audit import chain, trail
from webapp.cases.engine_state import spec_for
from webapp.cases.locking import lock_case
from webapp.cases.lookup import own_case_for
from webapp.cases.models import Case, CaseStatus, TaskStatus
from webapp.cases.numbers import next_case_number
from webapp.cases.public_query import new_query_code
from webapp.cases.steps import engine_step
from webapp.clock import now, today
from webapp.domain_errors import Conflict, Forbidden, Invalid, NotFound
from webapp.licences import sources
from webapp.notifications import outbox
from webapp.parties import case_parties
from webapp.parties.models import Capacity, PartyAccount
from webapp.themes import theme_forms
from webapp.themes.lookup import latest_version
from webapp.themes.models import Theme


def submit_application(session: Session, applicant: User, theme: Theme, answers: dict) -> Case:
    """Validate the one form, start the case on the newest version, hand it to the front desk."""
    if not applicant.has_role(Role.APPLICANT):
        raise Forbidden("只有申请人可以提交申请")
    return open_case(session, applicant, applicant, theme, answers)


def open_case(
    session: Session,
    actor: User,
    owner: User,
    theme: Theme,
    answers: dict,
    *,
    prepare=None,
) -> Case:
    """The case of a checked one form, owned by `owner` (whose "own case" it is), submitted
    by `actor` (the owner, or staff submitting for them: 帮办代办). `prepare(case)` runs
    once the case has its id and before its parties, messages and first step are recorded
    (帮办代办 marks who acted for whom there)."""
    version = latest_version(session, theme)
    if version is None:
        raise NotFound("该主题尚未发布，暂不能申请")
    storable, errors = theme_forms.check_application(version, answers)
    if errors:
        raise Invalid("申请表有误，请修改后再提交", details=errors)
    # The guidance table decides the items once; the gateways read the same decision.
    decision = theme_forms.decide_items(version, storable)
    spec, subprocess_specs = spec_for(version)
    try:
        workflow = start_case(spec, subprocess_specs, decision.variables)
    except CaseStepError as exc:
        raise Conflict(f"流程无法启动：{exc}") from None
    at = now()
    case = Case(
        case_no=next_case_number(session, today(at)),
        query_code=new_query_code(),
        theme_version=version,
        applicant_id=owner.id,
        status=CaseStatus.SUBMITTED,
        answers=storable,
        selected_items=list(decision.selected),
        state={},
        submitted_at=at,
        pauses=[],
        card=Card.NONE,
        licence_holdings=sources.holdings(session, owner).to_dict(),
        # A new case has none yet: known empty, never looked up.
        tasks=[],
        gaps=[],
    )
    session.add(case)
    session.flush()
    chain.start_chain(session, chain.case_chain(case.id))
    if prepare is not None:
        prepare(case)
    trail.record(
        session,
        actor,
        "case.submitted",
        case=case,
        after={"status": case.status, "case_no": case.case_no, "theme_version": version.number},
    )
    with engine_step(session, case, at, started=workflow):
        pass  # started above: store it and open its first tasks
    recorded = case_parties.record_application_parties(session, case, owner)
    outbox.notify_case(session, "received", case)
    _ask_other_sides(session, case, recorded)
    return case


def _ask_other_sides(session: Session, case: Case, recorded) -> None:
    """共同申请: each named person of a side not yet confirmed, who has an account that may
    see the case, is asked to confirm it (one who registers later finds it in their list)."""
    for row in recorded:
        if row.role not in JOINT_ROLES or row.confirmed_at is not None:
            continue
        for link in session.scalars(
            select(PartyAccount).where(
                PartyAccount.party_id == row.party_id, PartyAccount.capacity == Capacity.SELF
            )
        ):
            user = session.get(User, link.user_id)
            if user is not None and access_policy.is_case_party(user, case):
                outbox.notify_user(
                    session, "confirmation_requested", user, case=case, role=row.role_label
                )


def withdraw(session: Session, applicant: User, case_no: str, reason: str) -> Case:
    """撤回: the applicant takes the application back while it is not yet accepted."""
    case = lock_case(session, own_case_for(session, applicant, case_no).id)
    if not access_policy.can_withdraw(applicant, case):
        raise Conflict("办件已受理或已结束，不能撤回")
    at = now()
    before = case.status
    with engine_step(session, case, at) as step:
        step.cancel()
        case.status = CaseStatus.WITHDRAWN
        case.end_reason = reason or "申请人撤回"
        case.completed_at = at
        for task in case.tasks:
            if task.status == TaskStatus.SUSPENDED:
                task.status = TaskStatus.OPEN  # so that the sync cancels it with the rest
        trail.record(
            session,
            applicant,
            "case.withdrawn",
            case=case,
            before={"case_status": before},
            after={"case_status": case.status, "reason": case.end_reason},
        )
    return case


def my_cases(session: Session, applicant: User) -> list[Case]:
    """The applicant's own cases, and those where a party they act for has a role."""
    as_party = case_parties.case_ids_visible_as_party(session, applicant)
    stmt = (
        select(Case)
        .where(or_(Case.applicant_id == applicant.id, Case.id.in_(as_party)))
        .order_by(Case.id.desc())
    )
    cases = list(session.scalars(stmt))
    return [
        c
        for c in cases
        if c.applicant_id == applicant.id or access_policy.is_case_party(applicant, c)
    ]
