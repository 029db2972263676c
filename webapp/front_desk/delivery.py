"""统一窗口出件: every result of the case handed out in one place, one way; then 办结."""

from __future__ import annotations

from sqlalchemy.orm import Session

from webapp.accounts.models import User
from webapp.audit import trail
from webapp.cases.models import Case, CaseStatus, CaseTask, TaskKind, TaskStatus
from webapp.cases.steps import engine_step
from webapp.cases.tasks import decision_data, mark_done
from webapp.clock import now
from webapp.domain_errors import Conflict, Invalid
from webapp.front_desk.acceptance import lock_window_task, open_gaps

DELIVERY_METHODS = {"window": "窗口领取", "post": "邮政寄递", "electronic": "电子送达"}


def deliver(
    session: Session, actor: User, task_id: int, method: str, tracking_no: str, note: str = ""
) -> CaseTask:
    """统一出件: all results in one place, one delivery method; the case is 办结."""
    case, task = lock_window_task(session, actor, task_id, TaskKind.DELIVERY)
    missing = open_gaps(case)
    if missing:
        names = "、".join(g.material_name for g in missing)
        raise Conflict(f"容缺材料尚未补齐（{names}），结果暂缓出件")
    if method not in DELIVERY_METHODS:
        raise Invalid("送达方式有误", details=[{"field": "method", "message": "请选择送达方式"}])
    if method == "post" and not tracking_no.strip():
        raise Invalid(
            "邮政寄递须填写运单号", details=[{"field": "tracking_no", "message": "请填写运单号"}]
        )
    at = now()
    outcome = {
        "decision": "delivered",
        "method": method,
        "method_label": DELIVERY_METHODS[method],
        "tracking_no": tracking_no.strip(),
        "note": note,
        "results": case_results(case),
    }
    with engine_step(session, case, at) as step:
        step.complete(task, decision_data(task, outcome))
        before = mark_done(task, actor, outcome, at)
        case.delivery = {**outcome, "delivered_at": at.isoformat(), "by": actor.display_name}
        if step.is_complete:
            case.status = CaseStatus.COMPLETED
            case.completed_at = at
        trail.record(
            session,
            actor,
            "case.completed" if case.status == CaseStatus.COMPLETED else "task.delivered",
            case=case,
            task=task,
            before=before,
            after={"task_status": task.status, "case_status": case.status, "outcome": outcome},
        )
    return task


def case_results(case: Case) -> list[dict]:
    """What the items produced: granted results with numbers, denied items with reasons."""
    results = []
    for task in case.tasks:
        if task.kind != TaskKind.ITEM or task.status != TaskStatus.COMPLETED or not task.outcome:
            continue
        results.append(
            {
                "item": task.item_code,
                "task": task.name,
                "department": task.department.name,
                "decision": task.outcome.get("decision", "granted"),
                "result_name": task.outcome.get("result_name", ""),
                "result_no": task.outcome.get("result_no", ""),
                "e_licence": task.outcome.get("e_licence", False),
                "reason": task.outcome.get("reason", ""),
            }
        )
    return results
