"""A case's progress as people see it: 受理, each item, 出件, with dates and cards."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.cases.models import Case, CaseStatus, CaseTask, TaskKind, TaskStatus
from webapp.themes.published import published_theme


@dataclass(frozen=True)
class StatusGuide:
    """How a case state reads to its applicant ("我的办件"): the state's label and the
    next step, one sentence saying what happens now and what, if anything, they do."""

    label: str
    next_step: str


# Every CaseStatus has its entry (a test walks the enum); labels are the enum's own.
_NEXT_STEPS = {
    CaseStatus.SUBMITTED: "等待综合窗口受理，受理后开始计算办理时限；受理前您可以撤回申请。",
    CaseStatus.CORRECTION: "请按一次性补正告知修改申请信息或补交材料后重新提交；"
    "补正期间不计入办理时限。",
    CaseStatus.REFUSED: "本次申请不予受理，原因见办件详情；可在具备条件后重新申请，"
    "如有异议可依法申请行政复议或提起行政诉讼。",
    CaseStatus.IN_PROGRESS: "各部门正在审批，无需您操作；办结后结果按您选择的方式统一出件。",
    CaseStatus.TERMINATED: "办件因有事项不予许可而终止，原因见办件详情；"
    "如有异议可依法申请行政复议或提起行政诉讼。",
    CaseStatus.WITHDRAWN: "申请已撤回，无需其他操作；如需办理，可重新申请。",
    CaseStatus.COMPLETED: "结果已出件，请按送达方式领取或查收；欢迎对本次服务作出评价。",
}
APPLICANT_STATUS_GUIDE: dict[CaseStatus, StatusGuide] = {
    status: StatusGuide(status.label, _NEXT_STEPS[status]) for status in CaseStatus
}


def status_guide(status: str) -> StatusGuide:
    """The applicant's label and next step for a case status (a CaseStatus value)."""
    return APPLICANT_STATUS_GUIDE[CaseStatus(status)]


_DECISION_LABELS = {
    "accepted": "已受理",
    "refused": "不予受理",
    "granted": "准予",
    "denied": "不予许可",
    "delivered": "已出件",
}


def item_progress(case: Case) -> list[dict]:
    """Each step of the case as the applicant sees it: 受理, each item, 出件."""
    theme = published_theme(case.theme_version)
    by_bpmn = {task.bpmn_id: task for task in case.tasks if task.bpmn_id}
    steps = [(TaskKind.ACCEPTANCE, theme.acceptance_task, "综合受理", "综合窗口")]
    selected = set(case.selected_items)
    for item in theme.items:
        if selected and item.code not in selected:
            continue
        steps.append((TaskKind.ITEM, item.task, item.name, item.department_name))
    steps.append((TaskKind.DELIVERY, theme.delivery_task, "统一出件", "综合窗口"))
    result = []
    for kind, bpmn_id, name, department in steps:
        task = by_bpmn.get(bpmn_id)
        state, label = _step_state(task)
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


def _step_state(task: CaseTask | None) -> tuple[str, str]:
    if task is None:
        return "pending", "未开始"
    if task.status == TaskStatus.OPEN:
        return "active", "办理中"
    if task.status == TaskStatus.SUSPENDED:
        return "active", "待补正"
    if task.status == TaskStatus.COMPLETED:
        decision = (task.outcome or {}).get("decision")
        if decision in ("refused", "denied"):
            return "error", _DECISION_LABELS[decision]
        return "done", _DECISION_LABELS.get(decision, "已办结")
    return "cancelled", "已取消"
