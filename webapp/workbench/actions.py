"""Every action a clerk can take on a task, one entry point for the pages and the API.

Each action has a name (the API's and the forms' `action`), the kind of task it applies to,
the verb people see, and the service that does it. Its input is checked by its own
marshmallow schema (views/inputs.py `ACTION_INPUTS`) before it gets here. With no action
named, the task's natural completion is meant (受理, 准予, 出件).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from webapp.accounts.models import User
from webapp.approvals import decisions
from webapp.back_office import extensions, levels, promises, special_procedures, supplements
from webapp.cases.locking import lock_task
from webapp.cases.models import CaseTask, TaskKind
from webapp.domain_errors import Invalid
from webapp.front_desk import acceptance, delivery
from webapp.ratings import service as ratings
from webapp.supervision import urging


@dataclass(frozen=True)
class TaskAction:
    name: str
    kind: TaskKind
    verb: str
    run: Callable[[Session, User, int, dict], CaseTask]


def _accept(session, actor, task_id, values):
    return acceptance.accept(
        session,
        actor,
        task_id,
        values.get("opinion") or "予以受理",
        paper_received=values.get("paper_received"),
    )


def _accept_with_gap(session, actor, task_id, values):
    gaps = [(g["material"], _date(g["promised_date"])) for g in values.get("gaps") or []]
    if not gaps:
        raise Invalid("请登记容缺的材料", details=[{"field": "gaps", "message": "必填"}])
    opinion = values.get("opinion") or "容缺受理"
    return acceptance.accept(
        session, actor, task_id, opinion, gaps=gaps, paper_received=values.get("paper_received")
    )


def _correct(session, actor, task_id, values):
    return acceptance.request_correction(
        session,
        actor,
        task_id,
        list(values.get("fields") or []),
        list(values.get("materials") or []),
        values.get("note") or "",
    )


def _refuse(session, actor, task_id, values):
    return acceptance.refuse(session, actor, task_id, _required(values, "reason", "不予受理理由"))


def _grant(session, actor, task_id, values):
    opinion = _required(values, "opinion", "审批意见")
    return decisions.grant(session, actor, task_id, opinion, values.get("result_no") or "")


def _deny(session, actor, task_id, values):
    return decisions.deny(session, actor, task_id, _required(values, "reason", "不予的理由"))


def _deliver(session, actor, task_id, values):
    return delivery.deliver(
        session,
        actor,
        task_id,
        values.get("method") or "",
        values.get("tracking_no") or "",
        values.get("note") or "",
        values.get("reason") or "",
    )


ACTIONS: dict[str, TaskAction] = {
    a.name: a
    for a in (
        TaskAction("accept", TaskKind.ACCEPTANCE, "受理", _accept),
        TaskAction("accept_with_gap", TaskKind.ACCEPTANCE, "容缺受理", _accept_with_gap),
        TaskAction("correct", TaskKind.ACCEPTANCE, "一次性告知补正", _correct),
        TaskAction("refuse", TaskKind.ACCEPTANCE, "不予受理", _refuse),
        TaskAction("grant", TaskKind.ITEM, "准予", _grant),
        # The words people see follow the item's type (forms/item_types.py): 不予许可,
        # 不予登记, 不予办理; these are the actions' generic names.
        TaskAction("deny", TaskKind.ITEM, "不予", _deny),
        TaskAction("deliver", TaskKind.DELIVERY, "统一出件", _deliver),
        TaskAction("rectify", TaskKind.RECTIFICATION, "整改答复", ratings.rectify),
        TaskAction("reply_urge", TaskKind.URGE_REPLY, "催办回复", urging.reply),
        # The back office as the law runs it (back_office/): levels inside the item's task,
        # its clock stopped by 特别程序 and 补正, 延期 by the head, 告知承诺 事后核查.
        TaskAction("submit_level", TaskKind.ITEM, "上报", levels.submit),
        TaskAction("send_back", TaskKind.ITEM, "退回", levels.send_back),
        TaskAction("start_special", TaskKind.ITEM, "启动特别程序", special_procedures.start),
        TaskAction("request_extension", TaskKind.ITEM, "申请延期", extensions.request),
        TaskAction("request_supplement", TaskKind.ITEM, "退回补正", supplements.request),
        TaskAction("supplement_received", TaskKind.ITEM, "补正材料已收到", supplements.received),
        TaskAction(
            "end_special", TaskKind.SPECIAL_PROCEDURE, "结束特别程序", special_procedures.end
        ),
        TaskAction("approve_extension", TaskKind.EXTENSION, "同意延期", extensions.approve),
        TaskAction("reject_extension", TaskKind.EXTENSION, "不同意延期", extensions.reject),
        TaskAction("confirm_promise", TaskKind.POST_CHECK, "核查属实", promises.confirm),
        TaskAction("refute_promise", TaskKind.POST_CHECK, "承诺不实，撤销", promises.refute),
    )
}
DEFAULT_ACTION = {
    TaskKind.ACCEPTANCE: "accept",
    TaskKind.ITEM: "grant",
    TaskKind.DELIVERY: "deliver",
    TaskKind.RECTIFICATION: "rectify",
    TaskKind.URGE_REPLY: "reply_urge",
    TaskKind.SPECIAL_PROCEDURE: "end_special",
    TaskKind.EXTENSION: "approve_extension",
    TaskKind.POST_CHECK: "confirm_promise",
}


def action_for(task: CaseTask, name: str | None) -> TaskAction:
    """The named action (or the task's natural completion), if it applies to this task."""
    action = ACTIONS.get(name or DEFAULT_ACTION.get(TaskKind(task.kind), ""))
    if action is None or action.kind != task.kind:
        raise Invalid("此任务不能执行该操作", details=[{"field": "action", "message": "无效"}])
    return action


def act_on_task(
    session: Session, actor: User, task_id: int, action_name: str | None, values: dict
) -> CaseTask:
    """Do the action on the task with its checked input; raise service errors.

    The case is locked here, before the action is chosen by the task's kind: the action's
    own lock then reads nothing again (cases/locking.py)."""
    _case, task = lock_task(session, actor, task_id)
    return action_for(task, action_name).run(session, actor, task_id, values)


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
