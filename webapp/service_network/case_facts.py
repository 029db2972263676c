"""What a case page shows of the service network: where the case was handed in, accepted,
delivered and is collected; who acted for whom (帮办代办) with the 授权委托书; its
材料流转单 and whether each has been signed for."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from webapp import access_policy
from webapp.accounts.models import User
from webapp.cases.models import Case
from webapp.materials.models import MaterialFile
from webapp.service_network import assistance, transfers
from webapp.service_network.models import MaterialTransfer


@dataclass(frozen=True)
class CaseNetwork:
    assistance_label: str | None  # 帮办 / 代办
    assisted_by: str | None
    principal: str | None  # the party acted for, as the case names it
    letter: MaterialFile | None
    transfers: list[MaterialTransfer]
    receivable: frozenset[int]  # transfer ids the viewer may sign for


def case_network(session: Session, user: User, case: Case) -> CaseNetwork:
    label = assistance.Assistance(case.assistance).label if case.assistance else None
    principal = None
    if case.assistance:
        named = [r for r in case.parties if r.role == "applicant"]
        principal = named[-1].party.name if named else None
    visible = [
        t for t in transfers.transfers_of(session, case) if access_policy.can_see_transfer(user, t)
    ]
    return CaseNetwork(
        assistance_label=label,
        assisted_by=case.assisted_by.display_name if case.assisted_by else None,
        principal=principal,
        letter=assistance.letter_of(session, case) if case.assistance else None,
        transfers=visible,
        receivable=frozenset(t.id for t in visible if access_policy.can_receive_transfer(user, t)),
    )
