"""证照夹: who holds an e-licence, what an account's wallet lists, and the public check.

- `holder_party(session, case, name, number)`: the party a licence granted on `case` is
  for — the company for a 营业执照 (its number is the USCC), the case's company applicant
  for the other licences of an enterprise case, else the applicant person.
- `issue(session, actor, case, task, name, number, at)`: a granted result into the wallet,
  with a fresh check code, audited.
- `wallet(session, user)`: the licences an account sees, newest first (the access policy
  decides each: its own application, or a party the account acts for).
- `entries(session, user)`: the wallet as its page lists it (holder, case number).
- `holdings(session, user)`: the valid licences as the material set reads them (exempting
  the materials an e-licence of theirs replaces); `sources.holdings` is what pages ask.
- `prefill(session, user, fields, issued_here)`: 智能填报 — the answers the field
  dictionary takes from a held licence (`from_licence`), and the notes saying so.
- `licence_for(session, user, licence_id)`: one of them, else NotFound (nothing revealed).
- `verify(session, number, code)`: the public check; the same None for an unknown number
  and a wrong code. `masked_holder(licence)` is all of the holder it shows.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from webapp import access_policy
from webapp.accounts.models import User
from webapp.audit import trail
from webapp.cases.models import Case, CaseTask
from webapp.domain_errors import NotFound
from webapp.licences.models import ELicence, LicenceStatus
from webapp.parties import case_parties
from webapp.parties.models import Party, PartyKind

# No 0/O, 1/I/L: the code is read off paper and typed on a phone (as 办件查询's).
CHECK_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CHECK_CODE_LENGTH = 6


def new_check_code() -> str:
    return "".join(secrets.choice(CHECK_CODE_ALPHABET) for _ in range(CHECK_CODE_LENGTH))


BUSINESS_LICENCE = "营业执照"  # its number is the company's 统一社会信用代码 (GB 32100)


def holder_party(session: Session, case: Case, name: str, number: str) -> Party | None:
    """Whom a licence granted on `case` is for.

    A 营业执照 is the company's: the company of that USCC (found, or made now under the
    form's 企业名称 — in 企业开办 the case is what creates it), which becomes the case's
    applicant too. Any other licence goes to the company the case names as applicant (the
    form's USCC, or the 营业执照 granted earlier in it), else to the applicant person.
    """
    if name == BUSINESS_LICENCE:
        company = case_parties.company(
            session, number, str(case.answers.get("enterprise.name") or "")
        )
        case_parties.add_to_case(session, case, company, "applicant")
        return company
    applicants = [row.party for row in case.parties if row.role == "applicant"]
    companies = [p for p in applicants if p.kind == PartyKind.COMPANY]
    persons = [p for p in applicants if p.kind == PartyKind.PERSON]
    return (companies or persons or [None])[0]


def issue(
    session: Session, actor: User, case: Case, task: CaseTask, name: str, number: str, at
) -> ELicence:
    licence = ELicence(
        holder_id=case.applicant_id,
        party=holder_party(session, case, name, number),
        case_id=case.id,
        item_code=task.item_code,
        name=name,
        number=number,
        department_id=task.department_id,
        issued_at=at,
        status=LicenceStatus.VALID.value,
        check_code=new_check_code(),
    )
    session.add(licence)
    session.flush()
    trail.record(
        session, actor, "licence.issued", case=case, task=task,
        after={"name": licence.name, "number": licence.number,
               "holder": masked_holder(licence)},
    )  # fmt: skip
    return licence


def wallet(session: Session, user: User) -> list[ELicence]:
    party_ids = [link.party_id for link in user.party_links]
    stmt = (
        select(ELicence)
        .where(or_(ELicence.holder_id == user.id, ELicence.party_id.in_(party_ids)))
        .order_by(ELicence.issued_at.desc(), ELicence.id.desc())
    )
    return [lic for lic in session.scalars(stmt) if access_policy.can_see_licence(user, lic)]


@dataclass(frozen=True)
class WalletEntry:
    licence: ELicence
    holder: str  # the holder party's name (the account's own wallet: shown in full)
    case_no: str
    case_visible: bool  # the account may open the case (its own, or as a party)


def entries(session: Session, user: User) -> list[WalletEntry]:
    """The wallet as its page lists it: each licence with its holder and case."""
    held = wallet(session, user)
    ids = {lic.case_id for lic in held}
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}
    return [
        WalletEntry(
            licence=lic,
            holder=holder_name(lic),
            case_no=cases[lic.case_id].case_no,
            case_visible=access_policy.can_see_case(user, cases[lic.case_id]),
        )
        for lic in held
    ]


def holdings(session: Session, user: User) -> tuple[tuple[str, str], ...]:
    """The valid licences the account holds, as the material set reads them: (type,
    number), newest of each type first. Pages ask `sources.holdings`, which adds the
    provincial library when it is configured."""
    return tuple((lic.name, lic.number) for lic in wallet(session, user) if lic.valid)


@dataclass(frozen=True)
class Prefill:
    """智能填报 from held e-licences: the values, and what the form says it filled in."""

    values: dict[str, str]
    notes: list[str]


def prefill(session: Session, user: User, fields, issued_here: set[str]) -> Prefill:
    """The answers `fields` (merged form fields) take from the account's valid licences,
    by the field dictionary's `from_licence`. Skipped for a licence type this very case
    issues (企业开办: the company is new) and when the account holds several of the type
    (which company is meant is the applicant's to say)."""
    by_type: dict[str, list[ELicence]] = {}
    for lic in wallet(session, user):
        if lic.valid:
            by_type.setdefault(lic.name, []).append(lic)
    values: dict[str, str] = {}
    filled: dict[str, list[str]] = {}
    for f in fields:
        if not f.from_licence:
            continue
        licence_type, part = f.from_licence
        held = by_type.get(licence_type, [])
        if licence_type in issued_here or len(held) != 1:
            continue
        value = held[0].number if part == "number" else holder_name(held[0])
        if value:
            values[f.key] = value
            filled.setdefault(licence_type, []).append(f.label)
    notes = [
        f"已从电子证照《{t}》（证号 {by_type[t][0].number}）填入：{'、'.join(labels)}。"
        "如有不符请直接修改。"
        for t, labels in filled.items()
    ]
    return Prefill(values, notes)


def licence_for(session: Session, user: User, licence_id: int) -> ELicence:
    licence = session.get(ELicence, licence_id)
    if licence is None or not access_policy.can_see_licence(user, licence):
        raise NotFound("未找到该证照")
    return licence


def verify(session: Session, number: str, code: str) -> ELicence | None:
    given = code.strip().upper()
    found = session.scalars(select(ELicence).where(ELicence.number == number.strip())).all()
    if len(given) != CHECK_CODE_LENGTH:
        return None
    # Compared in constant time: the answer's timing must not tell how close a guess was.
    return next(
        (lic for lic in found if hmac.compare_digest(lic.check_code.encode(), given.encode())),
        None,
    )


def holder_name(licence: ELicence) -> str:
    """The holder party's name (licences issued before the wallet knew parties: none)."""
    return licence.party.name if licence.party is not None else ""


def masked_holder(licence: ELicence) -> str:
    """The holder's name as the public check shows it: 张* / 张** ; a company's first two
    and last four characters (有限公司 …) around stars."""
    name = holder_name(licence)
    if not name:
        return "—"
    if licence.party is not None and licence.party.kind == PartyKind.COMPANY and len(name) > 6:
        return name[:2] + "*" * (len(name) - 6) + name[-4:]
    return name[0] + "*" * max(1, len(name) - 1)


def public_view(licence: ELicence) -> dict:
    """What the public check shows: no number of the holder, no case, no account."""
    return {
        "name": licence.name,
        "number": licence.number,
        "holder": masked_holder(licence),
        "department": licence.department.name,
        "issued_at": licence.issued_at,
        "status_label": licence.status_label,
        "valid": licence.valid,
    }


def verify_url(number: str) -> str:
    """The public check for a licence, as printed and encoded in its QR code (the base is
    the office's setting, never the request's Host)."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return f"{base}/licences/verify?no={quote(number)}"
