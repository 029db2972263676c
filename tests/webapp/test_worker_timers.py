"""The worker and BPMN timers on committed data: timers fired by real `yjs worker` processes
(several at once, or one killed mid-sweep and another after it) or by a clerk's action, each
fire audited once; a sweep commits case by case, and a clerk gets a turn between two cases.

An analyst's version of 企业开办 waits for a short 登记公示 timer before 公章刻制备案
(tests/webapp/timed_site.py). Cases are driven to the timer over HTTP in a database of
their own.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.cases import open_tasks
from webapp import worker as yjs_worker
from webapp.cases.engine_state import restore_workflow
from webapp.deadlines import sweep as deadline_sweep
from webapp.models import AuditEvent, Case, CaseTask, TaskStatus
from webapp.worker import sweep

from .conftest import enterprise_answers
from .timed_site import TIMER_ID, TIMER_NAME, TimedSite, own_database

KILLED_CASES = 30
SWEPT_CASES = 40


@pytest.fixture(scope="module")
def site(database_url, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("timed-site")
    site = TimedSite(own_database(database_url, "workers", tmp_path), tmp_path)
    yield site
    site.close()


def _fired(session: Session, case: Case) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(
                AuditEvent.case_id == case.id, AuditEvent.action == "timer.fired"
            )
        )
    )


def _tasks(session: Session, case: Case, bpmn_id: str) -> list[CaseTask]:
    return list(
        session.scalars(
            select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.bpmn_id == bpmn_id)
        )
    )


def _assert_fired_once(session: Session, case: Case) -> None:
    """The timer fired exactly once, audited as such, and the case moved on exactly once."""
    fired = _fired(session, case)
    assert len(fired) == 1, case.case_no
    assert fired[0].actor_id is None
    assert fired[0].after["element"] == TIMER_ID and fired[0].after["name"] == TIMER_NAME
    assert len(_tasks(session, case, "Task_Seal")) == 1, case.case_no
    assert case.next_timer_at is None


def test_a_timer_due_during_a_clerks_action_fires_there_and_is_audited_once(site):
    (case_no,) = site.cases_at_the_timer(1)
    with Session(site.engine) as session:
        (case,) = site.cases(session, [case_no])
        due = case.next_timer_at
    site.wait_until_due([case_no])
    # No worker runs. 税务局's 准予 is the next engine step of the case: it fires the timer.
    site.act("tax", case_no, "Task_Tax", {"opinion": "准予", "result_no": "TAX-0001"})
    with Session(site.engine) as session:
        (case,) = site.cases(session, [case_no])
        _assert_fired_once(session, case)
        fired = _fired(session, case)[0]
        assert dt.datetime.fromisoformat(fired.after["due_at"]) == due
        seal = _tasks(session, case, "Task_Seal")[0]
        assert seal.status == TaskStatus.OPEN
        # Audited where it happened: before the task it released was opened.
        opened = session.scalars(
            select(AuditEvent.id).where(
                AuditEvent.task_id == seal.id, AuditEvent.action == "task.opened"
            )
        ).all()
        assert all(fired.id < event_id for event_id in opened)


def test_three_workers_fire_each_timer_exactly_once(site):
    case_nos = site.cases_at_the_timer(6)
    with Session(site.engine) as session:
        waiting = site.cases(session, case_nos)
        assert all(c.next_timer_at is not None for c in waiting)
        # Nobody at 公安局 yet: the cases wait for the timer.
        assert all(_tasks(session, c, "Task_Seal") == [] for c in waiting)
    site.wait_until_due(case_nos)

    workers = [site.worker() for _ in range(3)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr

    with Session(site.engine) as session:
        for case in site.cases(session, case_nos):
            _assert_fired_once(session, case)


def test_the_sweep_commits_each_case_before_it_takes_the_next(site, monkeypatch, is_postgres):
    """A clerk waits on the sweep for one case's work at most, never for a batch."""
    case_nos = site.cases_at_the_timer(3)
    site.wait_until_due(case_nos)
    with Session(site.engine) as session:
        first, second, third = site.cases(session, case_nos)
    working_on_second, go_on = threading.Event(), threading.Event()
    check_case = deadline_sweep.check_case

    def check_case_pausing_on_the_second(session, case, now):
        if case.id == second.id:
            working_on_second.set()
            go_on.wait(timeout=60)
        check_case(session, case, now)

    monkeypatch.setattr(deadline_sweep, "check_case", check_case_pausing_on_the_second)
    failures: list[BaseException] = []

    def run_sweep():
        try:
            with site.app.app_context():
                sweep()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    worker = threading.Thread(target=run_sweep)
    worker.start()
    try:
        assert working_on_second.wait(timeout=60)
        with Session(site.engine) as session:
            # The first case's work is committed while the sweep is busy with the second...
            (done,) = site.cases(session, [first.case_no])
            _assert_fired_once(session, done)
            # ...and the third is not held for it: a clerk could lock it right now.
            lock = select(Case).where(Case.id == third.id).with_for_update(nowait=True, of=Case)
            if is_postgres:
                assert session.scalars(lock).one().next_timer_at is not None
            session.rollback()
    finally:
        go_on.set()
        worker.join(timeout=60)
    assert not failures, failures
    with Session(site.engine) as session:
        for case in site.cases(session, case_nos):
            _assert_fired_once(session, case)


def test_a_clerk_gets_a_turn_between_two_cases_of_a_sweep(site, monkeypatch):
    """On SQLite too, where one writer at a time is all there is: the clerk's 认领 is neither
    refused ("database is locked") nor kept waiting until the sweep has ended."""
    case_nos = []
    for _ in range(SWEPT_CASES):
        created = site.client("zhangsan").post_json(
            "/api/cases/", {"theme": "enterprise-opening", "answers": enterprise_answers()}
        )
        assert created.status_code == 201, created.get_json()
        case_nos.append(created.get_json()["case_no"])
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with Session(site.engine) as session:
        session.execute(update(Case).where(Case.case_no.in_(case_nos)).values(next_check_at=past))
        session.commit()
    last_task = site.open_task_id(case_nos[-1], "Task_Accept")
    check_case = deadline_sweep.check_case

    def heavy_check_case(session, case, now):
        time.sleep(0.01)  # a case with real engine work holds the write lock this long
        check_case(session, case, now)

    monkeypatch.setattr(deadline_sweep, "check_case", heavy_check_case)

    def left() -> int:
        with Session(site.engine) as session:
            return session.scalar(
                select(func.count())
                .select_from(Case)
                .where(Case.case_no.in_(case_nos), Case.next_check_at <= past)
            )

    worker = threading.Thread(target=lambda: _sweep_in(site))
    worker.start()
    try:
        while left() == SWEPT_CASES and worker.is_alive():
            time.sleep(0.005)
        before = left()
        claimed = site.client("window").post_json(f"/api/tasks/{last_task}/claim", {})
        after = left()
    finally:
        worker.join(timeout=60)
    assert claimed.status_code == 200, claimed.get_json()
    # The clerk went between two cases: it waited for the case in hand (a couple more on a
    # busy machine), not for the rest of the sweep. SQLite's own wait for the lock, which
    # polls ever more slowly, let whole sweeps pass.
    assert before - after <= 3, before - after
    assert after > 0


def _sweep_in(site: TimedSite) -> None:
    with site.app.app_context():
        sweep()


def test_a_worker_killed_mid_sweep_loses_nothing_and_the_next_finishes(site):
    case_nos = site.cases_at_the_timer(KILLED_CASES)
    site.wait_until_due(case_nos)

    def handled() -> int:
        with Session(site.engine) as session:
            return session.scalar(
                select(func.count())
                .select_from(Case)
                .where(Case.case_no.in_(case_nos), Case.next_timer_at.is_(None))
            )

    first = site.worker()
    deadline = time.monotonic() + 60
    while handled() == 0 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    at_kill = handled()
    # Killed part-way: some cases were done (and committed), not all.
    assert 0 < at_kill < KILLED_CASES, at_kill

    second = site.worker()
    _, stderr = second.communicate(timeout=120)
    assert second.returncode == 0, stderr

    now = dt.datetime.now(dt.UTC)
    with Session(site.engine) as session:
        for case in site.cases(session, case_nos):
            _assert_fired_once(session, case)
            # Nothing half-done: the engine's state and the task list agree, and the case
            # is not left due.
            engine_open = sorted(t.bpmn_id for t in open_tasks(restore_workflow(case)))
            listed = sorted(
                t.bpmn_id
                for t in session.scalars(
                    select(CaseTask).where(
                        CaseTask.case_id == case.id, CaseTask.status == TaskStatus.OPEN
                    )
                )
            )
            assert (
                engine_open
                == listed
                == [
                    "Task_HousingFund",
                    "Task_Insurance",
                    "Task_Seal",
                    "Task_Tax",
                ]
            )
            assert case.next_check_at is None or case.next_check_at > now


def test_a_card_due_while_the_pass_escalates_turns_red_before_the_escalations_end(
    site, monkeypatch
):
    """Escalating red tasks is slow (an audit event and notices each): a task that comes
    due meanwhile is turned red between two chunks of it, not after the whole pass."""
    case_nos = site.cases_at_the_timer(3)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    with Session(site.engine) as session:
        first, second, later = (
            next(t for t in c.tasks if t.status == TaskStatus.OPEN)
            for c in site.cases(session, case_nos)
        )
        first_id, second_id, later_id = first.id, second.id, later.id
        session.execute(
            update(CaseTask).where(CaseTask.id.in_([first_id, second_id])).values(due_at=past)
        )
        session.execute(
            update(CaseTask)
            .where(CaseTask.id == later_id)
            .values(due_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
        )
        session.commit()
    monkeypatch.setattr(yjs_worker, "CARDS_EVERY", 0.0)
    monkeypatch.setattr(yjs_worker, "ESCALATE_CHUNK", 1)
    turned_red = yjs_worker.cards.turned_red

    def the_third_comes_due_during_the_first_escalation(session, task_ids, at):
        turned_red(session, task_ids, at)
        # Committed with this chunk (on SQLite no other connection may write meanwhile).
        session.execute(update(CaseTask).where(CaseTask.id == later_id).values(due_at=past))

    monkeypatch.setattr(
        yjs_worker.cards, "turned_red", the_third_comes_due_during_the_first_escalation
    )
    with site.app.app_context():
        yjs_worker.sweep(budget=0)
    with Session(site.engine) as session:

        def event_id(action: str, task_id: int) -> int:
            return session.scalar(
                select(func.min(AuditEvent.id)).where(
                    AuditEvent.action == action, AuditEvent.task_id == task_id
                )
            )

        assert {session.get(CaseTask, i).card for i in (first_id, second_id, later_id)} == {"red"}
        second_escalated = max(
            event_id("task.escalated", first_id), event_id("task.escalated", second_id)
        )
        assert event_id("task.card_red", later_id) < second_escalated
        assert event_id("task.escalated", later_id) is not None
