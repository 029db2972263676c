"""Moving running cases to a new diagram: who may move, and the move keeps the work done."""

from __future__ import annotations

from engine.cases import complete_task, is_complete, open_tasks, start_case
from engine.moving import move_case, move_problems
from engine.theme_spec import compile_theme

from .conftest import LANES

RENAMED = ('name="单位参保登记"', 'name="单位参保登记（社保）"')


def _spec(serializer, xml):
    return serializer.spec_from_dict(serializer.spec_to_dict(compile_theme(xml, LANES)))


def _case_at_parallel_tasks(serializer, xml):
    spec, subs = _spec(serializer, xml)
    wf = start_case(spec, subs, {"housing_fund": False})
    complete_task(wf, open_tasks(wf)[0].task_id)  # 综合受理
    complete_task(wf, open_tasks(wf)[0].task_id)  # 企业设立登记
    return wf


def test_a_case_moves_to_a_diagram_with_a_renamed_task_and_finishes_on_it(
    enterprise_xml, serializer
):
    wf = _case_at_parallel_tasks(serializer, enterprise_xml)
    waiting = {t.bpmn_id: t.task_id for t in open_tasks(wf)}
    new_spec, new_subs = _spec(serializer, enterprise_xml.replace(*RENAMED))

    assert move_problems(wf, new_spec, new_subs) == []
    move_case(wf, new_spec, new_subs)

    assert wf.spec is new_spec
    # The same people's tasks wait, under the same engine ids (the inbox rows stay valid).
    assert {t.bpmn_id: t.task_id for t in open_tasks(wf)} == waiting
    names = {t.bpmn_id: t.name for t in open_tasks(wf)}
    assert names["Task_Insurance"] == "单位参保登记（社保）"
    while not is_complete(wf):
        complete_task(wf, open_tasks(wf)[0].task_id)


def test_a_case_whose_waiting_task_moved_lane_cannot_move(enterprise_xml, serializer):
    wf = _case_at_parallel_tasks(serializer, enterprise_xml)
    # Task_Tax handed to the 人社局 lane in the new diagram.
    moved = enterprise_xml.replace("<bpmn:flowNodeRef>Task_Tax</bpmn:flowNodeRef>", "").replace(
        "<bpmn:flowNodeRef>Task_Insurance</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>Task_Insurance</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>Task_Tax</bpmn:flowNodeRef>",
    )
    new_spec, new_subs = _spec(serializer, moved)

    problems = move_problems(wf, new_spec, new_subs)

    assert [p.element for p in problems] == ["Task_Tax"]
    assert "税务局" in problems[0].message and "人社局" in problems[0].message


def test_a_case_whose_completed_task_was_removed_cannot_move(enterprise_xml, serializer):
    spec, subs = _spec(serializer, enterprise_xml)
    wf = start_case(spec, subs, {"housing_fund": False})
    complete_task(wf, open_tasks(wf)[0].task_id)  # 综合受理 done; 企业设立登记 waits
    renamed = enterprise_xml.replace('"Task_Accept"', '"Task_Intake"').replace(
        ">Task_Accept<", ">Task_Intake<"
    )
    new_spec, new_subs = _spec(serializer, renamed)

    problems = move_problems(wf, new_spec, new_subs)

    assert any(p.element == "Task_Accept" and "已办理" in p.message for p in problems)
