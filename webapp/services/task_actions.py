"""One entry point for "act on this task", shared by the clerk pages and the JSON API.

The action names are the workbench's verbs; each maps to one service function. When no
action is given, the task's natural completion is meant (受理, 准予, 出件).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ..models import CaseTask, User
from . import approvals, front_desk
from .case_tasks import task_for
from .cases import task_kind
from .errors import Invalid

ACTIONS_BY_KIND = {
    "acceptance": ("accept", "accept_with_gap", "correct", "refuse"),
    "item": ("grant", "deny"),
    "delivery": ("deliver",),
}
DEFAULT_ACTION = {"acceptance": "accept", "item": "grant", "delivery": "deliver"}
ACTION_LABELS = {
    "accept": "受理",
    "accept_with_gap": "容缺受理",
    "correct": "一次性告知补正",
    "refuse": "不予受理",
    "grant": "准予",
    "deny": "不予许可",
    "deliver": "统一出件",
}


def kind_of(session: Session, actor: User, task_id: int) -> tuple[CaseTask, str]:
    task = task_for(session, actor, task_id)
    return task, task_kind(task.case.theme_version.definition, task.bpmn_id)


def act_on_task(session: Session, actor: User, task_id: int, values: dict) -> CaseTask:
    """Do `values["action"]` (or the natural completion) on the task; raise service errors."""
    _, kind = kind_of(session, actor, task_id)
    action = values.get("action") or DEFAULT_ACTION[kind]
    if action not in ACTIONS_BY_KIND[kind]:
        raise Invalid("此任务不能执行该操作", details=[{"field": "action", "message": "无效"}])
    if action == "accept":
        return front_desk.accept(session, actor, task_id, values.get("opinion") or "予以受理")
    if action == "accept_with_gap":
        gaps = [(g["material"], _date(g["promised_date"])) for g in values.get("gaps") or []]
        if not gaps:
            raise Invalid("请登记容缺的材料", details=[{"field": "gaps", "message": "必填"}])
        return front_desk.accept(
            session, actor, task_id, values.get("opinion") or "容缺受理", gaps=gaps
        )
    if action == "correct":
        return front_desk.request_correction(
            session,
            actor,
            task_id,
            list(values.get("fields") or []),
            list(values.get("materials") or []),
            values.get("note") or "",
        )
    if action == "refuse":
        return front_desk.refuse(
            session, actor, task_id, _required(values, "reason", "不予受理理由")
        )
    if action == "grant":
        return approvals.grant(
            session,
            actor,
            task_id,
            _required(values, "opinion", "审批意见"),
            values.get("result_no") or "",
        )
    if action == "deny":
        return approvals.deny(session, actor, task_id, _required(values, "reason", "不予许可理由"))
    return front_desk.deliver(
        session,
        actor,
        task_id,
        values.get("method") or "",
        values.get("tracking_no") or "",
        values.get("note") or "",
    )


def _required(values: dict, key: str, label: str) -> str:
    value = (values.get(key) or "").strip()
    if not value:
        raise Invalid(f"请填写{label}", details=[{"field": key, "message": f"请填写{label}"}])
    return value


def _date(value) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(
            "承诺补齐日期格式有误", details=[{"field": "promised_date", "message": "应为日期"}]
        ) from None
