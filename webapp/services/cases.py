"""A case's life: submit → 综合受理 → 后台审批 (parallel) → 统一出件 → 办结."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from engine.cases import complete_task, open_tasks, start_case
from engine.problems import CaseStepError, TaskNotReady

from ..config import CHINA_TZ
from ..models import Case, CaseStatus, CaseTask, Department, Role, TaskStatus, Theme, User
from . import audit, theme_forms
from .case_engine import restore_workflow, spec_for, store_workflow
from .case_lock import lock_case
from .case_numbers import next_case_number
from .errors import Conflict, Forbidden, Invalid, NotFound
from .themes import latest_version


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
    spec, subprocess_specs = spec_for(version)
    try:
        workflow = start_case(
            spec, subprocess_specs, theme_forms.process_variables(version, storable)
        )
    except CaseStepError as exc:
        raise Conflict(f"流程无法启动：{exc}") from None
    case = Case(
        case_no=next_case_number(session, now().astimezone(CHINA_TZ).date()),
        theme_version=version,
        applicant_id=applicant.id,
        status=CaseStatus.SUBMITTED,
        answers=storable,
        selected_items=theme_forms.selected_item_codes(version, storable),
        state={},
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
    _sync_tasks(session, case, workflow)
    return case


def act_on_task(session: Session, actor: User, task_id: int, outcome: dict) -> CaseTask:
    """Complete a task for the actor's window or department; one winner if two try at once."""
    case_id = session.scalar(select(CaseTask.case_id).where(CaseTask.id == task_id))
    if case_id is None:
        raise NotFound("任务不存在")
    case = lock_case(session, case_id)
    task = session.scalars(
        select(CaseTask).where(CaseTask.id == task_id).execution_options(populate_existing=True)
    ).one()
    check_task_access(actor, task)
    if task.status != TaskStatus.OPEN:
        raise Conflict("该任务已由他人办理，请刷新后查看最新状态")

    definition = case.theme_version.definition
    kind = task_kind(definition, task.bpmn_id)
    workflow = restore_workflow(case)
    try:
        complete_task(workflow, task.engine_task_id, {f"{task.bpmn_id}_outcome": outcome})
    except TaskNotReady:
        raise Conflict("该任务已由他人办理，请刷新后查看最新状态") from None
    except CaseStepError as exc:
        raise Conflict(str(exc)) from None

    before = {"task_status": task.status, "case_status": case.status}
    task.status = TaskStatus.COMPLETED
    task.completed_at = now()
    task.completed_by_id = actor.id
    task.outcome = outcome
    if kind == "acceptance":
        case.status = CaseStatus.IN_PROGRESS
        action = "case.accepted"
    elif kind == "delivery":
        action = "case.completed"
    else:
        action = "task.granted"
    if workflow.completed:
        case.status = CaseStatus.COMPLETED
        case.completed_at = now()
    store_workflow(case, workflow)
    session.flush()  # the row_version check happens here
    audit.record(
        session,
        actor,
        action,
        case=case,
        task=task,
        before=before,
        after={"task_status": task.status, "case_status": case.status, "outcome": outcome},
    )
    _sync_tasks(session, case, workflow)
    return task


def task_kind(definition: dict, bpmn_id: str) -> str:
    if bpmn_id == definition.get("acceptance_task"):
        return "acceptance"
    if bpmn_id == definition.get("delivery_task"):
        return "delivery"
    return "item"


def check_task_access(actor: User, task: CaseTask) -> None:
    """Front desk works the window's tasks, approvers only their own department's."""
    if not actor.has_role(Role.FRONT_DESK, Role.APPROVER) or actor.department_id is None:
        raise NotFound("任务不存在")
    if task.department_id != actor.department_id:
        raise NotFound("任务不存在")


def _sync_tasks(session: Session, case: Case, workflow) -> None:
    """Make the inbox projection match the engine: new ready tasks in, vanished ones out."""
    version = case.theme_version
    ready = {t.task_id: t for t in open_tasks(workflow)}
    known = {t.engine_task_id: t for t in case.tasks}
    for engine_id, row in known.items():
        if row.status == TaskStatus.OPEN and engine_id not in ready:
            row.status = TaskStatus.CANCELLED
            audit.record(
                session,
                None,
                "task.cancelled",
                case=case,
                task=row,
                before={"task_status": TaskStatus.OPEN},
                after={"task_status": TaskStatus.CANCELLED},
            )
    new = [t for t in ready.values() if t.task_id not in known]
    if not new:
        return
    departments = {d.code: d.id for d in session.scalars(select(Department))}
    item_of_task = {i["task"]: i["code"] for i in version.definition.get("items", [])}
    for open_task in new:
        routing = version.human_tasks[open_task.bpmn_id]
        row = CaseTask(
            case=case,
            engine_task_id=open_task.task_id,
            bpmn_id=open_task.bpmn_id,
            name=open_task.name,
            department_id=departments[routing["department"]],
            item_code=item_of_task.get(open_task.bpmn_id),
            status=TaskStatus.OPEN,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            None,
            "task.opened",
            case=case,
            task=row,
            after={"task_status": TaskStatus.OPEN, "department": routing["department"]},
        )


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


def inbox(session: Session, user: User, limit: int = 50, after_id: int | None = None):
    """Open tasks of the user's window or department, oldest first, keyset-paginated."""
    if not user.has_role(Role.FRONT_DESK, Role.APPROVER) or user.department_id is None:
        raise Forbidden("只有窗口和审批人员有待办任务")
    stmt = (
        select(CaseTask)
        .join(CaseTask.case)
        # One query for the page: the list shows case, applicant and theme of every row.
        .options(contains_eager(CaseTask.case).joinedload(Case.applicant))
        .where(CaseTask.department_id == user.department_id, CaseTask.status == TaskStatus.OPEN)
        .order_by(CaseTask.id)
        .limit(limit)
    )
    if after_id:
        stmt = stmt.where(CaseTask.id > after_id)
    return list(session.scalars(stmt))


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
        if task is None:
            state, label = "pending", "未开始"
        elif task.status == TaskStatus.OPEN:
            state, label = "active", "办理中"
        elif task.status == TaskStatus.COMPLETED:
            state, label = "done", "已办结" if kind != "item" else "准予"
        else:
            state, label = "cancelled", "已取消"
        result.append(
            {
                "kind": kind,
                "bpmn_id": bpmn_id,
                "name": name,
                "department": department,
                "state": state,
                "label": label,
                "completed_at": task.completed_at if task else None,
            }
        )
    return result
