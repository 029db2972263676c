"""Writing the audit trail. Every state change in a service calls `record` once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AuditEvent, Case, CaseTask, Theme, User

ACTION_LABELS = {
    "case.submitted": "提交申请",
    "case.accepted": "综合受理",
    "task.granted": "准予",
    "case.completed": "统一出件，办结",
    "task.opened": "任务到达",
    "theme.draft_saved": "保存草稿",
    "theme.published": "发布新版本",
    "theme.loaded": "载入主题",
    "user.created": "创建账号",
}


def record(
    session: Session,
    actor: User | None,
    action: str,
    *,
    case: Case | None = None,
    task: CaseTask | None = None,
    theme: Theme | None = None,
    before: dict | None = None,
    after: dict | None = None,
    detail: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        case_id=case.id if case else None,
        task_id=task.id if task else None,
        theme_id=theme.id if theme else None,
        before=before,
        after=after,
        detail=detail,
    )
    session.add(event)
    session.flush()
    return event


def case_timeline(session: Session, case: Case) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
    return list(session.scalars(stmt))
