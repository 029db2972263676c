"""A case's life: submit → 综合受理 → 后台审批 (parallel) → 统一出件 → 办结."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import start_case
from engine.problems import CaseStepError

from ..config import CHINA_TZ
from ..models import Card, Case, CaseStatus, CaseTask, Role, TaskStatus, Theme, User
from . import audit, theme_forms
from .case_engine import restore_workflow, spec_for, store_workflow
from .case_lock import lock_case
from .case_numbers import next_case_number
from .case_tasks import after_engine_step, now
from .errors import Conflict, Forbidden, Invalid, NotFound
from .themes import latest_version


def submit_application(session: Session, applicant: User, theme: Theme, answers: dict) -> Case:
    """Validate the one form, start the case on the newest version, hand it to the front desk."""
    if not applicant.has_role(Role.APPLICANT):
        raise Forbidden("只有申请人可以提交申请")
    version = latest_version(session, theme)
    if version is None:
        raise NotFound("该主题尚未发布，暂不能申请")
    storable, errors = theme_forms.check_application(version, answers)
    if errors:
        raise Invalid("申请表有误，请修改后再提交", details=errors)
    # The guidance table decides the items once; the gateways read the same decision.
    decision = theme_forms.decide_items(version, storable)
    spec, subprocess_specs = spec_for(version)
    try:
        workflow = start_case(spec, subprocess_specs, decision.variables)
    except CaseStepError as exc:
        raise Conflict(f"流程无法启动：{exc}") from None
    at = now()
    case = Case(
        case_no=next_case_number(session, at.astimezone(CHINA_TZ).date()),
        theme_version=version,
        applicant_id=applicant.id,
        status=CaseStatus.SUBMITTED,
        answers=storable,
        selected_items=list(decision.selected),
        state={},
        submitted_at=at,
        pauses=[],
        card=Card.NONE,
    )
    store_workflow(case, workflow)
    session.add(case)
    session.flush()
    audit.record(
        session,
        applicant,
        "case.submitted",
        case=case,
        after={"status": case.status, "case_no": case.case_no, "theme_version": version.number},
    )
    after_engine_step(session, case, workflow, at)
    return case


def task_kind(definition: dict, bpmn_id: str) -> str:
    if bpmn_id == definition.get("acceptance_task"):
        return "acceptance"
    if bpmn_id == definition.get("delivery_task"):
        return "delivery"
    return "item"


def withdraw(session: Session, applicant: User, case_no: str, reason: str) -> Case:
    """撤回: the applicant takes the application back while it is not yet accepted."""
    case = get_case_for(session, applicant, case_no)
    if not applicant.has_role(Role.APPLICANT):
        raise Forbidden("只有申请人可以撤回申请")
    case = lock_case(session, case.id)
    if case.status not in (CaseStatus.SUBMITTED, CaseStatus.CORRECTION):
        raise Conflict("办件已受理或已结束，不能撤回")
    at = now()
    before = case.status
    workflow = restore_workflow(case)
    workflow.cancel()
    case.status = CaseStatus.WITHDRAWN
    case.end_reason = reason or "申请人撤回"
    case.completed_at = at
    for task in case.tasks:
        if task.status == TaskStatus.SUSPENDED:
            task.status = TaskStatus.OPEN  # so that the sync below cancels it with the rest
    audit.record(
        session,
        applicant,
        "case.withdrawn",
        case=case,
        before={"case_status": before},
        after={"case_status": case.status, "reason": case.end_reason},
    )
    after_engine_step(session, case, workflow, at)
    return case


def get_case_for(session: Session, user: User, case_no: str) -> Case:
    """The case if `user` may see it; an applicant only ever sees their own (else 404)."""
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one_or_none()
    if case is None:
        raise NotFound("办件不存在")
    if user.has_role(Role.APPLICANT):
        if case.applicant_id != user.id:
            raise NotFound("办件不存在")
    elif user.has_role(Role.FRONT_DESK, Role.ADMIN):
        pass
    elif user.has_role(Role.APPROVER):
        if not any(t.department_id == user.department_id for t in case.tasks):
            raise NotFound("办件不存在")
    else:
        raise NotFound("办件不存在")
    return case


def my_cases(session: Session, applicant: User) -> list[Case]:
    stmt = select(Case).where(Case.applicant_id == applicant.id).order_by(Case.id.desc())
    return list(session.scalars(stmt))


def item_progress(case: Case) -> list[dict]:
    """Each step of the case as the applicant sees it: 受理, each item, 出件."""
    definition = case.theme_version.definition
    by_bpmn = {}
    for task in case.tasks:
        by_bpmn[task.bpmn_id] = task
    steps = [("acceptance", definition.get("acceptance_task"), "综合受理", "综合窗口")]
    selected = set(case.selected_items)
    for item in definition.get("items", []):
        if selected and item["code"] not in selected:
            continue
        steps.append(("item", item["task"], item["name"], item.get("department_name", "")))
    steps.append(("delivery", definition.get("delivery_task"), "统一出件", "综合窗口"))
    result = []
    for kind, bpmn_id, name, department in steps:
        task = by_bpmn.get(bpmn_id)
        state, label = _step_state(kind, task)
        result.append(
            {
                "kind": kind,
                "bpmn_id": bpmn_id,
                "name": name,
                "department": department,
                "state": state,
                "label": label,
                "completed_at": task.completed_at if task else None,
                "due_at": task.due_at if task and task.status == TaskStatus.OPEN else None,
                "card": task.card if task and task.status == TaskStatus.OPEN else None,
            }
        )
    return result


_DECISION_LABELS = {
    "accepted": "已受理",
    "refused": "不予受理",
    "granted": "准予",
    "denied": "不予许可",
    "delivered": "已出件",
}


def _step_state(kind: str, task: CaseTask | None) -> tuple[str, str]:
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
