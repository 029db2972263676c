"""后台分类审批: an approver's work on their department's tasks.

Claiming is optional: an unclaimed task may be decided by anyone of its department (the
decision claims it); a claimed one only by its claimant. A task can be handed to a colleague
of the same department. The decision is 准予 (with opinion and the result, issued into the
applicant's e-licence wallet when the item's result is an e-licence) or 不予 (with reason);
what a denial does is the theme's declared policy: end the case, or let the other items go on.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import CaseStatus, CaseTask, ELicence, Role, User
from . import audit
from .case_engine import restore_workflow
from .case_tasks import (
    after_engine_step,
    complete_in_engine,
    decision_data,
    lock_for_action,
    mark_done,
    now,
)
from .cases import task_kind
from .errors import Conflict, Invalid

DENIAL_POLICIES = {"terminate": "终止办件", "continue": "其他事项继续办理"}


def claim(session: Session, actor: User, task_id: int) -> CaseTask:
    case, task = lock_for_action(session, actor, task_id)
    if task.claimed_by_id == actor.id:
        return task
    task.claimed_by = actor
    task.claimed_at = now()
    audit.record(
        session, actor, "task.claimed", case=case, task=task, before={"claimed_by": None},
        after={"claimed_by": actor.display_name},
    )  # fmt: skip
    return task


def unclaim(session: Session, actor: User, task_id: int) -> CaseTask:
    case, task = lock_for_action(session, actor, task_id)
    if task.claimed_by_id is None:
        raise Conflict("该任务尚未被认领")
    before = task.claimed_by.display_name
    task.claimed_by = None
    task.claimed_at = None
    audit.record(
        session, actor, "task.unclaimed", case=case, task=task,
        before={"claimed_by": before}, after={"claimed_by": None},
    )  # fmt: skip
    return task


def assign(session: Session, actor: User, task_id: int, assignee_id: int) -> CaseTask:
    """Hand the task to a colleague of the same department (it must be free or yours)."""
    case, task = lock_for_action(session, actor, task_id)
    assignee = session.get(User, assignee_id)
    if (
        assignee is None
        or not assignee.active
        or assignee.department_id != task.department_id
        or not assignee.has_role(Role.FRONT_DESK, Role.APPROVER)
    ):
        raise Invalid(
            "只能转交给本部门的办理人员", details=[{"field": "assignee", "message": "人员无效"}]
        )
    before = task.claimed_by.display_name if task.claimed_by else None
    task.claimed_by = assignee
    task.claimed_at = now()
    audit.record(
        session, actor, "task.assigned", case=case, task=task, before={"claimed_by": before},
        after={"claimed_by": assignee.display_name},
    )  # fmt: skip
    return task


def colleagues(session: Session, actor: User) -> list[User]:
    """Who a task can be handed to: active clerks of the actor's department, not the actor."""
    stmt = (
        select(User)
        .where(
            User.department_id == actor.department_id,
            User.id != actor.id,
            User.active.is_(True),
            User.role.in_([Role.APPROVER, Role.FRONT_DESK]),
        )
        .order_by(User.display_name)
    )
    return list(session.scalars(stmt))


def _item_task(session: Session, actor: User, task_id: int):
    case, task = lock_for_action(session, actor, task_id)
    if task_kind(case.theme_version.definition, task.bpmn_id) != "item":
        raise Conflict("此操作不适用于该任务")
    return case, task


def grant(
    session: Session, actor: User, task_id: int, opinion: str, result_no: str = ""
) -> CaseTask:
    """准予: the item's result is recorded and, if it is an e-licence, issued to the wallet."""
    case, task = _item_task(session, actor, task_id)
    item = _item_of(case, task)
    result = item.get("result") or {}
    if result.get("e_licence") and not result_no.strip():
        raise Invalid(
            f"“{result.get('name', '证照')}”为电子证照，请填写证照编号",
            details=[{"field": "result_no", "message": "请填写证照编号"}],
        )
    at = now()
    outcome = {
        "decision": "granted",
        "opinion": opinion,
        "result_name": result.get("name", ""),
        "result_no": result_no.strip(),
        "e_licence": bool(result.get("e_licence")),
    }
    workflow = complete_in_engine(case, task, decision_data(task, outcome))
    before = mark_done(task, actor, outcome, at)
    audit.record(
        session, actor, "task.granted", case=case, task=task, before=before,
        after={"task_status": task.status, "outcome": outcome},
    )  # fmt: skip
    if outcome["e_licence"]:
        licence = ELicence(
            holder_id=case.applicant_id,
            case_id=case.id,
            item_code=task.item_code,
            name=outcome["result_name"],
            number=outcome["result_no"],
            department_id=task.department_id,
            issued_at=at,
        )
        session.add(licence)
        session.flush()
        audit.record(
            session, actor, "licence.issued", case=case, task=task,
            after={"name": licence.name, "number": licence.number},
        )  # fmt: skip
    after_engine_step(session, case, workflow, at)
    return task


def deny(session: Session, actor: User, task_id: int, reason: str) -> CaseTask:
    """不予: the theme's policy says whether the case ends or the other items go on."""
    case, task = _item_task(session, actor, task_id)
    policy = case.theme_version.definition.get("on_denial", "terminate")
    at = now()
    outcome = {"decision": "denied", "reason": reason, "policy": policy}
    if policy == "continue":
        workflow = complete_in_engine(case, task, decision_data(task, outcome))
    else:
        workflow = restore_workflow(case)
        workflow.cancel()
    before = mark_done(task, actor, outcome, at)
    audit.record(
        session, actor, "task.denied", case=case, task=task, before=before,
        after={"task_status": task.status, "outcome": outcome},
    )  # fmt: skip
    if policy != "continue":
        case.status = CaseStatus.TERMINATED
        case.end_reason = f"{task.name}：不予办理（{reason}）"
        case.completed_at = at
        audit.record(
            session, actor, "case.terminated", case=case, task=task,
            before={"case_status": CaseStatus.IN_PROGRESS},
            after={"case_status": case.status, "reason": case.end_reason},
        )  # fmt: skip
    after_engine_step(session, case, workflow, at)
    return task


def _item_of(case, task: CaseTask) -> dict:
    for item in case.theme_version.definition.get("items", []):
        if item["code"] == task.item_code:
            return item
    return {}
