"""材料流转单: paper received at a town centre or village station travels to the department
responsible for it, and is tracked until that department signs for it.

At 受理 (not before: a refused case's paper goes back to the applicant), when the paper was
received outside the county hall (where the departments' own windows sit, so no paper
travels) — at the point it was handed in for 帮办代办, else at the accepting window — the
paper materials received for the case are grouped by the department of the items that ask
them; each department gets one 流转单 (an instrument, numbered, frozen, audited). An
approver of the department confirms receipt, which issues the 材料流转接收回执.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from webapp import access_policy
from webapp.accounts.models import Department, Role, User
from webapp.audit import trail
from webapp.cases.case_forms import materials_to_hand_in
from webapp.cases.locking import lock_case
from webapp.cases.models import Case
from webapp.clock import now
from webapp.domain_errors import Conflict, NotFound
from webapp.instruments import issuing
from webapp.materials import hand_in
from webapp.service_network.models import MaterialTransfer, PointLevel, ServicePoint
from webapp.themes.published import published_theme


def send_paper(
    session: Session, actor: User, case: Case, point: ServicePoint | None
) -> list[MaterialTransfer]:
    """The 流转单 of a case accepted at `point`: one per department with paper to receive.
    The paper leaves from where it was handed in (a 帮办代办 point), else from `point`."""
    point = case.submitted_point or point
    if point is None or point.level == PointLevel.COUNTY:
        return []
    received = {code for code, row in hand_in.paper_of(session, case).items() if row.received_at}
    if not received:
        return []
    departments_of_items = {i.code: i.department for i in published_theme(case.theme_version).items}
    by_department: dict[str, list] = {}
    for material in materials_to_hand_in(case).values():
        if material.code not in received:
            continue
        for code in sorted({departments_of_items.get(i) for i in material.asked_by} - {None}):
            by_department.setdefault(code, []).append(material)
    at = now()
    made = []
    for code, materials in sorted(by_department.items()):
        department = session.scalars(select(Department).where(Department.code == code)).one()
        listed = [
            {"code": m.code, "name": m.name, "original_or_copy": m.original_or_copy,
             "copies": m.copies}
            for m in materials
        ]  # fmt: skip
        instrument = issuing.issue(
            session,
            actor,
            case,
            "transfer",
            {
                "from_point": point.name,
                "from_address": point.address,
                "from_phone": point.phone,
                "to_department": department.name,
                "materials": listed,
                "sent_at": at.isoformat(),
                "sent_by": actor.display_name,
            },
            office=point.name,
        )
        transfer = MaterialTransfer(
            case_id=case.id,
            from_point_id=point.id,
            department_id=department.id,
            materials=listed,
            number=instrument.number,
            sent_at=at,
            sent_by_id=actor.id,
        )
        session.add(transfer)
        session.flush()
        trail.record(
            session,
            actor,
            "material.transfer_sent",
            case=case,
            after={
                "number": instrument.number,
                "from_point": point.code,
                "department": department.code,
                "materials": [m["code"] for m in listed],
            },
        )
        made.append(transfer)
    return made


def receive(session: Session, actor: User, transfer_id: int, note: str = "") -> MaterialTransfer:
    """The department signs for the paper of one 流转单; issues the 材料接收回执."""
    transfer = session.get(MaterialTransfer, transfer_id)
    if transfer is None or not access_policy.can_see_transfer(actor, transfer):
        raise NotFound("流转单不存在")
    case = lock_case(session, transfer.case_id)
    session.refresh(transfer)
    if transfer.received_at is not None:
        raise Conflict(f"流转单 {transfer.number} 已于此前签收")
    if not access_policy.can_receive_transfer(actor, transfer):
        raise Conflict("只有流转单所送部门的审批人员可以签收")
    at = now()
    receipt = issuing.issue(
        session,
        actor,
        case,
        "transfer_receipt",
        {
            "transfer_number": transfer.number,
            "from_point": transfer.from_point.name,
            "materials": transfer.materials,
            "received_at": at.isoformat(),
            "received_by": actor.display_name,
            "note": note,
        },
        office=transfer.department.name,
    )
    transfer.received_at, transfer.received_by_id = at, actor.id
    transfer.receipt_number, transfer.note = receipt.number, note or None
    session.flush()
    trail.record(
        session,
        actor,
        "material.transfer_received",
        case=case,
        before={"number": transfer.number, "received": False},
        after={"number": transfer.number, "received": True, "receipt": receipt.number},
    )
    return transfer


def transfers_of(session: Session, case: Case) -> list[MaterialTransfer]:
    stmt = select(MaterialTransfer).where(MaterialTransfer.case_id == case.id)
    return list(session.scalars(stmt.order_by(MaterialTransfer.id)))


def pending_for(session: Session, user: User) -> list[MaterialTransfer]:
    """The 流转单 waiting for the user: addressed to their departments and not yet received
    (an approver), or sent from their point and not yet received (a front-desk clerk)."""
    departments = user.department_ids(Role.APPROVER)
    point = user.service_point()
    stmt = select(MaterialTransfer).where(MaterialTransfer.received_at.is_(None))
    mine = [MaterialTransfer.department_id.in_(sorted(departments))] if departments else []
    if point is not None:
        mine.append(MaterialTransfer.from_point_id == point.id)
    if not mine:
        return []
    stmt = stmt.where(or_(*mine)).order_by(MaterialTransfer.sent_at, MaterialTransfer.id)
    return [t for t in session.scalars(stmt.limit(200)) if access_policy.can_see_transfer(user, t)]
