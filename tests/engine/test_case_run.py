"""Running the reference theme: routing by lane, parallel branches, state round trips."""

from __future__ import annotations

import json

import pytest

from engine.cases import complete_task, element_progress, open_tasks, start_case
from engine.problems import CaseStepError, TaskNotReady


def _start(theme, serializer, **data):
    spec, subs = serializer.spec_from_dict(
        json.loads(json.dumps(serializer.spec_to_dict(theme), ensure_ascii=False))
    )
    return spec, subs, start_case(spec, subs, data)


def _roundtrip(serializer, workflow, spec, subs):
    """Through JSON with keys sorted, as PostgreSQL jsonb hands them back."""
    text = json.dumps(serializer.state_to_dict(workflow), ensure_ascii=False, sort_keys=True)
    return serializer.state_from_dict(json.loads(text), spec, subs), text


def test_parallel_department_tasks_are_ready_together(enterprise_theme, serializer):
    _, _, wf = _start(enterprise_theme, serializer, housing_fund=True)
    complete_task(wf, open_tasks(wf)[0].task_id)  # 综合受理
    complete_task(wf, open_tasks(wf)[0].task_id)  # 企业设立登记
    ready = {t.bpmn_id: t.lane for t in open_tasks(wf)}
    assert ready == {
        "Task_Seal": "公安局",
        "Task_Tax": "税务局",
        "Task_Insurance": "人社局",
        "Task_HousingFund": "住房公积金中心",
    }


def test_gateway_skips_housing_fund_when_not_chosen(enterprise_theme, serializer):
    _, _, wf = _start(enterprise_theme, serializer, housing_fund=False)
    seen = []
    while not wf.completed:
        task = open_tasks(wf)[0]
        seen.append(task.bpmn_id)
        complete_task(wf, task.task_id)
    assert "Task_HousingFund" not in seen
    assert seen[0] == "Task_Accept" and seen[-1] == "Task_Deliver"


@pytest.mark.parametrize("housing_fund", [True, False])
def test_state_survives_key_reordering_at_every_step(enterprise_theme, serializer, housing_fund):
    """The jsonb trap: 0 of 50 cases completed with the default converter; ours must finish."""
    for _ in range(10):
        spec, subs, wf = _start(
            enterprise_theme,
            serializer,
            housing_fund=housing_fund,
            enterprise_name="测试科技有限公司",
        )
        steps = 0
        while not wf.completed:
            wf, text = _roundtrip(serializer, wf, spec, subs)
            assert "测试科技有限公司" in text  # UTF-8, not \\uXXXX
            complete_task(wf, open_tasks(wf)[-1].task_id, {"opinion": "同意"})
            steps += 1
        assert steps == (7 if housing_fund else 6)


def test_case_state_does_not_repeat_the_spec(enterprise_theme, serializer):
    _, _, wf = _start(enterprise_theme, serializer, housing_fund=True)
    state = serializer.state_to_dict(wf)
    assert "spec" not in state
    text = json.dumps(state)
    assert "BpmnProcessSpec" not in text and "conditionExpression" not in text
    assert "housing_fund == True" not in text  # the gateway condition lives in the spec only


def test_completing_twice_is_refused(enterprise_theme, serializer):
    _, _, wf = _start(enterprise_theme, serializer, housing_fund=True)
    first = open_tasks(wf)[0].task_id
    complete_task(wf, first)
    with pytest.raises(TaskNotReady):
        complete_task(wf, first)
    with pytest.raises(TaskNotReady):
        complete_task(wf, "not-a-uuid")


def test_missing_gateway_variable_is_a_named_error(enterprise_theme, serializer):
    _, _, wf = _start(enterprise_theme, serializer)  # no housing_fund answer
    complete_task(wf, open_tasks(wf)[0].task_id)
    with pytest.raises(CaseStepError, match="流程运行出错"):
        complete_task(wf, open_tasks(wf)[0].task_id)


def test_progress_marks_done_and_waiting(enterprise_theme, serializer):
    _, _, wf = _start(enterprise_theme, serializer, housing_fund=True)
    complete_task(wf, open_tasks(wf)[0].task_id)
    progress = element_progress(wf)
    assert "Task_Accept" in progress["completed"]
    assert progress["active"] == ["Task_Registration"]
