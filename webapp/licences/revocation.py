"""撤销 of an e-licence: the one way a licence stops being valid.

Used by the issuing department's 撤销 (issue 14) and by a failed 告知承诺 事后核查 (issue 16);
both call `revoke`, so a revoked licence looks the same whoever revoked it: status 已撤销,
the time, an audit event with the reason. Nothing is deleted — the public check answers
"已撤销" for it, and the materials it exempted are asked for again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from webapp.accounts.models import User
from webapp.audit import trail
from webapp.cases.models import Case
from webapp.domain_errors import Conflict, Invalid
from webapp.licences.models import ELicence, LicenceStatus


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
    trail.record(
        session, actor, "licence.revoked", case=session.get(Case, licence.case_id),
        before={"status": LicenceStatus.VALID.value},
        after={"status": LicenceStatus.REVOKED.value, "name": licence.name,
               "number": licence.number},
        detail=reason,
    )  # fmt: skip
