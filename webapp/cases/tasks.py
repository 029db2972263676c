"""A case's tasks as inboxes see them.

BPMN tasks: the engine state is the truth and their rows are its projection, kept in step
by `sync_tasks` after every engine step (cases/steps.py), so inboxes can be queried by
department, claim, due date and card without loading any case. Tasks outside BPMN
(`open_task`: 差评整改, 事后核查, 催办 replies) have no engine element; their row is the
truth, with the same assignee, deadline and cards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.cases import OpenTask
from engine.working_calendar import WORKING_DAY
from webapp.accounts.models import Department, User
from webapp.audit import trail
from webapp.cases.models import Card, Case, CaseTask, TaskKind, TaskStatus
from webapp.deadlines import limits
from webapp.notifications import outbox
from webapp.process_cache import ProcessCache, version_key
from webapp.themes.published import published_theme

WORKING_DAY_SECONDS = Decimal(WORKING_DAY // dt.timedelta(seconds=1))


def sync_tasks(session: Session, case: Case, ready_tasks: Iterable[OpenTask], at: dt.datetime):
    """New ready BPMN tasks in (with their deadlines), vanished ones cancelled."""
    theme = published_theme(case.theme_version)
    ready = {t.task_id: t for t in ready_tasks}
    known = {t.engine_task_id: t for t in case.tasks if t.engine_task_id is not None}
    for engine_id, row in known.items():
        if row.status in (TaskStatus.OPEN, TaskStatus.SUSPENDED) and engine_id not in ready:
            before = row.status
            row.status = TaskStatus.CANCELLED
            trail.record(
                session, None, "task.cancelled", case=case, task=row,
                before={"task_status": before}, after={"task_status": TaskStatus.CANCELLED},
            )  # fmt: skip
    new = [t for t in ready.values() if t.task_id not in known]
    if not new:
        return
    departments = department_ids(session, case.theme_version, theme)
    values = []
    for open_task in new:
        department = theme.task_departments[open_task.bpmn_id]
        item = theme.item_of_task(open_task.bpmn_id)
        row = CaseTask(
            case_id=case.id,
            kind=theme.task_kind(open_task.bpmn_id),
            engine_task_id=open_task.task_id,
            bpmn_id=open_task.bpmn_id,
            name=open_task.name,
            department_id=departments[department],
            item_code=item.code if item else None,
            status=TaskStatus.OPEN,
            created_at=at,
            allowed_days=limits.allowed_days(theme, open_task.bpmn_id),
            calendar_days=item.calendar_days if item else False,
            legal_days=item.legal_days if item else None,
            card=Card.NONE,
        )
        limits.schedule(case, row, theme.yellow_card_at)
        values.append({column: getattr(row, column) for column in _INSERTED})
    # One INSERT … RETURNING for all of them, and only them: their ids go into the audit
    # events, while the case row (which the step is still changing) is written once, later.
    stmt = insert(CaseTask).returning(CaseTask, sort_by_parameter_order=True)
    rows = session.scalars(stmt, values).all()
    # Known to the case as loaded, not as a change of it (the rows are already stored).
    set_committed_value(case, "tasks", [*case.tasks, *rows])
    for row, open_task in zip(rows, new, strict=True):
        _audit_opened(session, case, row, theme.task_departments[open_task.bpmn_id])


_INSERTED = (
    "case_id", "kind", "engine_task_id", "bpmn_id", "name", "department_id", "item_code",
    "status", "created_at", "allowed_days", "calendar_days", "legal_days", "card", "due_at",
    "yellow_at", "legal_due_at",
)  # fmt: skip


_DEPARTMENTS: ProcessCache[dict[str, int]] = ProcessCache("department ids of a version")


def department_ids(session: Session, version, theme) -> dict[str, int]:
    """Department code → id for the departments a theme version routes tasks to.

    Read once per version and process: a step that opens tasks does not re-read the
    department table (codes and ids of departments never change once created)."""
    codes = sorted(set(theme.task_departments.values()))

    def build() -> dict[str, int]:
        stmt = select(Department.code, Department.id).where(Department.code.in_(codes))
        return dict(session.execute(stmt).all())

    return _DEPARTMENTS.get(version_key(version), build)


def open_task(
    session: Session,
    case: Case,
    *,
    kind: TaskKind,
    name: str,
    department: Department,
    allowed_days: Decimal,
    at: dt.datetime,
    assignee: User | None = None,
    subject: dict | None = None,
) -> CaseTask:
    """Open a task outside BPMN in `department`'s inbox, due after `allowed_days`."""
    if kind.in_bpmn:
        raise ValueError(f"{kind} tasks come from the diagram, not from open_task")
    row = CaseTask(
        case=case,
        kind=kind,
        name=name,
        department_id=department.id,
        status=TaskStatus.OPEN,
        created_at=at,
        allowed_days=allowed_days,
        subject=subject,
        claimed_by=assignee,
        claimed_at=at if assignee else None,
    )
    _opened(session, case, row, published_theme(case.theme_version).yellow_card_at, department.code)
    return row


def _opened(session: Session, case: Case, row: CaseTask, share: Decimal, department: str) -> None:
    limits.schedule(case, row, share)
    session.add(row)
    session.flush()
    _audit_opened(session, case, row, department)


def _audit_opened(session: Session, case: Case, row: CaseTask, department: str) -> None:
    trail.record(
        session,
        None,
        "task.opened",
        case=case,
        task=row,
        after={
            "task_status": TaskStatus.OPEN,
            "kind": row.kind,
            "department": department,
            "due_at": row.due_at.isoformat() if row.due_at else None,
        },
    )
    if row.kind == TaskKind.DELIVERY:
        # Every item is done: the results wait at the one exit (统一出件).
        outbox.notify_case(session, "result_ready", case)


def reschedule_open_tasks(case: Case) -> None:
    """After the clock paused or resumed: due and yellow instants move."""
    share = published_theme(case.theme_version).yellow_card_at
    for row in case.tasks:
        if row.status in (TaskStatus.OPEN, TaskStatus.SUSPENDED):
            limits.schedule(case, row, share)
    limits.schedule_case(case)


def decision_data(task: CaseTask, outcome: dict) -> dict:
    """What the engine keeps of a clerk's action: the decision, for gateways to route on
    (e.g. `Task_Seal_decision == "denied"`). Opinions, numbers and results live in the
    task row and the audit trail; every engine variable is copied into every later task's
    state, so keeping them out keeps each case's stored state small."""
    return {f"{task.bpmn_id}_decision": outcome["decision"]}


def mark_done(task: CaseTask, actor: User, outcome: dict, at: dt.datetime) -> dict:
    """Close the task's row; returns the audit 'before' snapshot."""
    before = {"task_status": task.status, "case_status": task.case.status}
    task.status = TaskStatus.COMPLETED
    task.completed_at = at
    task.completed_by_id = actor.id
    task.claimed_by_id = task.claimed_by_id or actor.id
    task.outcome = outcome
    # For 效能监督's days per item: counted once here, on the task's own clock.
    used = limits.task_deadline(task.case, task).used(at)
    task.used_days = (Decimal(used // dt.timedelta(seconds=1)) / WORKING_DAY_SECONDS).quantize(
        Decimal("0.01")
    )
    return before
