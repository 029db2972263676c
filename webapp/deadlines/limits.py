"""限时办结: due dates, the clock's pauses, and yellow/red cards of tasks and cases.

Every open task gets `due_at` = start + its committed days on the Chinese calendar
(engine/working_calendar.py; working days, or calendar days where the catalog says 自然日),
moved later by the case's pauses (补正, waiting for a 容缺 material). An item's task also
gets `legal_due_at`, its 法定时限 counted the same way; passing it sets `legal_overdue_at`
(a breach of law, shown apart from the red card of a broken promise). `yellow_at` is when
the theme's share of the allowed time is used. The case has
the same pair for its overall promise. The worker looks at a case again at `next_check_at`,
the earliest instant at which something could change; cards change only there or when a
clerk acts, and each change is an audit event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from sqlalchemy.orm import Session

from engine.critical_path import promised_days
from engine.working_calendar import Card, Deadline, Pause
from forms.themes import DEFAULT_DESK_DAYS
from webapp.audit import trail
from webapp.cases.engine_state import spec_for
from webapp.cases.models import Case, CaseTask, TaskKind, TaskStatus
from webapp.clock import CHINA_TZ
from webapp.process_cache import ProcessCache, version_key
from webapp.themes.published import PublishedTheme, published_theme

# A task outside the theme's items and desk steps (none is shipped) is given one day.
FRONT_DESK_DAYS = DEFAULT_DESK_DAYS
PAST = dt.timedelta(microseconds=1)


def allowed_days(theme: PublishedTheme, bpmn_id: str) -> Decimal:
    """Committed days of the task's item; 受理 and 出件 take the theme's settings."""
    item = theme.item_of_task(bpmn_id)
    if item is not None and item.promised_days is not None:
        return item.promised_days
    if bpmn_id == theme.acceptance_task:
        return theme.acceptance_days
    if bpmn_id == theme.delivery_task:
        return theme.delivery_days
    return FRONT_DESK_DAYS


def pauses_of(case: Case, since: dt.datetime | None = None) -> tuple[Pause, ...]:
    """The case's clock pauses, clipped to start no earlier than `since`."""
    return _clipped(case.pauses, since)


def _clipped(pauses: list | None, since: dt.datetime | None) -> tuple[Pause, ...]:
    """Stored pauses ({"start", "end"} in ISO) as `Pause`s starting no earlier than `since`."""
    result = []
    for p in pauses or []:
        start = dt.datetime.fromisoformat(p["start"])
        end = dt.datetime.fromisoformat(p["end"]) if p.get("end") else None
        if since is not None:
            if end is not None and end <= since:
                continue
            start = max(start, since)
        result.append(Pause(start, end))
    return tuple(result)


def stopped(pauses: list | None) -> bool:
    """Whether stored pauses hold one still running (the clock is stopped now)."""
    return any(p.get("end") is None for p in pauses or [])


def is_paused(case: Case) -> bool:
    return stopped(case.pauses)


def pause(session: Session, case: Case, reason: str, at: dt.datetime) -> None:
    """Stop the clock (idempotent per reason)."""
    if any(p.get("end") is None and p["reason"] == reason for p in case.pauses or []):
        return
    case.pauses = [*(case.pauses or []), {"start": at.isoformat(), "end": None, "reason": reason}]
    trail.record(session, None, "clock.paused", case=case, after={"reason": reason})


def resume(session: Session, case: Case, reason: str, at: dt.datetime) -> None:
    changed = False
    pauses = []
    for p in case.pauses or []:
        if p.get("end") is None and p["reason"] == reason:
            p = {**p, "end": at.isoformat()}
            changed = True
        pauses.append(p)
    if changed:
        case.pauses = pauses
        trail.record(session, None, "clock.resumed", case=case, after={"reason": reason})


def task_deadline(case: Case, task: CaseTask) -> Deadline:
    return Deadline(
        started_at=task.created_at,
        allowed_days=FRONT_DESK_DAYS if task.allowed_days is None else task.allowed_days,
        pauses=pauses_of(case, since=task.created_at) + task_own_pauses(task),
        calendar_days=bool(task.calendar_days),
    )


def legal_deadline(case: Case, task: CaseTask) -> Deadline | None:
    """The task's 法定时限, or None when the task has none (the desk's steps)."""
    if task.legal_days is None:
        return None
    return Deadline(
        started_at=task.created_at,
        allowed_days=task.legal_days,
        pauses=pauses_of(case, since=task.created_at) + task_own_pauses(task),
        calendar_days=bool(task.calendar_days),
    )


def case_deadline(case: Case, total_days: Decimal) -> Deadline:
    """The overall promise: also stopped while any item's own clock is (特别程序, 退回补正:
    the chain waits for that item) and later by the longest approved 延期."""
    own = tuple(p for t in case.tasks for p in task_own_pauses(t, since=case.accepted_at))
    return Deadline(
        started_at=case.accepted_at,
        allowed_days=total_days + max((t.extended_days or 0 for t in case.tasks), default=0),
        pauses=pauses_of(case, case.accepted_at) + own,
    )


def task_own_pauses(task: CaseTask, since: dt.datetime | None = None) -> tuple[Pause, ...]:
    """The task's own clock stops (back_office: 特别程序, 退回补正), clipped to `since`."""
    return _clipped(task.pauses, since)


def task_is_paused(task: CaseTask) -> bool:
    return stopped(task.pauses)


def schedule(case: Case, task: CaseTask, share: Decimal) -> None:
    """(Re)compute the task's due and yellow instants from its start and the case's pauses."""
    deadline = task_deadline(case, task)
    # While the clock is stopped the due instant is not known yet; inboxes still sort by the
    # earliest it can be (as if the clock resumed at once), the card does not move meanwhile.
    pauses = tuple(Pause(p.start, p.end or p.start) for p in deadline.pauses)
    projected = replace(deadline, pauses=pauses)
    task.due_at = projected.due_at()
    task.yellow_at = projected.reached_at(share)
    legal = legal_deadline(case, task)
    task.legal_due_at = replace(legal, pauses=pauses).due_at() if legal else None


def schedule_case(case: Case) -> None:
    """The overall promise; while the clock is stopped the last known one stays shown."""
    if case.accepted_at is not None:
        due = case_deadline(case, case_total_days(case)).due_at()
        if due is not None:
            case.promised_at = due


def evaluate_cards(session: Session, case: Case, now: dt.datetime) -> None:
    """Move each open task's card (and the case's) to what the clock says; audit each change."""
    share = published_theme(case.theme_version).yellow_card_at
    for task in case.tasks:
        if task.status != TaskStatus.OPEN:
            continue
        _flag_legal_overdue(session, case, task, now)
        card = task_deadline(case, task).card(now, yellow_at=share)
        if card != task.card:
            before = task.card
            task.card = card
            trail.record(
                session,
                None,
                f"task.card_{card.value}",
                case=case,
                task=task,
                before={"card": before},
                after={"card": card.value, "due_at": _iso(task.due_at)},
            )
    if case.accepted_at is None or not case.status_is_open:
        return
    card = case_deadline(case, case_total_days(case)).card(now, yellow_at=share)
    if card != case.card:
        before = case.card
        case.card = card
        trail.record(
            session,
            None,
            f"case.card_{card.value}",
            case=case,
            before={"card": before},
            after={"card": card.value, "promised_at": _iso(case.promised_at)},
        )


def _flag_legal_overdue(session: Session, case: Case, task: CaseTask, now: dt.datetime) -> None:
    if task.legal_overdue_at is not None:
        return
    legal = legal_deadline(case, task)
    due = legal.due_at() if legal else None
    if due is not None and now > due:
        task.legal_overdue_at = now
        trail.record(
            session,
            None,
            "task.legal_overdue",
            case=case,
            task=task,
            after={"legal_due_at": _iso(due), "legal_days": str(task.legal_days)},
        )


_TOTALS: ProcessCache[Decimal] = ProcessCache("case total days", maxsize=4096)


def case_total_days(case: Case) -> Decimal:
    """The case's overall promise: the heaviest chain of its selected items' committed days,
    plus the front desk's 受理 and 出件 (the theme's settings).

    An item promised in 自然日 counts its days as working days here: never shorter, so the
    case's promise is never broken by an item that kept its own.
    """
    version = case.theme_version
    selected = frozenset(case.selected_items or ())

    def build() -> Decimal:
        theme = published_theme(version)
        days = {
            item.task: allowed_days(theme, item.task)
            for item in theme.items
            if item.code in selected
        }
        spec, _ = spec_for(version)
        return promised_days(spec, days) + theme.acceptance_days + theme.delivery_days

    return _TOTALS.get((version_key(version), selected), build)


def next_check(case: Case, now: dt.datetime, timer_at: dt.datetime | None) -> dt.datetime | None:
    """The earliest instant the worker must look at the case again, or None."""
    instants: list[dt.datetime] = []
    if timer_at is not None:
        instants.append(timer_at)
    # While the clock is stopped no card can move: only promises and timers are watched.
    watch_diagram = case.status_is_open and not is_paused(case)
    for task in case.tasks:
        # Tasks outside BPMN (差评整改 …) run on after the case is 办结: watched always.
        if task.status != TaskStatus.OPEN or (TaskKind(task.kind).in_bpmn and not watch_diagram):
            continue
        if task_is_paused(task):  # its own clock stopped (特别程序, 退回补正): nothing moves
            continue
        if task.card == Card.NONE and task.yellow_at is not None:
            instants.append(task.yellow_at)
        if task.card != Card.RED and task.due_at is not None:
            instants.append(task.due_at + PAST)  # red means strictly past due
        if task.legal_overdue_at is None and task.legal_due_at is not None:
            instants.append(task.legal_due_at + PAST)
    # An item's own clock stopped stops the case's promise too (case_deadline).
    watch_case = watch_diagram and not any(task_is_paused(t) for t in case.tasks)
    if watch_case and case.accepted_at is not None and case.card != Card.RED:
        deadline = case_deadline(case, case_total_days(case))
        share = published_theme(case.theme_version).yellow_card_at
        if case.card == Card.NONE:
            instants.append(deadline.reached_at(share))
        if case.promised_at is not None:
            instants.append(case.promised_at + PAST)
    if case.status_is_open:
        for gap in case.gaps:
            if gap.received_at is None and gap.overdue_at is None:
                instants.append(gap_deadline(gap.promised_date))
                if gap.reminded_at is None:
                    instants.append(gap_reminder_at(gap.promised_date))
    return min((i for i in instants if i is not None), default=None)


# "容缺 date near": the applicant is reminded this long before a promised date, at 9:00.
GAP_REMINDER_DAYS = 2


def gap_reminder_at(promised: dt.date) -> dt.datetime:
    day = promised - dt.timedelta(days=GAP_REMINDER_DAYS)
    return dt.datetime.combine(day, dt.time(9), CHINA_TZ)


def gap_deadline(promised: dt.date) -> dt.datetime:
    """A promise "by 12 May" is broken at midnight after 12 May, Beijing time."""
    return dt.datetime.combine(promised + dt.timedelta(days=1), dt.time(), CHINA_TZ)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
