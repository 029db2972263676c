"""Cards moved in bulk: the worker turns every task (and case) whose instant has come
yellow or red with a few statements per chunk, not one transaction per case.

Per chunk (`CHUNK` rows, one short transaction, committed by the caller; a clerk waits for
one chunk at most):
- the candidates are read with their cases locked (`FOR UPDATE … SKIP LOCKED` on
  PostgreSQL: a case a clerk holds is left for the next pass, and the clerk never waits
  for more than one chunk); SQLite's write lock, taken at BEGIN, does the same;
- one `UPDATE … RETURNING id` per card colour yields the ids of what changed;
- every change is an audit event as before (`task.card_red` …, with the chains' heads
  locked in one statement), inserted together with the chunk.

A case whose clock is stopped (补正, waiting for a 容缺 material) keeps its diagram's cards,
as `limits.evaluate_cards` decides; tasks outside BPMN (差评整改 …) are watched always. What
else is due at those instants (the legal limit, the case's next look) is left to the case's
own check (deadlines/sweep.py), which then finds the card already moved.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from engine.working_calendar import Card
from webapp.audit import chain
from webapp.cases.models import Case, CaseStatus, CaseTask, TaskKind, TaskStatus
from webapp.clock import now as clock_now
from webapp.deadlines import limits
from webapp.supervision import escalation

CHUNK = 200
log = logging.getLogger(__name__)
OPEN_CASE = (CaseStatus.SUBMITTED, CaseStatus.CORRECTION, CaseStatus.IN_PROGRESS)
IN_BPMN = tuple(k.value for k in TaskKind if k.in_bpmn)


@dataclass
class Moved:
    """What one chunk changed: ids of tasks turned red (for escalation), and counts."""

    red_task_ids: list[int] = field(default_factory=list)
    tasks: int = 0
    cases: int = 0

    def __iadd__(self, other: Moved) -> Moved:
        self.red_task_ids += other.red_task_ids
        self.tasks += other.tasks
        self.cases += other.cases
        return self


def move_task_cards(session: Session, now: dt.datetime, limit: int = CHUNK) -> Moved:
    """Turn up to `limit` open tasks whose yellow or due instant has come; audited."""
    target = _task_target(now)
    stmt = (
        select(CaseTask.id, CaseTask.case_id, CaseTask.card, CaseTask.kind, CaseTask.due_at)
        .add_columns(Case.pauses, CaseTask.pauses.label("own_pauses"), target.label("target"))
        .join(Case, Case.id == CaseTask.case_id)
        .where(
            CaseTask.status == TaskStatus.OPEN,
            or_(
                and_(CaseTask.card != Card.RED, CaseTask.due_at < now),
                and_(CaseTask.card == Card.NONE, CaseTask.yellow_at <= now),
            ),
            or_(CaseTask.kind.not_in(IN_BPMN), Case.status.in_(OPEN_CASE)),
        )
        .order_by(CaseTask.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=[Case, CaseTask])
    )
    rows = [
        r
        for r in session.execute(stmt)
        # The clock stopped: the diagram's cards wait for it (JSON, so read here, not in SQL);
        # so does a task whose own clock a 特别程序 or 退回补正 stopped (back_office).
        if not (r.kind in IN_BPMN and limits.stopped(r.pauses)) and not limits.stopped(r.own_pauses)
    ]
    moved = Moved()
    if not rows:
        return moved
    by_target: dict[str, list] = {}
    for row in rows:
        by_target.setdefault(row.target, []).append(row)
    at = clock_now()
    events = []
    for card, group in by_target.items():
        changed = set(
            session.scalars(
                update(CaseTask)
                .where(CaseTask.id.in_([r.id for r in group]))
                .values(card=card)
                .returning(CaseTask.id),
                execution_options={"synchronize_session": False},
            )
        )
        events += [
            _event(at, f"task.card_{card}", row.case_id, row.id,
                   before={"card": row.card}, after={"card": card, "due_at": _iso(row.due_at)})
            for row in group
            if row.id in changed
        ]  # fmt: skip
        moved.tasks += len(changed)
        if card == Card.RED:
            moved.red_task_ids += sorted(changed)
    chain.append_many(session, events)
    return moved


def move_case_cards(session: Session, now: dt.datetime, limit: int = CHUNK) -> Moved:
    """Turn red up to `limit` open cases whose overall promise has passed; audited.

    (A case's yellow instant is not stored: its own check moves it.)"""
    stmt = (
        select(Case.id, Case.card, Case.pauses, Case.promised_at)
        .where(
            Case.status == CaseStatus.IN_PROGRESS,
            Case.accepted_at.is_not(None),
            Case.card != Card.RED,
            Case.promised_at < now,
        )
        .order_by(Case.promised_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Case)
    )
    rows = [r for r in session.execute(stmt) if not limits.stopped(r.pauses)]
    if rows:
        # The overall promise also waits while an item's own clock is stopped (limits).
        own = session.execute(
            select(CaseTask.case_id, CaseTask.pauses).where(
                CaseTask.case_id.in_([r.id for r in rows]),
                CaseTask.status == TaskStatus.OPEN,
                CaseTask.pauses.is_not(None),
            )
        )
        waiting = {case_id for case_id, pauses in own if limits.stopped(pauses)}
        rows = [r for r in rows if r.id not in waiting]
    moved = Moved()
    if not rows:
        return moved
    changed = set(
        session.scalars(
            update(Case)
            .where(Case.id.in_([r.id for r in rows]))
            # The case row changes: its optimistic lock counts it like any other writer.
            .values(card=Card.RED, row_version=Case.row_version + 1)
            .returning(Case.id),
            execution_options={"synchronize_session": False},
        )
    )
    at = clock_now()
    chain.append_many(
        session,
        [
            _event(at, "case.card_red", row.id, None, before={"card": row.card},
                   after={"card": Card.RED.value, "promised_at": _iso(row.promised_at)})
            for row in rows
            if row.id in changed
        ],
    )  # fmt: skip
    moved.cases = len(changed)
    return moved


def _event(at, action: str, case_id: int, task_id: int | None, *, before, after) -> dict:
    """A system event's columns, as `trail.record` would fill them."""
    return {
        "at": at, "actor_id": None, "action": action, "case_id": case_id, "task_id": task_id,
        "theme_id": None, "before": before, "after": after, "detail": None,
    }  # fmt: skip


def turned_red(session: Session, task_ids: list[int], now: dt.datetime) -> None:
    """The one place a pass of bulk moves hands on the tasks it turned red, in a transaction
    of its own: 效能监督 tells the department heads and the supervisors."""
    log.info("%d tasks turned red", len(task_ids))
    escalation.escalate_red(session, task_ids, now)


def _task_target(now: dt.datetime):
    return sql_case((CaseTask.due_at < now, Card.RED.value), else_=Card.YELLOW.value)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
