"""统一窗口出件: every result of the case handed out in one place, one way; then 办结."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from webapp.accounts.models import Role, User
from webapp.audit import trail
from webapp.cases.models import Case, CaseStatus, CaseTask, TaskKind, TaskStatus
from webapp.cases.steps import engine_step
from webapp.cases.tasks import decision_data, mark_done
from webapp.clock import now
from webapp.domain_errors import Conflict, Invalid
from webapp.front_desk.acceptance import lock_window_task, open_gaps
from webapp.instruments import case_instruments
from webapp.themes.published import published_theme

DELIVERY_METHODS = {"window": "窗口领取", "post": "邮政寄递", "electronic": "电子送达"}
# The one form's answers that say how the applicant wants the results (field dictionary).
CHOSEN_METHOD_KEY = "delivery.method"
CHOSEN_ADDRESS_KEY = "delivery.address"


@dataclass(frozen=True)
class DeliveryChoice:
    """What the 出件 form starts from: the applicant's choice and what the results allow."""

    method: str | None  # as chosen in the one form; None for a case that did not say
    address: str | None
    electronic_possible: bool  # every granted result exists as an e-licence

    @property
    def method_label(self) -> str:
        return DELIVERY_METHODS.get(self.method or "", "未选择")


def delivery_choice(case: Case) -> DeliveryChoice:
    """The applicant's chosen delivery and whether 电子送达 is possible for this case."""
    method = case.answers.get(CHOSEN_METHOD_KEY)
    return DeliveryChoice(
        method=method if method in DELIVERY_METHODS else None,
        address=case.answers.get(CHOSEN_ADDRESS_KEY),
        electronic_possible=_all_electronic(case_results(case)),
    )


def _all_electronic(results: list[dict]) -> bool:
    # A paper licence or a seal cannot travel as a file: only when every result that is
    # handed out (granted) exists as an e-licence may the whole case be served electronically.
    granted = [r for r in results if r["decision"] != "denied"]
    return all(r["e_licence"] for r in granted)


def deliver(
    session: Session,
    actor: User,
    task_id: int,
    method: str,
    tracking_no: str,
    note: str = "",
    reason: str = "",
) -> CaseTask:
    """统一出件: all results in one place, one delivery method; the case is 办结.

    The method is the applicant's choice unless the clerk gives a reason for another one
    (kept in the outcome, the timeline and the audit event's before/after); 电子送达 only
    when every result exists electronically.
    """
    case, task = lock_window_task(session, actor, task_id, TaskKind.DELIVERY)
    missing = open_gaps(case)
    if missing:
        names = "、".join(g.material_name for g in missing)
        raise Conflict(f"容缺材料尚未补齐（{names}），结果暂缓出件")
    choice = delivery_choice(case)
    method = method or choice.method or ""
    if method not in DELIVERY_METHODS:
        raise Invalid("送达方式有误", details=[{"field": "method", "message": "请选择送达方式"}])
    results = case_results(case)
    if method == "electronic" and not choice.electronic_possible:
        paper = "、".join(
            r["result_name"] or r["task"]
            for r in results
            if r["decision"] != "denied" and not r["e_licence"]
        )
        message = f"以下结果没有电子证照，不能电子送达：{paper}；请选择窗口领取或邮政寄递"
        raise Invalid(message, details=[{"field": "method", "message": message}])
    reason = reason.strip()
    changed = choice.method is not None and method != choice.method
    if changed and not reason:
        message = f"申请人选择了“{choice.method_label}”，改用其他送达方式须填写原因"
        raise Invalid(message, details=[{"field": "reason", "message": message}])
    if method == "post" and not tracking_no.strip():
        raise Invalid(
            "邮政寄递须填写运单号", details=[{"field": "tracking_no", "message": "请填写运单号"}]
        )
    at = now()
    outcome = {
        "decision": "delivered",
        "method": method,
        "method_label": DELIVERY_METHODS[method],
        "chosen_method": choice.method,
        "chosen_method_label": choice.method_label,
        "method_change_reason": reason if changed else "",
        "address": (choice.address or "") if method == "post" else "",
        "tracking_no": tracking_no.strip(),
        "note": note,
        "results": results,
    }
    with engine_step(session, case, at) as step:
        step.complete(task, decision_data(task, outcome))
        before = mark_done(task, actor, outcome, at)
        case.delivery = {**outcome, "delivered_at": at.isoformat(), "by": actor.display_name}
        point = actor.service_point(Role.FRONT_DESK)  # 同城通办: where it was handed out
        case.delivered_point_id = point.id if point else None
        if step.is_complete:
            case.status = CaseStatus.COMPLETED
            case.completed_at = at
        trail.record(
            session,
            actor,
            "case.completed" if case.status == CaseStatus.COMPLETED else "task.delivered",
            case=case,
            task=task,
            before={**(before or {}), "delivery_method": choice.method},
            after={
                "task_status": task.status,
                "case_status": case.status,
                "delivery_method": method,
                "outcome": outcome,
            },
        )
    case_instruments.issue_delivery(session, actor, case, outcome)
    return task


def case_results(case: Case) -> list[dict]:
    """What the items produced: granted results with numbers, denied items with reasons."""
    results = []
    theme = published_theme(case.theme_version)
    for task in case.tasks:
        if task.kind != TaskKind.ITEM or task.status != TaskStatus.COMPLETED or not task.outcome:
            continue
        words = theme.words(task.item_code)
        decision = task.outcome.get("decision", "granted")
        results.append(
            {
                "item": task.item_code,
                "task": task.name,
                "department": task.department.name,
                "decision": decision,
                "word": words.deny if decision == "denied" else words.grant,
                "result_name": task.outcome.get("result_name", ""),
                "result_no": task.outcome.get("result_no", ""),
                "e_licence": task.outcome.get("e_licence", False),
                "reason": task.outcome.get("reason", ""),
            }
        )
    return results
