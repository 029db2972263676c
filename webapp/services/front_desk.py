"""前台综合受理 and 统一窗口出件: what the window does with a case.

- accept (受理): the back-office items start;
- refuse (不予受理): the case ends with a reason the applicant sees;
- request correction (补正): one list of fields and materials to fix; the clock stops and
  the case waits for the applicant, then comes back to the same desk (and clerk);
- accept with a gap (容缺受理): only materials the catalog marks eligible; the promised date
  is watched by the worker, and the result is held at 出件 until the material arrives;
- deliver (统一出件): every result of the case in one place, handed out one way; 办结.
Each is one transaction (the request commits) and one or more audit events.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ..config import CHINA_TZ
from ..models import Case, CaseStatus, CaseTask, MaterialGap, Role, TaskStatus, User
from . import audit, deadlines
from .case_engine import restore_workflow
from .case_forms import case_form, case_materials, check_resubmission
from .case_lock import lock_case
from .case_tasks import (
    after_engine_step,
    complete_in_engine,
    decision_data,
    lock_for_action,
    mark_done,
    now,
    reschedule_open_tasks,
)
from .cases import task_kind
from .errors import Conflict, Forbidden, Invalid, NotFound

DELIVERY_METHODS = {"window": "窗口领取", "post": "邮政寄递", "electronic": "电子送达"}


def _front_desk_task(session: Session, actor: User, task_id: int, kind: str):
    case, task = lock_for_action(session, actor, task_id)
    actual = task_kind(case.theme_version.definition, task.bpmn_id)
    if actual != kind:
        raise Conflict("此操作不适用于该任务")
    return case, task


def accept(session: Session, actor: User, task_id: int, opinion: str, gaps=()) -> CaseTask:
    """受理 (with `gaps` = [(material code, promised date)] it is 容缺受理)."""
    case, task = _front_desk_task(session, actor, task_id, "acceptance")
    at = now()
    recorded = _record_gaps(session, actor, case, gaps, at) if gaps else []
    outcome = {"decision": "accepted", "opinion": opinion}
    if recorded:
        outcome["gaps"] = [
            {"material": g.material_name, "promised_date": g.promised_date.isoformat()}
            for g in recorded
        ]
    workflow = complete_in_engine(case, task, decision_data(task, outcome))
    before = mark_done(task, actor, outcome, at)
    case.status = CaseStatus.IN_PROGRESS
    case.accepted_at = at
    case.correction = None
    deadlines.schedule_case(case)
    audit.record(
        session,
        actor,
        "case.accepted_with_gap" if recorded else "case.accepted",
        case=case,
        task=task,
        before=before,
        after={
            "task_status": task.status,
            "case_status": case.status,
            "outcome": outcome,
            "promised_at": case.promised_at.isoformat() if case.promised_at else None,
        },
    )
    after_engine_step(session, case, workflow, at)
    return task


def _record_gaps(session, actor, case, gaps, at) -> list[MaterialGap]:
    """Check each 容缺 material against the case's material set; all problems at once."""
    materials = {m["code"]: m for m in case_materials(case) if not m.get("exempt_reason")}
    today = at.astimezone(CHINA_TZ).date()
    errors, recorded, seen = [], [], set()
    for code, promised in gaps:
        material = materials.get(code)
        if material is None:
            errors.append({"field": code, "message": "该材料不在本办件的材料清单中"})
        elif not material.get("tolerance"):
            errors.append({"field": code, "message": f"“{material['name']}”不允许容缺受理"})
        elif code in seen:
            errors.append({"field": code, "message": f"“{material['name']}”重复登记"})
        elif promised <= today or promised > today + dt.timedelta(days=90):
            errors.append({"field": code, "message": "承诺补齐日期应在今天之后、90 天之内"})
        else:
            seen.add(code)
            recorded.append(
                MaterialGap(
                    case=case,
                    material_code=code,
                    material_name=material["name"],
                    promised_date=promised,
                    recorded_by_id=actor.id,
                    recorded_at=at,
                )
            )
    if errors:
        raise Invalid("容缺登记有误", details=errors)
    for gap in recorded:
        session.add(gap)
    session.flush()
    for gap in recorded:
        audit.record(
            session,
            actor,
            "gap.recorded",
            case=case,
            after={
                "material": gap.material_name,
                "promised_date": gap.promised_date.isoformat(),
            },
        )
    return recorded


def refuse(session: Session, actor: User, task_id: int, reason: str) -> CaseTask:
    """不予受理: the case ends here; the reason is shown to the applicant."""
    case, task = _front_desk_task(session, actor, task_id, "acceptance")
    at = now()
    outcome = {"decision": "refused", "reason": reason}
    workflow = restore_workflow(case)
    workflow.cancel()
    before = mark_done(task, actor, outcome, at)
    case.status = CaseStatus.REFUSED
    case.end_reason = reason
    case.completed_at = at
    audit.record(
        session,
        actor,
        "case.refused",
        case=case,
        task=task,
        before=before,
        after={"case_status": case.status, "reason": reason},
    )
    after_engine_step(session, case, workflow, at)
    return task


def request_correction(
    session: Session, actor: User, task_id: int, fields: list[str], materials: list[str], note: str
) -> CaseTask:
    """补正: the one-time list goes to the applicant, the clock stops."""
    case, task = _front_desk_task(session, actor, task_id, "acceptance")
    if not fields and not materials:
        raise Invalid(
            "请至少选择一项需补正的内容", details=[{"field": "fields", "message": "必选"}]
        )
    form = case_form(case)
    known_materials = {m["code"]: m["name"] for m in case_materials(case)}
    errors = [{"field": f, "message": "不是本申请表的字段"} for f in fields if f not in form]
    errors += [
        {"field": m, "message": "不在本办件的材料清单中"}
        for m in materials
        if m not in known_materials
    ]
    if errors:
        raise Invalid("补正清单有误", details=errors)
    at = now()
    case.correction = {
        "fields": [{"key": f, "label": form.field(f).label} for f in fields],
        "materials": [{"code": m, "name": known_materials[m]} for m in materials],
        "note": note,
        "requested_by": actor.display_name,
        "requested_by_id": actor.id,
        "requested_at": at.isoformat(),
    }
    before = {"task_status": task.status, "case_status": case.status}
    task.status = TaskStatus.SUSPENDED
    # The case comes back to this clerk: they know what they asked for.
    task.claimed_by = actor
    task.claimed_at = at
    case.status = CaseStatus.CORRECTION
    audit.record(
        session,
        actor,
        "case.correction_requested",
        case=case,
        task=task,
        before=before,
        after={"case_status": case.status, "correction": case.correction},
    )
    deadlines.pause(session, case, "correction", at)
    reschedule_open_tasks(case)
    case.next_check_at = deadlines.next_check(case, at, None)
    return task


def resubmit(session: Session, applicant: User, case: Case, answers: dict) -> Case:
    """The applicant's corrected application: validated in full, back to the same desk."""
    case = lock_case(session, case.id)
    if case.applicant_id != applicant.id:
        raise NotFound("办件不存在")
    if case.status != CaseStatus.CORRECTION:
        raise Conflict("该办件当前不需要补正")
    storable, errors = check_resubmission(case, answers)
    if errors:
        raise Invalid("申请表有误，请修改后再提交", details=errors)
    at = now()
    changed = sorted(
        k for k in set(storable) | set(case.answers) if storable.get(k) != case.answers.get(k)
    )
    case.answers = storable
    case.status = CaseStatus.SUBMITTED
    task = next(t for t in case.tasks if t.status == TaskStatus.SUSPENDED)
    task.status = TaskStatus.OPEN
    audit.record(
        session,
        applicant,
        "case.resubmitted",
        case=case,
        task=task,
        before={"case_status": CaseStatus.CORRECTION},
        after={"case_status": case.status, "changed_fields": changed},
    )
    deadlines.resume(session, case, "correction", at)
    reschedule_open_tasks(case)
    workflow = restore_workflow(case)
    after_engine_step(session, case, workflow, at)
    return case


def receive_material(session: Session, actor: User, gap_id: int) -> MaterialGap:
    """A 容缺 material arrived; when none is missing any more, 出件 may proceed."""
    gap = session.get(MaterialGap, gap_id)
    if gap is None:
        raise NotFound("容缺记录不存在")
    case = lock_case(session, gap.case_id)
    if not actor.has_role(Role.FRONT_DESK):
        raise Forbidden("只有综合窗口可以登记补齐材料")
    if gap.received_at is not None:
        raise Conflict("该材料已登记补齐")
    if not case.status_is_open:
        raise Conflict("办件已结束，无需再登记材料")
    at = now()
    gap.received_at = at
    gap.received_by_id = actor.id
    audit.record(
        session,
        actor,
        "gap.received",
        case=case,
        before={"received": False},
        after={"material": gap.material_name, "received": True},
    )
    if not open_gaps(case):
        deadlines.resume(session, case, "gap", at)
        reschedule_open_tasks(case)
    after_engine_step(session, case, restore_workflow(case), at)
    return gap


def open_gaps(case: Case) -> list[MaterialGap]:
    return [g for g in case.gaps if g.received_at is None]


def deliver(
    session: Session, actor: User, task_id: int, method: str, tracking_no: str, note: str = ""
) -> CaseTask:
    """统一出件: all results in one place, one delivery method; the case is 办结."""
    case, task = _front_desk_task(session, actor, task_id, "delivery")
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
    results = case_results(case)
    outcome = {
        "decision": "delivered",
        "method": method,
        "method_label": DELIVERY_METHODS[method],
        "tracking_no": tracking_no.strip(),
        "note": note,
        "results": results,
    }
    workflow = complete_in_engine(case, task, decision_data(task, outcome))
    before = mark_done(task, actor, outcome, at)
    case.delivery = {**outcome, "delivered_at": at.isoformat(), "by": actor.display_name}
    if workflow.completed:
        case.status = CaseStatus.COMPLETED
        case.completed_at = at
    audit.record(
        session,
        actor,
        "case.completed" if case.status == CaseStatus.COMPLETED else "task.delivered",
        case=case,
        task=task,
        before=before,
        after={"task_status": task.status, "case_status": case.status, "outcome": outcome},
    )
    after_engine_step(session, case, workflow, at)
    return task


def case_results(case: Case) -> list[dict]:
    """What the items produced: granted results with numbers, denied items with reasons."""
    results = []
    for task in case.tasks:
        if task.item_code is None or task.status != TaskStatus.COMPLETED or not task.outcome:
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
