"""Claiming (认领), releasing and handing on (转交) a task within its department.

Claiming is optional; a claimed task is the claimant's alone, unless the claimant can no
longer act on it (deactivated or moved away: access_policy.can_still_hold).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import access_policy
from webapp.accounts.models import CLERK_ROLES, RoleGrant, User
from webapp.audit import trail
from webapp.cases.locking import lock_for_action
from webapp.cases.models import CaseTask
from webapp.clock import now
from webapp.domain_errors import Conflict, Invalid


def claim(session: Session, actor: User, task_id: int) -> CaseTask:
    case, task = lock_for_action(session, actor, task_id)
    if task.claimed_by_id == actor.id:
        return task
    return _hand_to(session, actor, case, task, actor, "task.claimed")


def unclaim(session: Session, actor: User, task_id: int) -> CaseTask:
    case, task = lock_for_action(session, actor, task_id)
    if task.claimed_by_id is None:
        raise Conflict("该任务尚未被认领")
    before = task.claimed_by.display_name
    task.claimed_by = None
    task.claimed_at = None
    trail.record(
        session, actor, "task.unclaimed", case=case, task=task,
        before={"claimed_by": before}, after={"claimed_by": None},
    )  # fmt: skip
    return task


def assign(session: Session, actor: User, task_id: int, assignee_id: int) -> CaseTask:
    """Hand the task to a colleague of its department (it must be free or yours)."""
    case, task = lock_for_action(session, actor, task_id)
    assignee = session.get(User, assignee_id)
    if assignee is None or not access_policy.can_receive_task(assignee, task):
        raise Invalid(
            "只能转交给本部门的办理人员", details=[{"field": "assignee", "message": "人员无效"}]
        )
    return _hand_to(session, actor, case, task, assignee, "task.assigned")


def _hand_to(session, actor: User, case, task: CaseTask, holder: User, action: str) -> CaseTask:
    before = task.claimed_by.display_name if task.claimed_by else None
    task.claimed_by = holder
    task.claimed_at = now()
    trail.record(
        session, actor, action, case=case, task=task, before={"claimed_by": before},
        after={"claimed_by": holder.display_name},
    )  # fmt: skip
    return task


def colleagues(session: Session, actor: User, task: CaseTask) -> list[User]:
    """Who the task can be handed to: active clerks of its department, not the actor."""
    stmt = (
        select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(
            RoleGrant.department_id == task.department_id,
            RoleGrant.role.in_([r.value for r in CLERK_ROLES]),
            User.id != actor.id,
            User.active.is_(True),
        )
        .distinct()
        .order_by(User.display_name)
    )
    # Only those who hold the task's present level (承办人, 科室负责人 …) can take it over.
    return [u for u in session.scalars(stmt) if access_policy.can_receive_task(u, task)]
