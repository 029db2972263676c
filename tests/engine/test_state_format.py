"""A case's stored engine state: nothing the engine needs is lost, old states still run.

Each save here goes through JSON and comes back with its keys in PostgreSQL jsonb's order
(shorter keys first, then bytewise), as the web app's database hands it back. What the
engine keeps of a workflow is read from SpiffWorkflow's own objects (`_engine_view`), not
from the serializer under test.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.cases import cancel_case, complete_task, open_tasks, refresh_timers, start_case
from engine.problems import TaskNotReady
from engine.theme_spec import compile_theme
from engine.timers import next_timer_at

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
UTC = dt.UTC
TIMED_BPMN = (HERE / "data" / "timed_approval.bpmn").read_text(encoding="utf-8")
SUB_BPMN = (HERE / "data" / "subprocess_review.bpmn").read_text(encoding="utf-8")
ANSWERS = {
    "housing_fund": True,
    "enterprise_name": "博罗县青禾餐饮管理有限公司",
    "registered_capital": Decimal("500000.00"),
    "founded_on": dt.date(2026, 11, 30),
    "shareholders": [{"name": "张三", "share": 60}, {"name": "李四", "share": 40}],
}


def _jsonb_order(value):
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return {k: _jsonb_order(value[k]) for k in keys}
    if isinstance(value, list):
        return [_jsonb_order(v) for v in value]
    return value


def _stored(serializer, workflow) -> dict:
    """The state as the database hands it back."""
    text = json.dumps(serializer.state_to_dict(workflow), ensure_ascii=False)
    return _jsonb_order(json.loads(text))


def _through_database(serializer, workflow, spec, subs):
    return serializer.state_from_dict(_stored(serializer, workflow), spec, subs)


def _old_state(name: str) -> dict:
    return _jsonb_order(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


def _one_workflow(wf) -> dict:
    return {
        "root": wf.task_tree.id,
        "tasks": {
            t.id: {
                "spec": t.task_spec.name,
                "state": t.state,
                "parent": t._parent,
                "children": list(t._children),
                "last_state_change": t.last_state_change,
                "triggered": t.triggered,
                "internal_data": t.internal_data,
                "data": _typed(t.data),
            }
            for t in wf.tasks.values()
        },
        "data": _typed(wf.data),
        "success": wf.success,
        "completed": wf.completed,
        "last_task": wf.last_task.id if wf.last_task else None,
        "correlations": wf.correlations,
    }


def _engine_view(workflow) -> dict:
    """Everything SpiffWorkflow keeps of a case, subprocesses included."""
    return {
        "top": _one_workflow(workflow),
        "subprocesses": {k: _one_workflow(s) for k, s in workflow.subprocesses.items()},
        "next_timer": next_timer_at(workflow),
        "open": [(t.task_id, t.bpmn_id) for t in open_tasks(workflow)],
    }


def _typed(value):
    # `==` takes 1, 1.0 and True for one another; the engine's conditions may not.
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [type(value).__name__, *(_typed(v) for v in value)]
    return (type(value).__name__, value)


def _outcome(workflow) -> list:
    """What a case did, without the engine's random task ids."""
    return sorted(
        (t.task_spec.name, t.state, json.dumps(_typed(t.data), sort_keys=True, default=str))
        for t in workflow.get_tasks()
    ) + [
        (
            "workflow",
            workflow.completed,
            json.dumps(_typed(workflow.data), sort_keys=True, default=str),
        )
    ]


def _complete(workflow, bpmn_id: str, data: dict | None = None) -> None:
    task = next(t for t in open_tasks(workflow) if t.bpmn_id == bpmn_id)
    complete_task(workflow, task.task_id, data)


def _ready(workflow) -> list[str]:
    return sorted(t.bpmn_id for t in open_tasks(workflow))


@pytest.fixture(scope="module")
def enterprise(enterprise_theme, serializer):
    return serializer.spec_from_dict(
        json.loads(json.dumps(serializer.spec_to_dict(enterprise_theme), ensure_ascii=False))
    )


# --- the compact format: store → restore gives the same workflow ---------------------------


@pytest.mark.parametrize("housing_fund", [True, False])
def test_every_save_gives_back_the_same_task_tree_and_the_same_outcome(
    enterprise, serializer, housing_fund
):
    spec, subs = enterprise
    answers = {**ANSWERS, "housing_fund": housing_fund}
    kept = start_case(spec, subs, answers)  # never saved
    saved = start_case(spec, subs, answers)
    steps = 0
    while not saved.completed:
        restored = _through_database(serializer, saved, spec, subs)
        assert _engine_view(restored) == _engine_view(saved)
        saved = restored
        bpmn_id = open_tasks(saved)[-1].bpmn_id
        decision = {f"{bpmn_id}_decision": "granted", f"{bpmn_id}_at": dt.date(2026, 12, 1)}
        _complete(saved, bpmn_id, decision)
        _complete(kept, bpmn_id, decision)
        steps += 1
    assert steps == (7 if housing_fund else 6)
    assert kept.completed
    assert _outcome(saved) == _outcome(kept)
    assert _engine_view(_through_database(serializer, saved, spec, subs)) == _engine_view(saved)


def test_task_data_keeps_types_removed_keys_and_separate_values(enterprise, serializer):
    spec, subs = enterprise
    wf = start_case(spec, subs, ANSWERS)
    task = wf.get_task_from_id(UUID(open_tasks(wf)[0].task_id))
    task.data["housing_fund"] = 1  # equal to True in Python, not the same value
    task.data["registered_capital"] = Decimal("500000.0")  # equal, written differently
    del task.data["enterprise_name"]
    restored = _through_database(serializer, wf, spec, subs)
    back = restored.get_task_from_id(task.id)
    assert type(back.data["housing_fund"]) is int
    assert str(back.data["registered_capital"]) == "500000.0"
    assert "enterprise_name" not in back.data
    assert back.parent.data["enterprise_name"] == "博罗县青禾餐饮管理有限公司"
    assert back.parent.data["housing_fund"] is True
    # Each task holds its own copy, as SpiffWorkflow's deep copies do in memory.
    back.data["shareholders"].append({"name": "王五", "share": 0})
    assert len(back.parent.data["shareholders"]) == 2


def test_a_completed_case_does_not_repeat_its_data_per_task(enterprise, serializer):
    spec, subs = enterprise
    wf = start_case(spec, subs, ANSWERS)
    while not wf.completed:
        bpmn_id = open_tasks(wf)[0].bpmn_id
        _complete(wf, bpmn_id, {f"{bpmn_id}_decision": "granted"})
    state = serializer.state_to_dict(wf)
    tasks = json.dumps(state["tasks"], ensure_ascii=False)
    # 19 tasks carry the answer in memory; the task list writes it once (and the case's
    # own data, which SpiffWorkflow fills at the end, once more).
    assert sum("博罗县青禾餐饮管理有限公司" in str(t.data) for t in wf.get_tasks()) > 10
    assert tasks.count("博罗县青禾餐饮管理有限公司") == 1
    # Written where it was set; tasks the join cancelled (no data) list it as removed.
    assert sum("Task_Accept_decision" in t.get("d", {}) for t in state["tasks"]) == 1
    assert len(json.dumps(state, ensure_ascii=False).encode()) <= 8192


def test_cancelled_case_round_trip(enterprise, serializer):
    spec, subs = enterprise
    wf = start_case(spec, subs, ANSWERS)
    _complete(wf, "Task_Accept", {"Task_Accept_decision": "accepted"})
    cancel_case(wf)
    restored = _through_database(serializer, wf, spec, subs)
    assert _engine_view(restored) == _engine_view(wf)
    assert restored.completed and open_tasks(restored) == []


def test_timers_keep_their_due_time_and_fire(serializer):
    theme = compile_theme(TIMED_BPMN, {"综合窗口": "FRONT_DESK", "市场监管局": "SAMR"})
    spec, subs = theme.spec, theme.subprocess_specs
    wf = start_case(spec, subs, {"pickup_at": "2099-10-09T09:00:00+08:00"})
    restored = _through_database(serializer, wf, spec, subs)
    assert _engine_view(restored) == _engine_view(wf)
    refresh_timers(restored)  # the reminder is two days away: nothing fires
    assert _ready(restored) == ["Task_Approve"]
    _complete(restored, "Task_Approve")
    restored = _through_database(serializer, restored, spec, subs)
    assert next_timer_at(restored) == dt.datetime(2099, 10, 9, 1, 0, tzinfo=UTC)
    assert _ready(restored) == []


def test_subprocess_and_its_boundary_timer_round_trip(serializer):
    theme = compile_theme(SUB_BPMN, {"综合窗口": "FRONT_DESK"})
    spec, subs = theme.spec, theme.subprocess_specs
    kept = start_case(spec, subs, {"enterprise_name": "测试科技有限公司"})
    saved = start_case(spec, subs, {"enterprise_name": "测试科技有限公司"})
    restored = _through_database(serializer, saved, spec, subs)
    view = _engine_view(restored)
    assert view == _engine_view(saved)
    assert len(view["subprocesses"]) == 1 and view["open"][0][1] == "Task_Review"
    assert view["next_timer"] > dt.datetime.now(UTC) + dt.timedelta(days=1)
    # The review is a task of the subprocess; completing it ends the subprocess.
    for wf in (restored, kept):
        _complete(wf, "Task_Review", {"Task_Review_decision": "granted"})
    restored = _through_database(serializer, restored, spec, subs)
    assert _ready(restored) == ["Task_Deliver"] and next_timer_at(restored) is None
    for wf in (restored, kept):
        _complete(wf, "Task_Deliver")
    assert restored.completed and _outcome(restored) == _outcome(kept)


def test_a_tree_the_compact_format_cannot_express_is_kept_whole(enterprise, serializer):
    spec, subs = enterprise
    wf = start_case(spec, subs, ANSWERS)
    Task(wf, spec.task_specs["Task_Accept"], state=TaskState.COMPLETED)  # in no tree
    stored = _stored(serializer, wf)
    assert stored["format"] == "1.5"
    assert _engine_view(serializer.state_from_dict(stored, spec, subs)) == _engine_view(wf)


def test_a_subprocess_tree_out_of_shape_keeps_the_whole_case_whole(serializer):
    theme = compile_theme(SUB_BPMN, {"综合窗口": "FRONT_DESK"})
    spec, subs = theme.spec, theme.subprocess_specs
    wf = start_case(spec, subs, {"enterprise_name": "测试科技有限公司"})
    (sub,) = wf.subprocesses.values()
    Task(sub, sub.spec.task_specs["Task_Review"], state=TaskState.COMPLETED)  # in no tree
    stored = _stored(serializer, wf)
    assert stored["format"] == "1.5"
    assert _engine_view(serializer.state_from_dict(stored, spec, subs)) == _engine_view(wf)


# --- states written before the compact format (cases in flight) ---------------------------


def test_old_state_in_flight_restores_and_runs_to_the_end(enterprise, serializer):
    spec, subs = enterprise
    old = _old_state("enterprise-opening-in-flight.spiff-1.5.json")
    assert old["format"] == "1.5"
    ready_in_file = {k for k, t in old["tasks"].items() if t["state"] == TaskState.READY}
    wf = serializer.state_from_dict(old, spec, subs)
    assert {t.task_id for t in open_tasks(wf)} == ready_in_file
    assert _ready(wf) == ["Task_HousingFund", "Task_Insurance", "Task_Tax"]
    # The first save after the upgrade writes the compact format; nothing changes.
    again = _through_database(serializer, wf, spec, subs)
    assert _engine_view(again) == _engine_view(wf)
    for bpmn_id in ("Task_Tax", "Task_Insurance", "Task_HousingFund", "Task_Deliver"):
        _complete(again, bpmn_id, {f"{bpmn_id}_decision": "granted"})
        again = _through_database(serializer, again, spec, subs)
    assert again.completed
    end = again.last_task.data
    assert end["registered_capital"] == Decimal("500000.00")
    assert end["founded_on"] == dt.date(2026, 11, 30)
    assert end["shareholders"][1] == {"name": "李四", "share": 40}
    assert end["credit_code"] == "91441322MA5FIXT001"  # written by 企业设立登记 before
    assert end["Task_Seal_decision"] == "granted" and end["Task_Deliver_decision"] == "granted"


def test_old_cancelled_case_stays_cancelled(enterprise, serializer):
    spec, subs = enterprise
    old = _old_state("enterprise-opening-cancelled.spiff-1.5.json")
    wf = serializer.state_from_dict(old, spec, subs)
    assert wf.completed and open_tasks(wf) == []
    accept = next(k for k, t in old["tasks"].items() if t["task_spec"] == "Task_Accept")
    with pytest.raises(TaskNotReady):
        complete_task(wf, accept)
    assert _engine_view(_through_database(serializer, wf, spec, subs)) == _engine_view(wf)


def test_old_state_keeps_its_timers(serializer):
    xml = TIMED_BPMN.replace('"P2D"', '"PT1S"')  # the diagram the old case was started on
    theme = compile_theme(xml, {"综合窗口": "FRONT_DESK", "市场监管局": "SAMR"})
    spec, subs = theme.spec, theme.subprocess_specs
    wf = serializer.state_from_dict(
        _old_state("timed-approval-in-flight.spiff-1.5.json"), spec, subs
    )
    # Due one second after the case was started, when the fixture was written.
    assert next_timer_at(wf) == dt.datetime(2026, 11, 30, 4, 52, 55, 993139, tzinfo=UTC)
    wf = _through_database(serializer, wf, spec, subs)
    assert next_timer_at(wf) == dt.datetime(2026, 11, 30, 4, 52, 55, 993139, tzinfo=UTC)
    refresh_timers(wf)  # the reminder is due: 催办 is added, the approval stays open
    assert _ready(wf) == ["Task_Approve", "Task_Urge"]
    _complete(wf, "Task_Approve")  # the pickup time (from the case data) is past
    wf = _through_database(serializer, wf, spec, subs)
    assert _ready(wf) == ["Task_Deliver", "Task_Urge"]
    _complete(wf, "Task_Urge")
    _complete(wf, "Task_Deliver")
    assert wf.completed
