"""Approval levels (审批层级) inside an item's BPMN task, handled by the application.

The catalog declares an item's levels (e.g. 承办人审查 → 科室负责人审核 → 分管领导审批); the
diagram keeps one user task for the item, as the analysts drew it. The task's row carries
its present `level` and `holder_role` (who in the department acts now: the access policy's
`holds_task`), and each level's opinion in `reviews`. A lower level 上报 (submits) with its
proposal and opinion; a higher level may 退回 (send back) to the level below with a reason,
and the task returns to whoever handled that level; the last level's 准予/不予 is the item's
decision (approvals/decisions.py). An item with one level is decided as always.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from forms.items import ONE_LEVEL, ApprovalLevel
from webapp import access_policy
from webapp.accounts.models import Role, User
from webapp.audit import trail
from webapp.back_office import promises
from webapp.cases.locking import lock_for_action
from webapp.cases.models import Case, CaseTask, TaskKind, TaskStatus
from webapp.clock import now
from webapp.deadlines import limits
from webapp.domain_errors import Conflict, Invalid
from webapp.themes.published import published_theme

PROPOSALS = {"grant": "拟准予", "deny": "拟不予"}


def levels_of(case: Case, task: CaseTask) -> tuple[ApprovalLevel, ...]:
    item = published_theme(case.theme_version).item(task.item_code)
    return item.levels if item is not None else ONE_LEVEL


def present_level(case: Case, task: CaseTask) -> ApprovalLevel:
    levels = levels_of(case, task)
    return levels[min(task.level or 0, len(levels) - 1)]


def at_last_level(case: Case, task: CaseTask) -> bool:
    return (task.level or 0) >= len(levels_of(case, task)) - 1


def lock_item_task(session: Session, actor: User, task_id: int) -> tuple[Case, CaseTask]:
    case, task = lock_for_action(session, actor, task_id)
    if task.kind != TaskKind.ITEM:
        raise Conflict("此操作不适用于该任务")
    return case, task


def check_may_decide(session: Session, case: Case, task: CaseTask) -> None:
    """准予/不予 is the last level's, and never while the item's clock is stopped.

    告知承诺制: with the applicant's promise signed, the first level may decide on the spot.
    """
    if limits.task_is_paused(task):
        raise Conflict("特别程序或补正尚未结束，结束后才能作出决定")
    if at_last_level(case, task) or promises.signed_promise(session, case, task.item_code):
        return
    levels = levels_of(case, task)
    names = " → ".join(lv.name for lv in levels)
    raise Conflict(
        f"本事项须逐级审批（{names}），当前为“{present_level(case, task).name}”，"
        "请填写意见后上报，由最后一级作出决定"
    )


def _review(task: CaseTask, level: ApprovalLevel, decision: str, opinion: str, actor, at):
    task.reviews = [
        *(task.reviews or []),
        {
            "level": task.level or 0,
            "name": level.name,
            "decision": decision,
            "opinion": opinion,
            "by": actor.display_name,
            "by_id": actor.id,
            "at": at.isoformat(),
        },
    ]


def record_decision(
    session: Session, case: Case, task: CaseTask, actor: User, outcome: dict, at
) -> None:
    """The deciding level's entry (called by the item's 准予/不予); a 延期 still waiting
    for the head is moot once the item is decided, and is cancelled."""
    level = present_level(case, task)
    opinion = outcome.get("opinion") or outcome.get("reason") or ""
    _review(task, level, outcome["decision"], opinion, actor, at)
    for waiting in case.tasks:
        about = (waiting.subject or {}).get("task_id")
        if waiting.kind == TaskKind.EXTENSION and waiting.status == "open" and about == task.id:
            waiting.status = TaskStatus.CANCELLED
            trail.record(
                session, actor, "task.cancelled", case=case, task=waiting,
                before={"task_status": "open"}, after={"task_status": TaskStatus.CANCELLED},
            )  # fmt: skip


def submit(session: Session, actor: User, task_id: int, values: dict) -> CaseTask:
    """上报: this level's proposal and opinion; the task moves to the next level."""
    case, task = lock_item_task(session, actor, task_id)
    if at_last_level(case, task):
        raise Conflict("已是最后一级审批，请直接作出决定")
    if limits.task_is_paused(task):
        raise Conflict("特别程序或补正尚未结束，结束后才能上报")
    proposal = values["proposal"]
    opinion = values["opinion"].strip()
    if not opinion:
        raise Invalid("请填写审查意见", details=[{"field": "opinion", "message": "必填"}])
    levels = levels_of(case, task)
    at = now()
    here = present_level(case, task)
    _review(task, here, f"propose_{proposal}", opinion, actor, at)
    _move(session, actor, case, task, task.level + 1, levels, at)
    trail.record(
        session, actor, "task.level_submitted", case=case, task=task,
        before={"level": here.name},
        after={"level": present_level(case, task).name, "proposal": PROPOSALS[proposal],
               "opinion": opinion},
    )  # fmt: skip
    return task


def send_back(session: Session, actor: User, task_id: int, values: dict) -> CaseTask:
    """退回: back to the level below, with the reason; to whoever handled it."""
    case, task = lock_item_task(session, actor, task_id)
    if not task.level:
        raise Conflict("第一级审批不能退回")
    reason = values["reason"].strip()
    if not reason:
        raise Invalid("请填写退回理由", details=[{"field": "reason", "message": "必填"}])
    levels = levels_of(case, task)
    at = now()
    here = present_level(case, task)
    _review(task, here, "returned", reason, actor, at)
    _move(session, actor, case, task, task.level - 1, levels, at)
    trail.record(
        session, actor, "task.level_returned", case=case, task=task,
        before={"level": here.name},
        after={"level": present_level(case, task).name, "reason": reason},
    )  # fmt: skip
    return task


def _move(session, actor, case, task, level: int, levels, at: dt.datetime) -> None:
    task.level = level
    role = levels[level].role
    # The 承办人's level is the department's approvers' as before levels: no holder named.
    task.holder_role = None if role == Role.APPROVER else role
    # Back to (or up again to) whoever last handled that level, if they still can.
    handler = next((r["by_id"] for r in reversed(task.reviews or []) if r["level"] == level), None)
    task.claimed_by = None
    task.claimed_at = None
    if handler is not None:
        user = session.get(User, handler)
        if access_policy.can_still_hold(user, task):
            task.claimed_by = user
            task.claimed_at = at
