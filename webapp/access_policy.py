"""The one access policy: every "may this user …" question of the app is answered here.

Views ask it before they act (and hand its answers to templates as flags), services ask it
again where they act, so a page and the API can never disagree. The rules, least privilege:

- **Applicants** see their own cases, all of their data and files, and the applicant-facing
  part of the timeline; never internal notes or who claimed what. An applicant account also
  sees, read-only, the cases where a party it acts for has a role (当事人: itself as a
  real-name person, a company it represents as 法定代表人 or 经办人) — for a person named
  in the form, only when the mobile given for them is the account's verified one — and
  confirms a joint application (共同申请) for its side.
- **Front desk** (综合窗口) clerks see every case (any window accepts any case) and all of
  its data and files, and act on their department's tasks.
- **Approvers** see a case only when one of their departments has a task in it, and of that
  case only the data and materials of their departments' items.
- A task is acted on by a clerk of its department when it is open and unclaimed, claimed by
  them, or claimed by someone who can no longer act on it (deactivated, or moved away).
- **帮代办员** (and front-desk clerks) submit for a person or company (帮办 / 代办) and see
  the cases they submitted so, as a whole; a 帮代办员 has no inbox.
- A **材料流转单** is received by an approver of the department it is addressed to.
- **Analysts** edit diagrams and guidance tables; **admins** publish and manage. Neither
  reads cases: personal data is not theirs to see.
- **Supervisors** (效能监督) see every case's progress, tasks, cards and the figures, with
  personal data masked and never the form's data, materials or internal notes; they 催办 an
  open task but act on none. **Department heads** are told of their department's red cards.
Rules answer on loaded objects; finding a case or a task and refusing with a 404 (nothing
is revealed) is the loaders' job (`cases/lookup.py`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from webapp.accounts.models import BACK_OFFICE_ROLES, CLERK_ROLES, DEFAULT_HOLDERS, Role, User
from webapp.applications.models import ApplicationDraft
from webapp.cases.models import Case, CaseStatus, CaseTask, TaskKind, TaskStatus
from webapp.licences.models import ELicence
from webapp.themes.published import published_theme


class Function(enum.StrEnum):
    """What a part of the app is for; each view names the one it serves."""

    APPLY = "apply"  # guidance, the one form, drafts, one's own cases
    WORKBENCH = "workbench"  # inbox, tasks and the cases of one's departments
    MODEL = "model"  # theme diagrams and guidance tables
    PUBLISH = "publish"  # publishing versions, figures
    FRONT_DESK = "front_desk"  # window-only acts (容缺材料 received)
    REVOKE_LICENCE = "revoke_licence"  # 撤销 of an e-licence by the department that issued it
    ANY_ACCOUNT = "any_account"  # whatever any logged-in person may use (their own data)
    ASSIST = "assist"  # 帮办代办: submitting for a person or company at a service point
    NETWORK = "network"  # the service network: points, and who works at which
    SUPERVISE = "supervise"  # 效能监督: dashboard, monthly report, case progress, 催办


FUNCTION_ROLES: dict[Function, frozenset[Role]] = {
    Function.APPLY: frozenset({Role.APPLICANT}),
    Function.WORKBENCH: frozenset(CLERK_ROLES),
    Function.MODEL: frozenset({Role.ANALYST, Role.ADMIN}),
    Function.PUBLISH: frozenset({Role.ADMIN}),
    Function.FRONT_DESK: frozenset({Role.FRONT_DESK}),
    Function.REVOKE_LICENCE: frozenset({Role.APPROVER}),
    Function.ANY_ACCOUNT: frozenset(Role),
    Function.ASSIST: frozenset({Role.FRONT_DESK, Role.ASSISTANT}),
    Function.NETWORK: frozenset({Role.ADMIN}),
    Function.SUPERVISE: frozenset({Role.SUPERVISOR}),
}

# Workbench events an applicant does not see: who claimed or handed on what, internal notes.
INTERNAL_EVENTS = frozenset(
    {"task.claimed", "task.unclaimed", "task.assigned", "comment.added", "case.submission_token",
     # The office's deliberation: each level's opinion, a 延期 asked or refused internally.
     "task.level_submitted", "task.level_returned", "extension.requested",
     "extension.rejected"}
)  # fmt: skip
# 效能监督 (yellow/red cards), timers and cancelled tasks: the office's own bookkeeping.
SUPERVISION_PREFIXES = (
    "case.card_",
    "task.card_",
    "task.legal_overdue",
    "timer.",
    "task.cancelled",
    "task.urge",  # 催办 and its reply
    "task.escalated",
)


# What a supervisor does not see of a timeline: the clerks' internal notes, and the token
# that makes a submission idempotent. Cards, claims and timers are what they supervise.
NOT_FOR_SUPERVISORS = frozenset({"comment.added", "case.submission_token"})


def may_use(user: User, function: Function) -> bool:
    return user.is_authenticated and user.has_role(*FUNCTION_ROLES[function])


# --- cases ------------------------------------------------------------------------------


def is_own_case(user: User, case: Case) -> bool:
    return user.has_role(Role.APPLICANT) and case.applicant_id == user.id


def _party_rows_of(user: User, case: Case) -> list:
    """The case's party rows (当事人) this applicant account acts for.

    A person named in the form is the account only when the account is that person
    (real-name, by ID number) and, where the form gave a mobile for them, it is the
    account's verified mobile: an ID number alone is no secret. A company is represented
    by the accounts linked to it as 法定代表人 or 经办人.
    """
    if not user.has_role(Role.APPLICANT) or not user.party_links:
        return []
    links = {link.party_id: link.capacity for link in user.party_links}
    rows = []
    for row in case.parties:
        capacity = links.get(row.party_id)
        if capacity is None:
            continue
        if (
            capacity == "self"
            and row.mobile
            and (user.mobile != row.mobile or user.mobile_verified_at is None)
        ):
            continue
        rows.append(row)
    return rows


def can_see_licence(user: User, licence: ELicence) -> bool:
    """证照夹: an applicant sees a licence its own application yielded, and the licences of
    the parties it acts for (itself as a real-name person, a company it represents)."""
    if not user.is_authenticated or not user.has_role(Role.APPLICANT):
        return False
    if licence.holder_id == user.id:
        return True
    return licence.party_id is not None and any(
        link.party_id == licence.party_id for link in user.party_links
    )


def can_revoke_licence(user: User, licence: ELicence) -> bool:
    """撤销 is the issuing department's: an approver of the department that granted the
    licence (行政许可法 §69 — the office that decided, or its superior), while it is valid."""
    return (
        may_use(user, Function.REVOKE_LICENCE)
        and user.works_in(licence.department_id, Role.APPROVER)
        and licence.valid
    )


def can_see_licence_as_issuer(user: User, licence: ELicence) -> bool:
    """The issuing department's approvers read a licence it issued (to revoke it, or see
    that it was)."""
    return may_use(user, Function.REVOKE_LICENCE) and user.works_in(
        licence.department_id, Role.APPROVER
    )


def is_case_party(user: User, case: Case) -> bool:
    """The account acts for a party of the case (and may read it, not change it)."""
    return bool(_party_rows_of(user, case))


def can_confirm(user: User, case: Case) -> bool:
    """A side of a joint application confirms it with the person's own account, while the
    front desk has not yet decided."""
    if case.status not in (CaseStatus.SUBMITTED, CaseStatus.CORRECTION):
        return False
    joint = set(published_theme(case.theme_version).joint_application.values())
    persons = {link.party_id for link in user.party_links if link.capacity == "self"}
    return any(
        r.role in joint and r.confirmed_at is None and r.party_id in persons
        for r in _party_rows_of(user, case)
    )


def is_own_draft(user: User, draft: ApplicationDraft | None) -> bool:
    """A draft, and the files attached to it, are its applicant's alone."""
    return draft is not None and user.has_role(Role.APPLICANT) and draft.applicant_id == user.id


def is_assisted_by(user: User, case: Case) -> bool:
    """帮办代办: the staff member who filled in and submitted the case for its party."""
    return (
        case.assisted_by_id is not None
        and case.assisted_by_id == user.id
        and may_use(user, Function.ASSIST)
    )


def sees_whole_case(user: User, case: Case) -> bool:
    """All of the case's data and files: its applicant (and its other parties: a joint
    application is one form both sides sign), the front desk, and whoever submitted it for
    its party (帮办代办: they filled it in)."""
    return (
        is_own_case(user, case)
        or user.has_role(Role.FRONT_DESK)
        or is_case_party(user, case)
        or is_assisted_by(user, case)
    )


def involved_departments(user: User, case: Case) -> frozenset[int]:
    """The user's back-office departments (any approval level) that have a task in the case."""
    mine = user.department_ids(*BACK_OFFICE_ROLES)
    return frozenset(t.department_id for t in case.tasks if t.department_id in mine)


def can_see_case(user: User, case: Case) -> bool:
    return sees_whole_case(user, case) or bool(involved_departments(user, case))


def can_see_case_as_staff(user: User, case: Case) -> bool:
    """The workbench's case page (internal notes, the diagram, the full timeline)."""
    return may_use(user, Function.WORKBENCH) and can_see_case(user, case)


def visible_items(user: User, case: Case) -> frozenset[str] | None:
    """Item codes whose data and materials the user may see; None means all of them."""
    if sees_whole_case(user, case):
        return None
    departments = involved_departments(user, case)
    return frozenset(
        t.item_code for t in case.tasks if t.department_id in departments and t.item_code
    )


def can_see_material(user: User, case: Case, asked_by: Iterable[str]) -> bool:
    """A material (by the items that ask it) of a case the user may see."""
    items = visible_items(user, case)
    return items is None or bool(items & set(asked_by))


def can_see_instruments(user: User, case: Case) -> bool:
    """The case's written instruments (文书): its applicant and the clerks who may see the
    case. Each is handed to the applicant anyway; an approver's view of it is the office's."""
    return can_see_case(user, case)


def can_comment(user: User, case: Case) -> bool:
    return can_see_case_as_staff(user, case)


def can_upload(user: User, case: Case) -> bool:
    """Material files are the applicant's to give, before acceptance or while correcting."""
    return is_own_case(user, case) and case.status in (CaseStatus.SUBMITTED, CaseStatus.CORRECTION)


def can_upload_material(user: User, case: Case, material_code: str) -> bool:
    """One material's files: as `can_upload`, and after 容缺受理 the promised material until
    the front desk has confirmed it (so the applicant need not come in person)."""
    if can_upload(user, case):
        return True
    return (
        is_own_case(user, case)
        and case.status_is_open
        and (
            any(g.material_code == material_code and g.received_at is None for g in case.gaps)
            or material_code in supplement_materials(case)
        )
    )


def supplement_materials(case: Case) -> frozenset[str]:
    """Materials an approver asked for during review (退回补正), while the request is open:
    the applicant uploads them online as at acceptance."""
    return frozenset(
        m["code"]
        for t in case.tasks
        if t.status == TaskStatus.OPEN
        for p in t.pauses or []
        if p["reason"] == "supplement" and not p.get("end")
        for m in p["materials"]
    )


def can_sign_promise(user: User, case: Case) -> bool:
    """告知承诺书 is signed by the submitting applicant while the case is open."""
    return is_own_case(user, case) and case.status_is_open


def can_declare_paper(user: User, case: Case) -> bool:
    """窗口提交纸质件 is the applicant's declaration until the front desk has accepted."""
    return can_upload(user, case)


def can_withdraw(user: User, case: Case) -> bool:
    return is_own_case(user, case) and case.status in (CaseStatus.SUBMITTED, CaseStatus.CORRECTION)


def can_correct(user: User, case: Case) -> bool:
    return is_own_case(user, case) and case.status == CaseStatus.CORRECTION


def can_rate(user: User, case: Case) -> bool:
    """好差评 is the submitting applicant's own (a party reads the case, it does not rate)."""
    return is_own_case(user, case)


def can_see_ratings(user: User, case: Case) -> bool:
    """Ratings are read by the applicant and by staff who may see the case; nobody may
    change or delete one (there is no such service)."""
    return can_see_case(user, case)


def can_record_material_received(user: User, case: Case) -> bool:
    """容缺材料 arrive at the window."""
    return user.has_role(Role.FRONT_DESK) and case.status_is_open


def can_see_event(user: User, action: str) -> bool:
    """Staff see the whole timeline; an applicant the events that concern them (not the
    workbench's internals, nor the supervision of its staff: cards, timers, cancellations)."""
    if may_use(user, Function.WORKBENCH):
        return True
    if may_use(user, Function.SUPERVISE):
        return action not in NOT_FOR_SUPERVISORS
    return action not in INTERNAL_EVENTS and not action.startswith(SUPERVISION_PREFIXES)


def can_receive_transfer(user: User, transfer) -> bool:
    """材料流转单: the paper arrives at its department; one of its approvers signs for it."""
    return transfer.received_at is None and user.works_in(transfer.department_id, Role.APPROVER)


def can_see_transfer(user: User, transfer) -> bool:
    """A 流转单 is the front desk's (who sent it) and its department's (who receive it)."""
    return user.has_role(Role.FRONT_DESK) or user.works_in(transfer.department_id, Role.APPROVER)


# --- supervision (效能监督) ---------------------------------------------------------------


def can_supervise_case(user: User, case: Case) -> bool:
    """A supervisor reads any case's progress (not its data, files or internal notes)."""
    return may_use(user, Function.SUPERVISE)


def can_urge(user: User, task: CaseTask) -> bool:
    """催办: a supervisor urges an open task; a 催办回复 itself is not urged again."""
    return (
        may_use(user, Function.SUPERVISE)
        and task.status == TaskStatus.OPEN
        and task.kind != TaskKind.URGE_REPLY
    )


# --- tasks ------------------------------------------------------------------------------


def can_see_task(user: User, task: CaseTask) -> bool:
    """A task is seen (and worked) by the clerks of its department."""
    return user.works_in(task.department_id, *CLERK_ROLES)


def holder_roles(task: CaseTask) -> tuple[Role, ...]:
    """The roles in the task's department that act on it now: its approval level's (or the
    head's, for a 延期), else the window's and the 承办人's."""
    return (Role(task.holder_role),) if task.holder_role else DEFAULT_HOLDERS


def holds_task(user: User, task: CaseTask) -> bool:
    """Whether the user acts on the task at its present level (a 科室负责人 reads the
    承办人's step, and decides only at the 审核 level)."""
    return user.works_in(task.department_id, *holder_roles(task))


def can_still_hold(user: User | None, task: CaseTask) -> bool:
    """Whether a claimant can still act on the task: active, of its department, and holding
    the role its present level needs."""
    return user is not None and user.active and holds_task(user, task)


def blocking_claimant(user: User, task: CaseTask) -> User | None:
    """The colleague whose claim keeps `user` from acting, or None."""
    if task.claimed_by_id in (None, user.id):
        return None
    claimant = task.claimed_by
    return claimant if can_still_hold(claimant, task) else None


@dataclass(frozen=True)
class TaskRights:
    """What a user may do with one task; templates get these as flags."""

    see: bool
    act: bool  # decide / complete (and claim it for oneself)
    claim: bool
    unclaim: bool
    assign: bool
    blocked_by: str | None  # the claimant's name when another holds it


def task_rights(user: User, task: CaseTask) -> TaskRights:
    see = can_see_task(user, task)
    is_open = task.status == TaskStatus.OPEN
    blocker = blocking_claimant(user, task) if see else None
    act = see and is_open and blocker is None and holds_task(user, task)
    return TaskRights(
        see=see,
        act=act,
        claim=act and task.claimed_by_id != user.id,
        unclaim=act and task.claimed_by_id is not None,
        assign=act,
        blocked_by=blocker.display_name if blocker is not None else None,
    )


def can_receive_task(user: User, task: CaseTask) -> bool:
    """Whether a task can be handed (转交) to `user`: an active clerk of its department."""
    return can_still_hold(user, task)
