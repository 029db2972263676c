"""BPMN timers: the next due instant a worker indexes, firing, and surviving a save and load.

SpiffWorkflow decides whether a timer is due by comparing with `datetime.now()` when the
application polls. These tests use no clock mocking and no waiting on long timers:
- "not yet due" uses timers days ahead ("P2D", a pickup time tomorrow);
- a timer whose instant has passed uses a timeDate in the past, which fires as soon as the
  case reaches it;
- `refresh_timers` firing a timer that was *not* due when the case stepped needs real time
  to pass, so that test uses a 50 ms duration and sleeps until `next_timer_at` has passed
  (a lower bound `time.sleep` guarantees; nothing asserts how long anything took).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from engine.cases import complete_task, open_tasks, refresh_timers, start_case
from engine.problems import ThemeInvalid
from engine.theme_spec import compile_theme
from engine.timers import (
    BEFORE_START,
    FiredTimer,
    fired_since,
    next_timer_at,
    timer_snapshot,
    timer_value_problem,
)

BPMN = (Path(__file__).parent / "data" / "timed_approval.bpmn").read_text(encoding="utf-8")
LANES = {"综合窗口": "FRONT_DESK", "市场监管局": "SAMR"}
REMIND = '<bpmn:timeDuration>"P2D"</bpmn:timeDuration>'
UTC = dt.UTC


def _theme(xml: str = BPMN):
    return compile_theme(xml, LANES)


def _start(xml: str = BPMN, **data):
    theme = _theme(xml)
    return start_case(theme.spec, theme.subprocess_specs, data)


def _ready(workflow) -> list[str]:
    return sorted(t.bpmn_id for t in open_tasks(workflow))


def _complete(workflow, bpmn_id: str) -> None:
    task = next(t for t in open_tasks(workflow) if t.bpmn_id == bpmn_id)
    complete_task(workflow, task.task_id)


def _roundtrip(serializer, workflow, xml: str = BPMN):
    """Save and load as the web app does, keys sorted as PostgreSQL jsonb returns them."""
    theme = _theme(xml)
    spec, subs = serializer.spec_from_dict(serializer.spec_to_dict(theme))
    text = json.dumps(serializer.state_to_dict(workflow), ensure_ascii=False, sort_keys=True)
    return serializer.state_from_dict(json.loads(text), spec, subs)


def _in(hours: float) -> str:
    return (dt.datetime.now(UTC) + dt.timedelta(hours=hours)).isoformat()


# --- what an analyst may write ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("timeDuration", '"PT1H"'),
        ("timeDuration", '"P1DT12H"'),
        ("timeCycle", '"R3/PT4H"'),
        ("timeDate", '"2026-10-09T09:00:00+08:00"'),
    ],
)
def test_theme_accepts_iso_8601_timer_values(kind, value):
    theme = _theme(BPMN.replace(REMIND, f"<bpmn:{kind}>{value}</bpmn:{kind}>"))
    assert "Task_Approve" in theme.human_tasks
    assert timer_value_problem(kind, value) is None


@pytest.mark.parametrize(
    "value",
    [
        "__import__('os').system('id')",
        "open('/etc/passwd').read()",
        "().__class__.__base__.__subclasses__()",
        "",
    ],
)
def test_theme_refuses_unsafe_or_empty_timer_expressions(value):
    with pytest.raises(ThemeInvalid) as info:
        _theme(BPMN.replace(REMIND, f"<bpmn:timeDuration>{value}</bpmn:timeDuration>"))
    assert [p.element_id for p in info.value.problems] == ["Timer_Remind"]
    assert "定时器" in info.value.problems[0].message


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("timeDuration", '"2 days"', "不是有效的 ISO 8601 时长"),
        ("timeDate", '"P2D"', "不是有效的 ISO 8601 时间点"),
        ("timeDate", '"2026-10-09T09:00:00"', "时区"),
        ("timeCycle", '"every 4 hours"', "不是有效的 ISO 8601 周期"),
    ],
)
def test_timer_values_that_would_fail_in_a_running_case_are_named(kind, value, expected):
    assert expected in timer_value_problem(kind, value)


def test_timer_values_taken_from_case_data_are_left_to_run_time():
    assert timer_value_problem("timeDate", "pickup_at") is None


# --- the next due instant -----------------------------------------------------------------


def test_next_timer_is_the_boundary_timer_not_the_timer_not_reached_yet():
    before = dt.datetime.now(UTC)
    # The pickup time is earlier than the reminder, but the case has not reached it.
    wf = _start(pickup_at=_in(24))
    after = dt.datetime.now(UTC)
    due = next_timer_at(wf)
    assert before + dt.timedelta(days=2) <= due <= after + dt.timedelta(days=2)
    assert due.utcoffset() == dt.timedelta(0)


def test_next_timer_moves_to_the_catch_timer_once_approved():
    wf = _start(pickup_at="2099-10-09T09:00:00+08:00")
    _complete(wf, "Task_Approve")  # cancels the reminder, reaches the pickup wait
    assert _ready(wf) == []
    assert next_timer_at(wf) == dt.datetime(2099, 10, 9, 1, 0, tzinfo=UTC)


def test_cycle_timer_next_instant():
    xml = BPMN.replace(REMIND, '<bpmn:timeCycle>"R3/PT4H"</bpmn:timeCycle>')
    before = dt.datetime.now(UTC)
    wf = _start(xml, pickup_at=_in(1))
    after = dt.datetime.now(UTC)
    assert before + dt.timedelta(hours=4) <= next_timer_at(wf) <= after + dt.timedelta(hours=4)


def test_no_timer_once_nothing_waits():
    wf = _start(pickup_at="2001-01-01T09:00:00+08:00")
    _complete(wf, "Task_Approve")
    # A pickup time already past fires as soon as the case reaches it.
    assert _ready(wf) == ["Task_Deliver"]
    assert next_timer_at(wf) is None
    _complete(wf, "Task_Deliver")
    assert wf.completed and next_timer_at(wf) is None


# --- firing -------------------------------------------------------------------------------


def test_refresh_fires_a_due_boundary_timer_and_keeps_the_task_open(serializer):
    xml = BPMN.replace(REMIND, '<bpmn:timeDuration>"PT0.05S"</bpmn:timeDuration>')
    wf = _start(xml, pickup_at="2099-10-09T09:00:00+08:00")
    due = next_timer_at(wf)
    # The worker's path: the case is saved, the timer comes due, the case is loaded.
    wf = _roundtrip(serializer, wf, xml)
    assert next_timer_at(wf) == due
    time.sleep(max(0.0, (due - dt.datetime.now(UTC)).total_seconds()) + 0.01)
    refresh_timers(wf)
    # Non-interrupting: 催办 is added, the approval stays with the department.
    assert _ready(wf) == ["Task_Approve", "Task_Urge"]
    assert next_timer_at(wf) is None


def test_round_trip_keeps_a_waiting_timer(serializer):
    wf = _start(pickup_at="2099-10-09T09:00:00+08:00")
    due = next_timer_at(wf)
    restored = _roundtrip(serializer, wf)
    assert next_timer_at(restored) == due
    refresh_timers(restored)  # not due: nothing happens
    assert _ready(restored) == ["Task_Approve"]
    _complete(restored, "Task_Approve")
    restored = _roundtrip(serializer, restored)
    assert next_timer_at(restored) == dt.datetime(2099, 10, 9, 1, 0, tzinfo=UTC)


def test_timer_after_an_open_task_does_not_start_after_a_round_trip(serializer):
    """SimpleTaskConverter registers unreached catch events; polling must not fire them."""
    wf = _start(pickup_at="2001-01-01T09:00:00+08:00")  # would fire at once if reached
    restored = _roundtrip(serializer, wf)
    refresh_timers(restored)
    assert _ready(restored) == ["Task_Approve"]
    again = _roundtrip(serializer, restored)
    _complete(again, "Task_Approve")  # the pickup wait is reached only now
    assert _ready(again) == ["Task_Deliver"]


# --- which timers fired during a step -----------------------------------------------------

PARALLEL = (Path(__file__).parent / "data" / "parallel_wait.bpmn").read_text(encoding="utf-8")


def _sleep_until(instant: dt.datetime) -> None:
    time.sleep(max(0.0, (instant - dt.datetime.now(UTC)).total_seconds()) + 0.01)


def test_a_timer_due_while_a_clerk_steps_fires_in_that_step_and_its_flow_runs(serializer):
    until = dt.datetime.now(UTC) + dt.timedelta(milliseconds=50)
    wf = _start(PARALLEL, until=until.isoformat())
    assert _ready(wf) == ["Task_Review"]
    wf = _roundtrip(serializer, wf, PARALLEL)
    before = timer_snapshot(wf)
    _sleep_until(until)
    # No worker polled: the clerk's step fires it (the engine looks at waiting timers
    # whenever a task completes) and runs what it releases.
    _complete(wf, "Task_Review")
    assert fired_since(wf, before) == [FiredTimer("Timer_Until", "公示期满", until)]
    assert _ready(wf) == ["Task_Notify"]
    assert next_timer_at(wf) is None


def test_a_timer_due_only_at_the_engines_last_poll_still_runs_its_flow():
    until = dt.datetime.now(UTC) + dt.timedelta(milliseconds=200)
    wf = _start(PARALLEL, until=until.isoformat())
    poll = wf.refresh_timers

    def late_poll():
        # The timer comes due after the last task ran, just before do_engine_steps polls
        # timers on its way out: it fires there and is left READY.
        _sleep_until(until)
        poll()

    wf.refresh_timers = late_poll
    _complete(wf, "Task_Review")
    # Its flow runs in the same step; otherwise the case would stall: nothing waits any
    # more, so no worker would come back to it.
    assert _ready(wf) == ["Task_Notify"]


def test_a_timer_reached_after_its_instant_fires_in_the_step_that_reaches_it():
    wf = _start(pickup_at="2001-01-01T09:00:00+08:00")
    before = timer_snapshot(wf)
    _complete(wf, "Task_Approve")
    due = dt.datetime(2001, 1, 1, 1, 0, tzinfo=UTC)
    assert fired_since(wf, before) == [FiredTimer("Timer_Pickup", "等待预约取件时间", due)]


def test_a_timer_fired_while_the_case_starts_counts_from_before_the_start():
    past = dt.datetime(2001, 1, 1, 1, 0, tzinfo=UTC)
    wf = _start(PARALLEL, until=past.isoformat())
    assert fired_since(wf, BEFORE_START) == [FiredTimer("Timer_Until", "公示期满", past)]
    assert fired_since(wf, timer_snapshot(wf)) == []


def test_a_boundary_timer_cancelled_by_its_task_did_not_fire():
    wf = _start(pickup_at="2099-10-09T09:00:00+08:00")
    before = timer_snapshot(wf)
    _complete(wf, "Task_Approve")  # the 催办 timer (P2D) is cancelled with its task
    assert fired_since(wf, before) == []


def test_a_fire_is_reported_by_the_step_it_happened_in_only(serializer):
    xml = BPMN.replace(REMIND, '<bpmn:timeDuration>"PT0.05S"</bpmn:timeDuration>')
    wf = _start(xml, pickup_at="2099-10-09T09:00:00+08:00")
    due = next_timer_at(wf)
    _sleep_until(due)
    before = timer_snapshot(wf)
    refresh_timers(wf)
    assert [f.bpmn_id for f in fired_since(wf, before)] == ["Timer_Remind"]
    # The next step starts from the stored state: the 催办 timer already fired.
    wf = _roundtrip(serializer, wf, xml)
    before = timer_snapshot(wf)
    refresh_timers(wf)
    _complete(wf, "Task_Urge")
    assert fired_since(wf, before) == []


def test_each_cycle_of_a_cycle_timer_is_one_fire():
    xml = BPMN.replace(REMIND, '<bpmn:timeCycle>"R2/PT0.05S"</bpmn:timeCycle>')
    wf = _start(xml, pickup_at="2099-10-09T09:00:00+08:00")
    first = next_timer_at(wf)
    before = timer_snapshot(wf)
    fired = []
    for cycle in range(2):
        _sleep_until(first + cycle * dt.timedelta(milliseconds=50))
        refresh_timers(wf)
        fired = fired_since(wf, before)
        if len(fired) == 2:
            break
    # One 催办 per cycle, each fire due one period after the one before.
    assert _ready(wf).count("Task_Urge") == 2
    assert [f.due_at for f in fired] == [first, first + dt.timedelta(milliseconds=50)]
