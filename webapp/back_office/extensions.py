"""延期 (行政许可法 §42): an approver asks for more working days on an item, with a reason;
the head of the office (分管领导, role `department_head` in the department) approves or
rejects it in a task outside BPMN. An approved 延期 adds its days to the item's promised
and legal limits (and to the case's promise); the applicant gets the 延期告知书. At most
`EXTENSION_MAX_DAYS` days, `EXTENSION_MAX_TIMES` times per item (settings; the law: once,
10 working days, unless a law says otherwise).
"""

from __future__ import annotations

from decimal import Decimal

from flask import current_app
from sqlalchemy.orm import Session

from webapp.accounts.models import Department, Role, User
from webapp.audit import trail
from webapp.back_office.levels import lock_item_task
from webapp.cases.locking import lock_for_action
from webapp.cases.models import Case, CaseTask, TaskKind, TaskStatus
from webapp.cases.tasks import mark_done, open_task
from webapp.clock import CHINA_TZ, now
from webapp.deadlines import limits
from webapp.domain_errors import Conflict, Invalid
from webapp.instruments.issuing import issue
from webapp.notifications import outbox
from webapp.themes.published import published_theme

BASIS = "《中华人民共和国行政许可法》第四十二条"


def max_days() -> int:
    return int(current_app.config.get("EXTENSION_MAX_DAYS", 10))


def max_times() -> int:
    return int(current_app.config.get("EXTENSION_MAX_TIMES", 1))


def extensions_of(case: Case, task: CaseTask) -> list[CaseTask]:
    """The item's 延期 requests (their own tasks), oldest first."""
    return [
        t
        for t in case.tasks
        if t.kind == TaskKind.EXTENSION and (t.subject or {}).get("task_id") == task.id
    ]


def may_request(case: Case, task: CaseTask) -> str | None:
    """Why no 延期 can be asked for the item now, or None."""
    asked = extensions_of(case, task)
    if any(t.status == TaskStatus.OPEN for t in asked):
        return "已有延期申请等待负责人审批"
    approved = [t for t in asked if (t.outcome or {}).get("decision") == "approved"]
    if len(approved) >= max_times():
        return f"本事项已延期 {len(approved)} 次，依法不能再延期"
    return None


def request(session: Session, actor: User, task_id: int, values: dict) -> CaseTask:
    """Ask the head for `days` more working days; returns the approval task."""
    case, task = lock_item_task(session, actor, task_id)
    why_not = may_request(case, task)
    if why_not:
        raise Conflict(why_not)
    days, reason = int(values["days"]), values["reason"].strip()
    if not 1 <= days <= max_days():
        message = f"延长期限应为 1 至 {max_days()} 个工作日（行政许可法第四十二条）"
        raise Invalid(message, details=[{"field": "days", "message": message}])
    if not reason:
        raise Invalid("请填写延期理由", details=[{"field": "reason", "message": "必填"}])
    at = now()
    approval = open_task(
        session,
        case,
        kind=TaskKind.EXTENSION,
        name=f"延期审批：{task.name}",
        department=session.get(Department, task.department_id),
        allowed_days=Decimal(current_app.config.get("EXTENSION_APPROVAL_DAYS", 1)),
        at=at,
        subject={"task_id": task.id, "days": days, "reason": reason,
                 "requested_by": actor.display_name},
    )  # fmt: skip
    approval.holder_role = Role.DEPARTMENT_HEAD.value
    trail.record(
        session, actor, "extension.requested", case=case, task=task,
        after={"days": days, "reason": reason},
    )  # fmt: skip
    case.next_check_at = limits.next_check(case, at, case.next_timer_at)
    return approval


def approve(session: Session, actor: User, task_id: int, values: dict) -> CaseTask:
    """The head's approval: the item's limits and the case's promise move by the days."""
    case, approval, task = _lock_approval(session, actor, task_id)
    subject = approval.subject or {}
    days = Decimal(subject["days"])
    at = now()
    opinion = (values.get("opinion") or "").strip() or "同意延期"
    before = mark_done(approval, actor, {"decision": "approved", "opinion": opinion}, at)
    old = {"due_at": _iso(task.due_at), "legal_due_at": _iso(task.legal_due_at)}
    task.allowed_days = (task.allowed_days or 0) + days
    if task.legal_days is not None:
        task.legal_days += days
    task.extended_days = (task.extended_days or 0) + days
    limits.schedule(case, task, published_theme(case.theme_version).yellow_card_at)
    limits.schedule_case(case)
    limits.evaluate_cards(session, case, at)
    trail.record(
        session, actor, "extension.approved", case=case, task=task,
        before={**before, **old},
        after={"days": str(days), "due_at": _iso(task.due_at),
               "legal_due_at": _iso(task.legal_due_at), "promised_at": _iso(case.promised_at)},
    )  # fmt: skip
    issue(
        session,
        actor,
        case,
        "extension",
        {
            "item": task.name,
            "days": subject["days"],
            "reason": subject["reason"],
            "new_due_at": _iso(task.due_at),
            "new_legal_due_at": _iso(task.legal_due_at),
            "approved_by": actor.display_name,
            "approved_at": at.isoformat(),
            "basis": BASIS,
        },
        office=task.department.name,
    )
    until = task.due_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if task.due_at else "—"
    outbox.notify_case(
        session, "extension_approved", case, item=task.name, days=subject["days"],
        until=until, reason=subject["reason"],
    )  # fmt: skip
    case.next_check_at = limits.next_check(case, at, case.next_timer_at)
    return approval


def reject(session: Session, actor: User, task_id: int, values: dict) -> CaseTask:
    """The head's refusal: the limits stay; the reason is on the record for the approver."""
    case, approval, task = _lock_approval(session, actor, task_id)
    reason = (values.get("reason") or "").strip()
    if not reason:
        raise Invalid("请填写不同意延期的理由", details=[{"field": "reason", "message": "必填"}])
    at = now()
    before = mark_done(approval, actor, {"decision": "rejected", "reason": reason}, at)
    trail.record(
        session, actor, "extension.rejected", case=case, task=task, before=before,
        after={"days": (approval.subject or {}).get("days"), "reason": reason},
    )  # fmt: skip
    case.next_check_at = limits.next_check(case, at, case.next_timer_at)
    return approval


def _lock_approval(session: Session, actor: User, task_id: int):
    case, approval = lock_for_action(session, actor, task_id)
    if approval.kind != TaskKind.EXTENSION:
        raise Conflict("此操作不适用于该任务")
    task = session.get(CaseTask, (approval.subject or {})["task_id"])
    if task.status != TaskStatus.OPEN:
        raise Conflict("该事项已办结，无需延期")
    return case, approval, task


def _iso(value) -> str | None:
    return value.isoformat() if value else None
