"""催办: a supervisor urges an open task. The task's department is told through the
notifications outbox (whoever holds the task, else every clerk of the department), the urge
is an audit event and is shown on the task, and a 催办回复 task (a task outside BPMN, with
its own deadline and cards) waits in the department's inbox for the reply.
"""

from __future__ import annotations

from decimal import Decimal

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import access_policy
from webapp.accounts.models import CLERK_ROLES, RoleGrant, User
from webapp.audit import trail
from webapp.cases.locking import lock_case, lock_for_action
from webapp.cases.models import CaseTask, TaskKind, TaskStatus
from webapp.cases.tasks import mark_done, open_task
from webapp.clock import CHINA_TZ, now
from webapp.deadlines import limits
from webapp.domain_errors import Conflict, Invalid, NotFound
from webapp.notifications import outbox
from webapp.supervision.models import TaskUrge

# The reply to a 催办 is due this many working days later (setting YJS_URGE_REPLY_DAYS).
DEFAULT_URGE_REPLY_DAYS = 1
MESSAGE_MAX = 500


def urge(session: Session, supervisor: User, task_id: int, message: str) -> TaskUrge:
    """Urge the open task `task_id`; the caller commits."""
    task = session.get(CaseTask, task_id)
    if task is None or not access_policy.may_use(supervisor, access_policy.Function.SUPERVISE):
        raise NotFound("任务不存在")
    message = (message or "").strip()
    if not message:
        raise Invalid("请填写催办意见", details=[{"field": "message", "message": "请填写催办意见"}])
    if len(message) > MESSAGE_MAX:
        text = f"催办意见不能超过 {MESSAGE_MAX} 字"
        raise Invalid(text, details=[{"field": "message", "message": text}])
    case = lock_case(session, task.case_id)
    session.refresh(task)
    if not access_policy.can_urge(supervisor, task):
        raise Conflict("该任务已办结或不可催办")
    at = now()
    reply = open_task(
        session,
        case,
        kind=TaskKind.URGE_REPLY,
        name=f"催办回复：{task.name}",
        department=task.department,
        allowed_days=Decimal(_reply_days()),
        at=at,
        assignee=task.claimed_by,
        subject={"urged_task_id": task.id, "task": task.name, "message": message},
    )
    case.next_check_at = limits.next_check(case, at, case.next_timer_at)
    row = TaskUrge(
        task_id=task.id,
        case_id=case.id,
        urged_by_id=supervisor.id,
        message=message,
        created_at=at,
        reply_task_id=reply.id,
    )
    session.add(row)
    session.flush()
    trail.record(
        session,
        supervisor,
        "task.urged",
        case=case,
        task=task,
        after={"urge_id": row.id, "message": message, "reply_task_id": reply.id},
    )
    due = task.due_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if task.due_at else "—"
    for clerk in _told(session, task):
        outbox.notify_user(
            session,
            "task_urged",
            clerk,
            case=case,
            task=task.name,
            message=message,
            due=due,
            supervisor=supervisor.display_name,
        )
    return row


def _told(session: Session, task: CaseTask) -> list[User]:
    """Whoever holds the task; else every active clerk of its department."""
    if task.claimed_by is not None and task.claimed_by.active:
        return [task.claimed_by]
    stmt = (
        select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(
            RoleGrant.department_id == task.department_id,
            RoleGrant.role.in_([r.value for r in CLERK_ROLES]),
            User.active.is_(True),
        )
        .distinct()
        .order_by(User.id)
    )
    return list(session.scalars(stmt))


def reply(session: Session, actor: User, task_id: int, values: dict) -> CaseTask:
    """The department's reply to a 催办 (the 催办回复 task's action)."""
    case, task = lock_for_action(session, actor, task_id)
    if task.kind != TaskKind.URGE_REPLY:
        raise Conflict("此操作不适用于该任务")
    text = (values.get("reply") or "").strip()
    if not text:
        raise Invalid(
            "请填写办理情况说明", details=[{"field": "reply", "message": "请填写办理情况说明"}]
        )
    at = now()
    before = mark_done(task, actor, {"decision": "replied", "reply": text}, at)
    trail.record(
        session,
        actor,
        "task.urge_replied",
        case=case,
        task=task,
        before=before,
        after={"task_status": task.status, "reply": text,
               "urged_task_id": (task.subject or {}).get("urged_task_id")},
    )  # fmt: skip
    case.next_check_at = limits.next_check(case, at, case.next_timer_at)
    return task


def urges_of(session: Session, task_ids: list[int]) -> dict[int, list[TaskUrge]]:
    """The 催办 of these tasks, oldest first, by task id (shown on the task)."""
    if not task_ids:
        return {}
    stmt = select(TaskUrge).where(TaskUrge.task_id.in_(task_ids)).order_by(TaskUrge.id)
    result: dict[int, list[TaskUrge]] = {}
    for row in session.scalars(stmt):
        result.setdefault(row.task_id, []).append(row)
    return result


def is_replied(row: TaskUrge) -> bool:
    return row.reply_task is not None and row.reply_task.status == TaskStatus.COMPLETED


def _reply_days() -> int:
    if has_app_context():
        return current_app.config.get("URGE_REPLY_DAYS", DEFAULT_URGE_REPLY_DAYS)
    return DEFAULT_URGE_REPLY_DAYS
