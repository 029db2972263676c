"""Parties in cases: who a case names, in what role, which accounts act for them, and the
sides of a joint application (共同申请) confirming it.

Public functions (the shared piece later issues reuse — 帮办代办, e-licence holders):

- `person(session, id_number, name)`, `company(session, uscc, name)`: the one party per
  居民身份证号 / 统一社会信用代码 (found, or created); `find_person(session, id_number)`.
- `add_to_case(session, case, party, role, mobile=None)`: a role of a party in a case.
- `record_application_parties(session, case, submitter)`: the parties an application's
  one form names (applicant, legal representative, company, the sides of a joint
  application); the submitter's own side counts as confirmed.
- `link_account(session, actor, party, user, capacity)`: an account acts for a party
  (itself as a person after real-name registration; a company's 法定代表人 / 经办人).
- `own_person(user)`: the person party an account is.
- `case_ids_visible_as_party(session, user)`: the cases an account sees as a party.
- `confirm(session, user, case)`, `joint_sides(case)`, `unconfirmed_sides(case)`,
  `ask_again(session, submitter, case)`: the joint application's confirmations, as the case
  page and the front desk show them (a corrected application is confirmed anew).
Who may see or confirm what is the access policy's to answer (`is_case_party`, `can_confirm`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.masking import mask_id_number
from forms.party_roles import JOINT_ROLES, PARTY_ROLES, role_label
from webapp import access_policy
from webapp.accounts.models import User
from webapp.audit import trail
from webapp.cases.models import Case
from webapp.clock import now
from webapp.db import conflict_insert
from webapp.domain_errors import Conflict, Invalid
from webapp.parties.models import Capacity, CaseParty, Party, PartyAccount, PartyKind
from webapp.themes.published import published_theme

RESIDENT_ID = "resident_id"  # the id_type value of a 居民身份证 (field dictionary)


def person(session: Session, id_number: str, name: str) -> Party:
    return _party(session, PartyKind.PERSON, id_number, name)


def find_person(session: Session, id_number: str) -> Party | None:
    return session.scalars(
        select(Party).where(
            Party.kind == PartyKind.PERSON.value, Party.number == id_number.strip().upper()
        )
    ).one_or_none()


def company(session: Session, uscc: str, name: str) -> Party:
    return _party(session, PartyKind.COMPANY, uscc, name)


def _party(session: Session, kind: PartyKind, number: str, name: str) -> Party:
    number = number.strip().upper()
    if not number:
        raise Invalid("当事人缺少证件号码")
    stmt = select(Party).where(Party.kind == kind.value, Party.number == number)
    found = session.scalars(stmt).one_or_none()
    if found is not None:
        return found
    # Two requests may name the same new person or company at once (two cases of one
    # company): whichever inserts second takes the row the first made, not a 500.
    session.execute(
        conflict_insert(session, Party.__table__)
        .values(kind=kind.value, number=number, name=name.strip() or number)
        .on_conflict_do_nothing(index_elements=["kind", "number"])
    )
    return session.scalars(stmt).one()


def add_to_case(
    session: Session, case: Case, party: Party, role: str, mobile: str | None = None
) -> CaseParty:
    """The party in `role` in `case` (once per party and role)."""
    if role not in PARTY_ROLES:
        raise ValueError(f"unknown party role {role}")
    for row in case.parties:
        if row.party_id == party.id and row.role == role:
            return row
    row = CaseParty(case_id=case.id, party=party, role=role, mobile=mobile or None)
    session.add(row)
    session.flush()
    session.expire(case, ["parties"])
    return row


def record_application_parties(session: Session, case: Case, submitter: User) -> list[CaseParty]:
    """Every party the application names, in its role; returns the rows added.

    The submitter's own side of a joint application counts as confirmed: submitting is
    their confirmation. Audited as one event listing the roles (ID numbers masked).
    """
    answers = case.answers
    rows: list[CaseParty] = []

    def add_person(values: dict, role: str) -> None:
        if values.get("id_type", RESIDENT_ID) != RESIDENT_ID or not values.get("id_number"):
            return  # passports and permits: not a party this product can identify yet
        party = person(session, str(values["id_number"]), str(values.get("name") or ""))
        rows.append(add_to_case(session, case, party, role, values.get("mobile")))

    add_person(_prefixed(answers, "applicant"), "applicant")
    if answers.get("enterprise.uscc"):
        party = company(
            session, str(answers["enterprise.uscc"]), str(answers.get("enterprise.name") or "")
        )
        rows.append(add_to_case(session, case, party, "applicant"))
    add_person(_prefixed(answers, "legal_rep"), "legal_rep")
    for group, role in published_theme(case.theme_version).joint_application.items():
        for row in answers.get(group) or []:
            add_person(row, role)
    me = own_person(submitter)
    at = now()
    for row in rows:
        if row.role in _joint_roles(case) and me is not None and row.party_id == me.id:
            row.confirmed_at, row.confirmed_by_id = at, submitter.id
    if rows:
        trail.record(
            session,
            submitter,
            "case.parties_recorded",
            case=case,
            after={
                "parties": [
                    {"role": r.role, "name": r.party.name, "number": mask_id_number(r.party.number)}
                    for r in rows
                ]
            },
        )
    return rows


def _prefixed(answers: dict, prefix: str) -> dict:
    return {
        k.removeprefix(prefix + "."): v for k, v in answers.items() if k.startswith(prefix + ".")
    }


def link_account(
    session: Session, actor: User | None, party: Party, user: User, capacity: Capacity
) -> PartyAccount:
    """`user` acts for `party` in `capacity` (once). A person is linked to one account as
    itself; a company to the accounts of its 法定代表人 and 经办人."""
    if (party.kind == PartyKind.PERSON) != (capacity == Capacity.SELF):
        raise Invalid("个人只能由本人账号关联；企业只能由法定代表人或经办人关联")
    existing = session.scalars(
        select(PartyAccount).where(
            PartyAccount.party_id == party.id, PartyAccount.capacity == capacity.value
        )
    ).all()
    if any(link.user_id == user.id for link in existing):
        return next(link for link in existing if link.user_id == user.id)
    if capacity == Capacity.SELF and existing:
        raise Conflict("该身份证号已由另一账号实名注册")
    link = PartyAccount(party=party, user_id=user.id, capacity=capacity.value)
    session.add(link)
    session.flush()
    session.expire(user, ["party_links"])
    trail.record(
        session,
        actor,
        "party.account_linked",
        after={
            "user": user.username,
            "party": party.name,
            "number": mask_id_number(party.number),
            "capacity": capacity.value,
        },
    )
    return link


def own_person(user: User) -> Party | None:
    """The person an account is (real-name registered), or None."""
    return next((link.party for link in user.party_links if link.capacity == Capacity.SELF), None)


def case_ids_visible_as_party(session: Session, user: User) -> list[int]:
    """Candidate cases where one of the user's parties has a role; the access policy has
    the last word on each (the mobile given for the party must be the account's)."""
    party_ids = [link.party_id for link in user.party_links]
    if not party_ids:
        return []
    return list(session.scalars(select(CaseParty.case_id).where(CaseParty.party_id.in_(party_ids))))


# --- joint application (共同申请) -------------------------------------------------------


@dataclass(frozen=True)
class JointSide:
    role: str
    label: str  # 卖方 / 买方
    persons: tuple[tuple[str, bool], ...]  # (name, confirmed) per person the form names
    confirmed: bool  # someone of this side confirmed with their own account


def _joint_roles(case: Case) -> set[str]:
    return set(published_theme(case.theme_version).joint_application.values())


def joint_sides(case: Case) -> list[JointSide]:
    """The sides of a joint application, sellers first; [] when none is needed."""
    sides = []
    # In JOINT_ROLES' order: jsonb keeps no key order, and the pages should not shuffle.
    declared = set(published_theme(case.theme_version).joint_application.values())
    for role in (r for r in JOINT_ROLES if r in declared):
        rows = [r for r in case.parties if r.role == role]
        sides.append(
            JointSide(
                role=role,
                label=role_label(role),
                persons=tuple((r.party.name, r.confirmed_at is not None) for r in rows),
                confirmed=any(r.confirmed_at is not None for r in rows),
            )
        )
    return sides


def unconfirmed_sides(case: Case) -> list[JointSide]:
    return [s for s in joint_sides(case) if not s.confirmed]


def confirm(session: Session, user: User, case: Case) -> list[CaseParty]:
    """The user confirms the joint application for their side(s) with their own account."""
    if not access_policy.can_confirm(user, case):
        raise Conflict("您不是本办件尚未确认的共同申请人，或办件已不能确认")
    me = own_person(user)
    at = now()
    rows = [
        r
        for r in case.parties
        if me is not None
        and r.party_id == me.id
        and r.role in _joint_roles(case)
        and r.confirmed_at is None
    ]
    for row in rows:
        row.confirmed_at, row.confirmed_by_id = at, user.id
    session.flush()
    trail.record(
        session,
        user,
        "case.party_confirmed",
        case=case,
        after={"roles": [r.role for r in rows], "name": me.name if me else ""},
    )
    return rows


def ask_again(session: Session, submitter: User, case: Case) -> list[CaseParty]:
    """The application changed (补正): the other side confirmed another text, so its
    confirmation no longer counts; the submitter's own side stays confirmed."""
    me = own_person(submitter)
    rows = [
        r
        for r in case.parties
        if r.role in _joint_roles(case)
        and r.confirmed_at is not None
        and (me is None or r.party_id != me.id)
    ]
    for row in rows:
        row.confirmed_at, row.confirmed_by_id = None, None
    if rows:
        session.flush()
        trail.record(
            session,
            submitter,
            "case.confirmations_reset",
            case=case,
            after={"roles": sorted({r.role for r in rows})},
        )
    return rows
