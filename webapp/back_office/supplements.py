"""退回补正 during review: an approver asks for more material on an item.

The request is one list, all at once (the 补正材料告知书), and stops the item's own clock
(a `supplement` entry in `CaseTask.pauses`, which keeps the list). The applicant uploads
online exactly as at acceptance (the access policy opens those materials to upload while
the request is open) or brings paper to the window; the approver then records the
material received, with what arrived, and the clock runs again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from webapp.accounts.models import User
from webapp.audit import trail
from webapp.back_office.levels import lock_item_task
from webapp.cases.case_forms import visible_materials
from webapp.cases.models import Case, CaseTask
from webapp.clock import now
from webapp.deadlines import limits
from webapp.domain_errors import Conflict, Invalid
from webapp.instruments.issuing import issue
from webapp.materials.files import files_of
from webapp.notifications import outbox
from webapp.themes.published import published_theme

HOW = (
    "请登录一件事集成服务平台，在本办件页面的“申请材料”中上传补正材料；需要提交纸质件的，"
    "请携带原件到综合受理窗口。"
)


def open_request(task: CaseTask) -> dict | None:
    """The item's open 补正 request (its pause entry), if any."""
    return next(
        (p for p in task.pauses or [] if p["reason"] == "supplement" and not p.get("end")), None
    )


def request(session: Session, actor: User, task_id: int, values: dict) -> CaseTask:
    """Ask for the listed materials; the item's clock stops until they are received."""
    case, task = lock_item_task(session, actor, task_id)
    if limits.task_is_paused(task):
        raise Conflict("本事项已有进行中的特别程序或补正，结束后才能要求补正")
    known = {m.code: m.name for m in visible_materials(actor, case)}
    codes = list(dict.fromkeys(values.get("materials") or []))
    if not codes:
        raise Invalid("请选择需补交的材料", details=[{"field": "materials", "message": "必选"}])
    wrong = [c for c in codes if c not in known]
    if wrong:
        raise Invalid(
            "补正清单有误",
            details=[{"field": c, "message": "不在本事项的材料清单中"} for c in wrong],
        )
    at = now()
    note = (values.get("note") or "").strip()
    materials = [{"code": c, "name": known[c]} for c in codes]
    task.pauses = [
        *(task.pauses or []),
        {"start": at.isoformat(), "end": None, "reason": "supplement", "materials": materials,
         "note": note, "requested_by": actor.display_name},
    ]  # fmt: skip
    _reschedule(case, task)
    trail.record(
        session, actor, "supplement.requested", case=case, task=task,
        after={"materials": [m["name"] for m in materials], "note": note},
    )  # fmt: skip
    issue(
        session,
        actor,
        case,
        "supplement",
        {
            "item": task.name,
            "department": task.department.name,
            "materials": [m["name"] for m in materials],
            "note": note,
            "requested_at": at.isoformat(),
            "how": HOW,
        },
        office=task.department.name,
    )
    outbox.notify_case(
        session, "supplement_requested", case, item=task.name,
        materials="、".join(m["name"] for m in materials), note=note or "无",
    )  # fmt: skip
    case.next_check_at = limits.next_check(case, at, case.next_timer_at)
    return task


def received(session: Session, actor: User, task_id: int, values: dict) -> CaseTask:
    """The asked materials arrived (online, or on paper at the window): the clock runs."""
    case, task = lock_item_task(session, actor, task_id)
    asked = open_request(task)
    if asked is None:
        raise Conflict("本事项没有待补正的材料")
    since = dt.datetime.fromisoformat(asked["start"])
    online = fresh_uploads(session, case, asked)
    on_paper = bool(values.get("on_paper"))
    missing = [m for m in asked["materials"] if m["code"] not in online]
    if missing and not on_paper:
        names = "、".join(f"“{m['name']}”" for m in missing)
        raise Invalid(
            f"尚未收到{names}：申请人在线上传后再确认，或勾选“已在窗口核收纸质件”",
            details=[{"field": m["code"], "message": "未上传"} for m in missing],
        )
    at = now()
    task.pauses = [{**p, "end": at.isoformat()} if p == asked else p for p in task.pauses]
    _reschedule(case, task)
    trail.record(
        session, actor, "supplement.received", case=case, task=task,
        after={"materials": [m["name"] for m in asked["materials"]],
               "online": sorted(online), "on_paper": on_paper,
               "paused_from": since.isoformat()},
    )  # fmt: skip
    limits.evaluate_cards(session, case, at)
    case.next_check_at = limits.next_check(case, at, case.next_timer_at)
    return task


def fresh_uploads(session: Session, case: Case, asked: dict) -> set[str]:
    """Codes of the asked materials with a file uploaded since the request."""
    since = dt.datetime.fromisoformat(asked["start"])
    codes = {m["code"] for m in asked["materials"]}
    return {
        f.material_code
        for f in files_of(session, case)
        if f.material_code in codes and f.uploaded_at >= since
    }


def _reschedule(case: Case, task: CaseTask) -> None:
    limits.schedule(case, task, published_theme(case.theme_version).yellow_card_at)
    limits.schedule_case(case)
