"""A case's progress as people see it: 受理, each item, 出件, with dates and cards."""

from __future__ import annotations

from forms.item_types import DecisionWords
from webapp.cases.models import Case, CaseTask, TaskKind, TaskStatus
from webapp.themes.published import published_theme

_DECISION_LABELS = {
    "accepted": "已受理",
    "refused": "不予受理",
    "delivered": "已出件",
}


def item_progress(case: Case) -> list[dict]:
    """Each step of the case as the applicant sees it: 受理, each item, 出件."""
    theme = published_theme(case.theme_version)
    by_bpmn = {task.bpmn_id: task for task in case.tasks if task.bpmn_id}
    steps = [(TaskKind.ACCEPTANCE, theme.acceptance_task, "综合受理", "综合窗口", None)]
    selected = set(case.selected_items)
    for item in theme.items:
        if selected and item.code not in selected:
            continue
        steps.append((TaskKind.ITEM, item.task, item.name, item.department_name, item.words))
    steps.append((TaskKind.DELIVERY, theme.delivery_task, "统一出件", "综合窗口", None))
    result = []
    for kind, bpmn_id, name, department, words in steps:
        task = by_bpmn.get(bpmn_id)
        state, label = _step_state(task, words)
        is_open = task is not None and task.status == TaskStatus.OPEN
        result.append(
            {
                "kind": str(kind),
                "bpmn_id": bpmn_id,
                "name": name,
                "department": department,
                "state": state,
                "label": label,
                "completed_at": task.completed_at if task else None,
                "due_at": task.due_at if is_open else None,
                "card": task.card if is_open else None,
            }
        )
    return result


def _step_state(task: CaseTask | None, words: DecisionWords | None) -> tuple[str, str]:
    if task is None:
        return "pending", "未开始"
    if task.status == TaskStatus.OPEN:
        return "active", "办理中"
    if task.status == TaskStatus.SUSPENDED:
        return "active", "待补正"
    if task.status == TaskStatus.COMPLETED:
        decision = (task.outcome or {}).get("decision")
        if words is not None and decision in ("granted", "denied"):
            # An item's decision in its type's words: 准予许可, 予以登记, 办结 …
            return ("done", words.grant) if decision == "granted" else ("error", words.deny)
        if decision == "refused":
            return "error", _DECISION_LABELS[decision]
        return "done", _DECISION_LABELS.get(decision, "已办结")
    return "cancelled", "已取消"
