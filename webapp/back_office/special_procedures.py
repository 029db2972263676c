"""特别程序 (行政许可法 §45): 听证, 招标, 拍卖, 检验, 检测, 检疫, 鉴定, 专家评审 — and in
practice 现场勘查 — whose time is not counted in the item's time limit.

An approver starts one on an item's task (kind, reason, expected working days): the item's
own clock stops (`CaseTask.pauses`, so its due dates, its cards and the case's promised
date move by the time it takes), the applicant gets the 特别程序告知书, and the procedure
itself is a task outside BPMN in the department's inbox, due at its expected end, so it
turns yellow and red on its own like any task. Ending it (with its result) restarts the
item's clock; nothing can be decided on the item meanwhile.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from webapp.accounts.models import User
from webapp.audit import trail
from webapp.back_office.levels import lock_item_task
from webapp.cases.locking import lock_for_action
from webapp.cases.models import Case, CaseTask, TaskKind
from webapp.cases.tasks import mark_done, open_task
from webapp.clock import now
from webapp.deadlines import limits
from webapp.domain_errors import Conflict
from webapp.instruments.issuing import issue
from webapp.notifications import outbox
from webapp.themes.published import published_theme

KINDS = ("听证", "招标", "拍卖", "检验", "检测", "检疫", "鉴定", "专家评审", "现场勘查")
BASIS = "《中华人民共和国行政许可法》第四十五条"
# 现场勘查 is the usual one for a 食品经营许可 and the like; longer ones are rare.
MAX_EXPECTED_DAYS = 60


def start(session: Session, actor: User, task_id: int, values: dict) -> CaseTask:
    """Start a 特别程序 on the item's task; returns the procedure's own task."""
    case, task = lock_item_task(session, actor, task_id)
    if limits.task_is_paused(task):
        raise Conflict("本事项已有进行中的特别程序或补正，结束后才能开始新的特别程序")
    kind, reason, days = values["kind"], values["reason"].strip(), int(values["expected_days"])
    at = now()
    special = open_task(
        session,
        case,
        kind=TaskKind.SPECIAL_PROCEDURE,
        name=f"特别程序·{kind}：{task.name}",
        department=task.department,
        allowed_days=Decimal(days),
        at=at,
        assignee=actor,
        subject={"task_id": task.id, "kind": kind, "reason": reason, "expected_days": days},
    )
    # Whoever's level started it ends it (a 科室负责人's 现场勘查 is theirs).
    special.holder_role = task.holder_role
    before = _dates(case, task)
    task.pauses = [
        *(task.pauses or []),
        {"start": at.isoformat(), "end": None, "reason": "special", "ref": special.id},
    ]
    _reschedule(case, task)
    trail.record(
        session, actor, "special.started", case=case, task=task, before=before,
        after={"kind": kind, "reason": reason, "expected_days": days,
               "expected_end": special.due_at.isoformat() if special.due_at else None},
    )  # fmt: skip
    issue(
        session,
        actor,
        case,
        "special_procedure",
        {
            "item": task.name,
            "kind": kind,
            "reason": reason,
            "expected_days": days,
            "started_at": at.isoformat(),
            "expected_end": special.due_at.isoformat(),
            "basis": BASIS,
        },
        office=task.department.name,
    )
    outbox.notify_case(session, "special_started", case, item=task.name, kind=kind, days=days)
    case.next_check_at = limits.next_check(case, at, case.next_timer_at)
    return special


def end(session: Session, actor: User, task_id: int, values: dict) -> CaseTask:
    """End the procedure with its result: the item's clock runs again."""
    case, special = lock_for_action(session, actor, task_id)
    if special.kind != TaskKind.SPECIAL_PROCEDURE:
        raise Conflict("此操作不适用于该任务")
    subject = special.subject or {}
    task = session.get(CaseTask, subject["task_id"])
    at = now()
    result = values["result"].strip()
    before = mark_done(special, actor, {"decision": "ended", "result": result}, at)
    task.pauses = [
        {**p, "end": at.isoformat()} if p.get("ref") == special.id and not p.get("end") else p
        for p in task.pauses or []
    ]
    _reschedule(case, task)
    trail.record(
        session, actor, "special.ended", case=case, task=task, before=before,
        after={"kind": subject["kind"], "result": result, **_dates(case, task)},
    )  # fmt: skip
    outbox.notify_case(session, "special_ended", case, item=task.name, kind=subject["kind"])
    limits.evaluate_cards(session, case, at)
    case.next_check_at = limits.next_check(case, at, case.next_timer_at)
    return special


def running(case: Case, task: CaseTask) -> CaseTask | None:
    """The item's open 特别程序, if any (for the task page)."""
    return next(
        (
            t
            for t in case.tasks
            if t.kind == TaskKind.SPECIAL_PROCEDURE
            and t.status == "open"
            and (t.subject or {}).get("task_id") == task.id
        ),
        None,
    )


def _reschedule(case: Case, task: CaseTask) -> None:
    limits.schedule(case, task, published_theme(case.theme_version).yellow_card_at)
    limits.schedule_case(case)


def _dates(case: Case, task: CaseTask) -> dict:
    def iso(value):
        return value.isoformat() if value else None

    return {
        "due_at": iso(task.due_at),
        "legal_due_at": iso(task.legal_due_at),
        "promised_at": iso(case.promised_at),
    }
