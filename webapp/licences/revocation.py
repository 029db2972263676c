"""撤销 of an e-licence: the one way a licence stops being valid.

Used by the issuing department's 撤销 (issue 14) and by a failed 告知承诺 事后核查 (issue 16);
both call `revoke`, so a revoked licence looks the same whoever revoked it: status 已撤销,
the time, an audit event with the reason, and every account whose wallet holds it told
through the notification outbox (in the same transaction). Nothing is deleted — the
public check answers "已撤销" for it, and the materials it exempted are asked for again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import access_policy
from webapp.accounts.models import User
from webapp.audit import trail
from webapp.audit.models import AuditEvent
from webapp.cases.models import Case
from webapp.domain_errors import Conflict, Invalid
from webapp.licences.models import ELicence, LicenceStatus
from webapp.notifications import outbox
from webapp.parties.models import PartyAccount


def revoke(
    session: Session, actor: User | None, licence: ELicence, reason: str, at: dt.datetime
) -> None:
    """Revoke `licence` for `reason` (required: it is printed on the 撤销 record)."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请填写撤销理由")
    if licence.status != LicenceStatus.VALID:
        raise Conflict("该电子证照已撤销，不能重复撤销")
    licence.status = LicenceStatus.REVOKED.value
    licence.revoked_at = at
    case = session.get(Case, licence.case_id)
    trail.record(
        session, actor, "licence.revoked", case=case,
        before={"status": LicenceStatus.VALID.value},
        after={"status": LicenceStatus.REVOKED.value, "name": licence.name,
               "number": licence.number, "licence_id": licence.id},
        detail=reason,
    )  # fmt: skip
    for holder in holders(session, licence):
        outbox.notify_user(
            session, "licence_revoked", holder, case=case,
            licence=licence.name, number=licence.number, reason=reason,
        )  # fmt: skip


def holders(session: Session, licence: ELicence) -> list[User]:
    """The active accounts whose wallet holds `licence`: the applicant it was granted to and
    the accounts acting for its holder party (as the access policy lets them see it)."""
    ids = [licence.holder_id]
    if licence.party_id is not None:
        stmt = select(PartyAccount.user_id).where(PartyAccount.party_id == licence.party_id)
        ids += list(session.scalars(stmt))
    users = [session.get(User, i) for i in dict.fromkeys(ids)]
    return [
        u for u in users
        if u is not None and u.active and access_policy.can_see_licence(u, licence)
    ]  # fmt: skip


def reason_of(session: Session, licence: ELicence) -> str | None:
    """Why `licence` was revoked, as recorded (the audit event is the record)."""
    if licence.valid:
        return None
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.case_id == licence.case_id, AuditEvent.action == "licence.revoked")
        .order_by(AuditEvent.id.desc())
    )
    return next(
        (
            e.detail
            for e in session.scalars(stmt)
            if (e.after or {}).get("licence_id") == licence.id
        ),
        None,
    )
