"""Escalating red cards (红牌升级): a task that turns red is reported to its department's
head and to the supervisors; while it stays red it is reported again every
`YJS_ESCALATION_WORKING_DAYS` working days, one level higher each time.

Two entry points, both in the worker:
- `escalate_red(session, task_ids, at)`: called once per pass by the deadline sweep
  (deadlines/sweep.py) with the ids of the tasks that pass turned red;
- `escalate_still_red(session, at)`: the worker's own round, for escalations whose next level
  is due (an index on `task_escalations.next_at`: nothing else is scanned).
Each level is one row (unique per task and level), an audit event and one notification per
recipient through the outbox, all in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from flask import current_app, has_app_context
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.working_calendar import WORKING_DAY, add_working_time, working_time_between
from webapp.accounts.models import Role, RoleGrant, User
from webapp.audit import trail
from webapp.cases.models import Card, CaseTask, TaskStatus
from webapp.clock import CHINA_TZ
from webapp.clock import now as clock_now
from webapp.notifications import outbox
from webapp.supervision.models import TaskEscalation

DEFAULT_ESCALATION_WORKING_DAYS = 3
BATCH = 200


def escalate_red(
    session: Session, task_ids: Iterable[int], at: dt.datetime | None = None
) -> list[TaskEscalation]:
    """The first escalation of each task that just turned red (level 1), once per task."""
    ids = sorted(set(task_ids))
    if not ids:
        return []
    at = at or clock_now()
    already = set(
        session.scalars(select(TaskEscalation.task_id).where(TaskEscalation.task_id.in_(ids)))
    )
    tasks = session.scalars(
        select(CaseTask)
        .where(CaseTask.id.in_(ids), CaseTask.status == TaskStatus.OPEN, CaseTask.card == Card.RED)
        .order_by(CaseTask.id)
        .execution_options(populate_existing=True)
    )
    return [_escalate(session, task, 1, at) for task in tasks if task.id not in already]


def escalate_still_red(session: Session, at: dt.datetime | None = None, limit: int = BATCH) -> int:
    """The next level for tasks red for another N working days; returns how many."""
    at = at or clock_now()
    due = list(
        session.scalars(
            select(TaskEscalation)
            .where(TaskEscalation.next_at <= at)
            .order_by(TaskEscalation.next_at, TaskEscalation.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=TaskEscalation)
        )
    )
    for row in due:
        row.next_at = None
        # What the database holds now: a clerk may have finished the task meanwhile.
        task = session.scalars(
            select(CaseTask)
            .where(CaseTask.id == row.task_id)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if task is not None and task.status == TaskStatus.OPEN and task.card == Card.RED:
            _escalate(session, task, row.level + 1, at)
    session.flush()
    return len(due)


def _escalate(session: Session, task: CaseTask, level: int, at: dt.datetime) -> TaskEscalation:
    row = TaskEscalation(
        task_id=task.id,
        case_id=task.case_id,
        level=level,
        escalated_at=at,
        next_at=add_working_time(at, WORKING_DAY * _days()),
    )
    session.add(row)
    session.flush()
    case = task.case
    overdue = working_time_between(task.due_at, at) / WORKING_DAY if task.due_at else 0
    recipients = recipients_of(session, task)
    trail.record(
        session,
        None,
        "task.escalated",
        case=case,
        task=task,
        after={
            "level": level,
            "department": task.department.name,
            "recipients": [u.display_name for u in recipients],
        },
    )
    due = task.due_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if task.due_at else "—"
    for user in recipients:
        outbox.notify_user(
            session,
            "task_red_card",
            user,
            case=case,
            task=task.name,
            department=task.department.name,
            due=due,
            level=str(level),
            days=f"{overdue:.1f}",
        )
    return row


def recipients_of(session: Session, task: CaseTask) -> list[User]:
    """The task's department heads and every supervisor, active ones."""
    stmt = (
        select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(
            User.active.is_(True),
            or_(
                RoleGrant.role == Role.SUPERVISOR,
                (RoleGrant.role == Role.DEPARTMENT_HEAD)
                & (RoleGrant.department_id == task.department_id),
            ),
        )
        .distinct()
        .order_by(User.id)
    )
    return list(session.scalars(stmt))


def escalations_of(session: Session, task_ids: list[int]) -> dict[int, list[TaskEscalation]]:
    if not task_ids:
        return {}
    stmt = (
        select(TaskEscalation)
        .where(TaskEscalation.task_id.in_(task_ids))
        .order_by(TaskEscalation.level)
    )
    result: dict[int, list[TaskEscalation]] = {}
    for row in session.scalars(stmt):
        result.setdefault(row.task_id, []).append(row)
    return result


def _days() -> int:
    if has_app_context():
        return current_app.config.get("ESCALATION_WORKING_DAYS", DEFAULT_ESCALATION_WORKING_DAYS)
    return DEFAULT_ESCALATION_WORKING_DAYS
