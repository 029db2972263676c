"""The worker's deadline sweep: fire due BPMN timers, move yellow/red cards, flag broken
容缺 promises. (Not 效能监督, the supervisors' view of the figures: that is another thing.)

A sweep takes the cases whose `next_check_at` has come (an indexed column: waiting cases are
never scanned), locking them with `FOR UPDATE SKIP LOCKED` so several workers share the
work and each case — hence each timer — is handled by exactly one of them. On SQLite, which
has one writer at a time, the lock is the database's own write lock. The worker asks for
one case per transaction (worker.py), so a clerk never waits on it for more than that case.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.problems import CaseStepError
from webapp.audit import trail
from webapp.cases.models import Card, Case, TaskStatus
from webapp.cases.steps import engine_step
from webapp.clock import now as clock_now
from webapp.deadlines import limits
from webapp.notifications import outbox
from webapp.supervision import escalation

RECHECK = dt.timedelta(minutes=1)
FAILED_RETRY = dt.timedelta(hours=1)
log = logging.getLogger(__name__)
BATCH = 500  # for callers sweeping in one transaction (tests); the worker takes one case


def due_cases(session: Session, now: dt.datetime, limit: int) -> list[Case]:
    stmt = (
        select(Case)
        .where(Case.next_check_at <= now)
        .order_by(Case.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Case)
    )
    return list(session.scalars(stmt))


def check_case(session: Session, case: Case, now: dt.datetime) -> None:
    """Bring one case up to `now`: timers, cards, 容缺 promises, next check."""
    for gap in case.gaps:
        if (
            gap.received_at is None
            and gap.overdue_at is None
            and gap.reminded_at is None
            and now >= limits.gap_reminder_at(gap.promised_date)
            and now < limits.gap_deadline(gap.promised_date)
        ):
            gap.reminded_at = now
            outbox.notify_case(
                session,
                "gap_due_soon",
                case,
                material=gap.material_name,
                date=gap.promised_date.isoformat(),
            )
        if (
            gap.received_at is None
            and gap.overdue_at is None
            and now >= limits.gap_deadline(gap.promised_date)
        ):
            gap.overdue_at = now
            trail.record(
                session,
                None,
                "gap.overdue",
                case=case,
                after={
                    "material": gap.material_name,
                    "promised_date": gap.promised_date.isoformat(),
                },
            )
    if case.next_timer_at is not None and case.next_timer_at <= now and case.status_is_open:
        try:
            # The step audits each timer that fires (cases/steps.py), as in a clerk's step.
            with engine_step(session, case, now) as step:
                step.refresh_timers()
        except CaseStepError as exc:
            # A broken case must not stop the sweep for everyone else: record, look again later.
            trail.record(session, None, "timer.failed", case=case, detail=str(exc))
            case.next_check_at = now + FAILED_RETRY
            return
    else:
        limits.evaluate_cards(session, case, now)
        case.next_check_at = limits.next_check(case, now, case.next_timer_at)
    if case.next_check_at is not None and case.next_check_at <= now:
        # Nothing more can change before a later instant; never hand the same case back
        # to the very next batch (a sweep must end).
        case.next_check_at = now + RECHECK


def sweep_due_cases(session: Session, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Handle up to `limit` due cases in the caller's transaction; returns how many."""
    now = now or clock_now()
    cases = due_cases(session, now, limit)
    turned_red: list[int] = []
    for case in cases:
        red_before = {t.id for t in case.tasks if t.card == Card.RED}
        try:
            with session.begin_nested():
                check_case(session, case, now)
            turned_red += [
                t.id
                for t in case.tasks
                if t.card == Card.RED and t.status == TaskStatus.OPEN and t.id not in red_before
            ]
        except Exception as exc:  # noqa: BLE001 - one broken case must not stop the others
            # The savepoint undid this case's half-work; park it and say so.
            log.exception("supervision of case %s failed", case.case_no)
            case.next_check_at = now + FAILED_RETRY
            trail.record(session, None, "timer.failed", case=case, detail=type(exc).__name__)
    # 效能监督: the one hook, with the tasks this pass turned red (supervision/escalation.py).
    # Its failure must not undo the cards this pass moved.
    try:
        with session.begin_nested():
            escalation.escalate_red(session, turned_red, now)
    except Exception:  # noqa: BLE001
        log.exception("escalating %d red tasks failed", len(turned_red))
    session.flush()
    return len(cases)
