"""The inbox projection of a case's open human tasks, kept in step with the engine.

The engine state is the truth; `case_tasks` rows exist so inboxes can be queried by
department, claim, due date and card without loading any case. Every engine step of a case
ends with `run_step`, which stores the state, syncs the rows, schedules deadlines and sets
when the worker must look at the case again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import complete_task, open_tasks
from engine.problems import CaseStepError, TaskNotReady
from engine.timers import next_timer_at

from ..models import Case, CaseTask, Department, Role, TaskStatus, User
from . import audit, deadlines
from .case_engine import restore_workflow, store_workflow
from .case_lock import lock_case
from .errors import Conflict, NotFound

TAKEN = "该任务已由他人办理，请刷新后查看最新状态"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def after_engine_step(session: Session, case: Case, workflow, at: dt.datetime) -> None:
    """Store the workflow, bring the projection and the deadlines up to date."""
    store_workflow(case, workflow)
    sync_tasks(session, case, workflow, at)
    _hold_delivery_for_gaps(session, case, at)
    deadlines.evaluate_cards(session, case, at)
    case.next_timer_at = next_timer_at(workflow) if case.status_is_open else None
    case.next_check_at = deadlines.next_check(case, at, case.next_timer_at)


def _hold_delivery_for_gaps(session: Session, case: Case, at: dt.datetime) -> None:
    """A result waiting for a 容缺 material: its clock (and the case's) stops until it arrives."""
    delivery_task = case.theme_version.definition.get("delivery_task")
    waiting = any(t.bpmn_id == delivery_task and t.status == TaskStatus.OPEN for t in case.tasks)
    missing = any(g.received_at is None for g in case.gaps)
    if waiting and missing and not deadlines.is_paused(case):
        deadlines.pause(session, case, "gap", at)
        reschedule_open_tasks(case)


def sync_tasks(session: Session, case: Case, workflow, at: dt.datetime) -> None:
    """New ready tasks in (with their deadlines), vanished ones cancelled."""
    version = case.theme_version
    definition = version.definition
    ready = {t.task_id: t for t in open_tasks(workflow)}
    known = {t.engine_task_id: t for t in case.tasks}
    for engine_id, row in known.items():
        if row.status in (TaskStatus.OPEN, TaskStatus.SUSPENDED) and engine_id not in ready:
            before = row.status
            row.status = TaskStatus.CANCELLED
            audit.record(
                session,
                None,
                "task.cancelled",
                case=case,
                task=row,
                before={"task_status": before},
                after={"task_status": TaskStatus.CANCELLED},
            )
    new = [t for t in ready.values() if t.task_id not in known]
    if not new:
        return
    departments = {d.code: d.id for d in session.scalars(select(Department))}
    item_of_task = {i["task"]: i["code"] for i in definition.get("items", [])}
    share = deadlines.yellow_share(definition)
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
            created_at=at,
            allowed_days=deadlines.allowed_days(definition, open_task.bpmn_id),
        )
        deadlines.schedule(case, row, share)
        session.add(row)
        session.flush()
        audit.record(
            session,
            None,
            "task.opened",
            case=case,
            task=row,
            after={
                "task_status": TaskStatus.OPEN,
                "department": routing["department"],
                "due_at": row.due_at.isoformat() if row.due_at else None,
            },
        )


def reschedule_open_tasks(case: Case) -> None:
    """After the clock paused or resumed: due and yellow instants move."""
    share = deadlines.yellow_share(case.theme_version.definition)
    for row in case.tasks:
        if row.status in (TaskStatus.OPEN, TaskStatus.SUSPENDED):
            deadlines.schedule(case, row, share)
    deadlines.schedule_case(case)


def check_task_access(actor: User, task: CaseTask) -> None:
    """Front desk works the window's tasks, approvers only their own department's (else 404)."""
    if not actor.has_role(Role.FRONT_DESK, Role.APPROVER) or actor.department_id is None:
        raise NotFound("任务不存在")
    if task.department_id != actor.department_id:
        raise NotFound("任务不存在")


def task_for(session: Session, actor: User, task_id: int) -> CaseTask:
    """The task if `actor` may work it (else 404), without locking (for pages)."""
    task = session.get(CaseTask, task_id)
    if task is None:
        raise NotFound("任务不存在")
    check_task_access(actor, task)
    return task


def lock_for_action(session: Session, actor: User, task_id: int) -> tuple[Case, CaseTask]:
    """Lock the task's case, then reload the task: whoever comes second sees the first's work."""
    case_id = session.scalar(select(CaseTask.case_id).where(CaseTask.id == task_id))
    if case_id is None:
        raise NotFound("任务不存在")
    case = lock_case(session, case_id)
    task = session.scalars(
        select(CaseTask).where(CaseTask.id == task_id).execution_options(populate_existing=True)
    ).one()
    check_task_access(actor, task)
    if task.status != TaskStatus.OPEN:
        raise Conflict(TAKEN)
    if task.claimed_by_id not in (None, actor.id) and task.claimed_by.active:
        # A deactivated colleague's claim does not block the department (they left).
        raise Conflict(f"该任务已由{task.claimed_by.display_name}认领，请勿重复办理")
    return case, task


def complete_in_engine(case: Case, task: CaseTask, data: dict):
    """Complete the task in the case's workflow; the caller stores it (after_engine_step)."""
    workflow = restore_workflow(case)
    try:
        complete_task(workflow, task.engine_task_id, data)
    except TaskNotReady:
        raise Conflict(TAKEN) from None
    except CaseStepError as exc:
        raise Conflict(str(exc)) from None
    return workflow


def decision_data(task: CaseTask, outcome: dict) -> dict:
    """What the engine keeps of a clerk's action: the decision, for gateways to route on
    (e.g. `Task_Seal_decision == "denied"`). Opinions, numbers and results live in the
    task row and the audit trail; every engine variable is copied into every later task's
    state, so keeping them out keeps each case's stored state small."""
    return {f"{task.bpmn_id}_decision": outcome["decision"]}


def mark_done(task: CaseTask, actor: User, outcome: dict, at: dt.datetime) -> dict:
    """Close the projection row; returns the audit 'before' snapshot."""
    before = {"task_status": task.status, "case_status": task.case.status}
    task.status = TaskStatus.COMPLETED
    task.completed_at = at
    task.completed_by_id = actor.id
    task.claimed_by_id = task.claimed_by_id or actor.id
    task.outcome = outcome
    return before
