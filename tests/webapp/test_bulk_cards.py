"""The worker's bulk card moves (deadlines/cards.py): what they change is what the case's
own check would have changed, each change audited once in the case's chain, the red ones
handed on by id; a stopped clock keeps its cards. And a step writes the case row once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from webapp.audit.chain import verify
from webapp.deadlines import cards, wake
from webapp.deadlines import sweep as supervision
from webapp.models import AuditEvent, Case, CaseTask
from webapp.supervision.models import TaskEscalation
from webapp.worker import _until_due

from .test_time_limits import _accepted, _case, _task


def _events(session, case: Case, action: str) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == action)
    return list(session.scalars(stmt))


def test_overdue_tasks_turn_red_in_bulk_audited_once_and_their_ids_come_back(
    login, submit_case, session
):
    case = _accepted(login, submit_case, session)
    registration = _task(case, "Task_Registration")
    task_id, due = registration.id, registration.due_at
    before_due = cards.move_task_cards(session, due - dt.timedelta(seconds=1))
    assert task_id not in before_due.red_task_ids

    moved = cards.move_task_cards(session, due + dt.timedelta(seconds=1))
    assert task_id in moved.red_task_ids
    session.expire_all()
    assert session.get(CaseTask, task_id).card == "red"
    (red,) = [e for e in _events(session, case, "task.card_red") if e.task_id == task_id]
    assert red.before["card"] in ("none", "yellow") and red.after["card"] == "red"

    # The case's own check afterwards finds the card moved: no second event.
    supervision.sweep_due_cases(session, now=due + dt.timedelta(seconds=2))
    session.expire_all()
    reds = [e for e in _events(session, case, "task.card_red") if e.task_id == task_id]
    assert len(reds) == 1
    assert verify(session).intact


def test_tasks_turned_red_in_bulk_are_escalated_once(login, submit_case, session):
    """The worker hands a pass's red tasks to 效能监督: the department head and the
    supervisors hear of each once (level 1), however often the ids come again."""
    case = _accepted(login, submit_case, session)
    registration = _task(case, "Task_Registration")
    now = registration.due_at + dt.timedelta(seconds=1)
    moved = cards.move_task_cards(session, now)
    cards.turned_red(session, moved.red_task_ids, now)
    cards.turned_red(session, moved.red_task_ids, now)
    session.flush()
    (first,) = session.scalars(
        select(TaskEscalation).where(TaskEscalation.task_id == registration.id)
    ).all()
    assert first.level == 1 and first.case_id == case.id


def test_a_stopped_clock_keeps_its_cards(login, submit_case, session):
    case = _accepted(login, submit_case, session)
    registration = _task(case, "Task_Registration")
    case.pauses = [{"start": case.accepted_at.isoformat(), "end": None, "reason": "gap"}]
    session.flush()
    moved = cards.move_task_cards(session, registration.due_at + dt.timedelta(days=3))
    assert registration.id not in moved.red_task_ids
    session.expire_all()
    assert session.get(CaseTask, registration.id).card == "none"


def test_a_broken_promise_turns_the_case_red_once_and_counts_as_a_write(
    login, submit_case, session
):
    case = _accepted(login, submit_case, session)
    case_id, version, promised = case.id, case.row_version, case.promised_at
    moved = cards.move_case_cards(session, promised + dt.timedelta(seconds=1))
    assert moved.cases >= 1
    session.expire_all()
    case = session.get(Case, case_id)
    assert case.card == "red" and case.row_version == version + 1
    assert len(_events(session, case, "case.card_red")) == 1
    cards.move_case_cards(session, promised + dt.timedelta(seconds=2))
    session.expire_all()
    assert len(_events(session, case, "case.card_red")) == 1


def test_each_step_writes_the_case_row_once(app, login, submit_case, session):
    """Behaviour, not timing: the engine state, cards and next look go in one UPDATE."""
    case_no = submit_case()["case_no"]
    window = login("window")
    task = next(t for t in window.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no)
    updates: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE CASES "):
            updates.append(statement)

    engine = app.extensions["yjs_db"].engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        accepted = window.post_json(f"/api/tasks/{task['id']}/complete", {})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert accepted.status_code == 200, accepted.get_json()
    assert len(updates) == 1, updates
    assert _case(session, case_no).status == "in_progress"


def test_the_worker_sleeps_until_the_earliest_due_instant(session):
    now = dt.datetime.now(dt.UTC)
    assert _until_due(None, 30.0) == 30.0
    assert _until_due(now - dt.timedelta(seconds=5), 30.0) == 0.0
    assert 3.0 < _until_due(now + dt.timedelta(seconds=4), 30.0) <= 4.0
    assert _until_due(now + dt.timedelta(hours=1), 30.0) == 30.0
    earliest = session.scalar(
        select(Case.next_check_at)
        .where(Case.next_check_at.is_not(None))
        .order_by(Case.next_check_at)
        .limit(1)
    )
    due = wake.next_due(session)
    assert due is None or earliest is None or due <= earliest


def test_a_request_that_schedules_a_look_soon_wakes_the_sleeping_worker(app, is_postgres):
    """PostgreSQL: NOTIFY at commit ends the worker's sleep (SQLite has no such channel and
    the worker wakes at the earliest instant it knew of)."""
    if not is_postgres:
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    engine = app.extensions["yjs_db"].engine
    stop = threading.Event()
    alarm = wake.Alarm(engine, stop)
    try:
        sleeper = threading.Thread(target=alarm.sleep, args=(600,))
        sleeper.start()
        with Session(engine) as other:
            now = dt.datetime.now(dt.UTC)
            wake.announce_if_soon(other, now, now + dt.timedelta(seconds=5))
            other.commit()
        sleeper.join(timeout=60)
        woken = not sleeper.is_alive()
    finally:
        stop.set()
        alarm.close()
    assert woken, "the worker slept on through the notice"


def test_a_look_far_ahead_is_not_announced(session):
    now = dt.datetime.now(dt.UTC)
    wake.announce_if_soon(session, now, now + dt.timedelta(days=3))
    assert not session.info.get(wake._ANNOUNCE)
    wake.announce_if_soon(session, now, now + dt.timedelta(seconds=3))
    assert session.info.get(wake._ANNOUNCE)
    session.info.pop(wake._ANNOUNCE)
