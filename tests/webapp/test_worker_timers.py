"""BPMN timers on committed data: fired by real `yjs worker` processes (several at once) or
by a clerk's action; each fire audited once.

An analyst's version of 企业开办 waits for a short 登记公示 timer before 公章刻制备案
(tests/webapp/timed_site.py). Cases are driven to the timer over HTTP in a database of
their own.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import AuditEvent, Case, CaseTask, TaskStatus

from .timed_site import TIMER_ID, TIMER_NAME, TimedSite, own_database


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
