"""Validating theme diagrams: clear problems naming elements, never a crash."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.problems import ThemeInvalid
from engine.theme_spec import CompiledTheme, compile_theme

LANES = {
    "综合窗口": "FRONT_DESK",
    "市场监管局": "SAMR",
    "公安局": "PSB",
    "税务局": "TAX",
    "人社局": "HRSS",
    "住房公积金中心": "HF",
}

MIWG = sorted(
    (Path(__file__).resolve().parents[3] / "shared" / "external" / "bpmn-miwg").glob("*/*.bpmn")
) or sorted(Path("/work/shared/external/bpmn-miwg").glob("*/*.bpmn"))


def test_reference_theme_compiles_with_departments(enterprise_theme):
    tasks = enterprise_theme.human_tasks
    assert tasks["Task_Accept"].department == "FRONT_DESK"
    assert tasks["Task_Seal"].department == "PSB"
    assert tasks["Task_Tax"].department == "TAX"
    assert tasks["Task_Insurance"].department == "HRSS"
    assert tasks["Task_Registration"].department == "SAMR"
    assert tasks["Task_Deliver"].lane == "综合窗口"


def _problems(xml: str, lanes=None):
    with pytest.raises(ThemeInvalid) as info:
        compile_theme(xml, lanes or LANES)
    return info.value.problems


def test_unknown_department_lane_names_the_task(enterprise_xml):
    xml = enterprise_xml.replace('name="公安局"', 'name="宣传部"')
    problems = _problems(xml)
    assert any(p.element_id == "Task_Seal" and "宣传部" in p.message for p in problems)


def test_unsafe_condition_names_the_flow(enterprise_xml):
    xml = enterprise_xml.replace("housing_fund == True", "__import__('os').system('id')")
    problems = _problems(xml)
    assert [p.element_id for p in problems] == ["Flow_FundYes"]
    assert "不安全" in problems[0].message


def test_script_task_is_refused(enterprise_xml):
    xml = re.sub(
        r'<bpmn:userTask id="Task_Seal"(.*?)</bpmn:userTask>',
        r'<bpmn:scriptTask id="Task_Seal"\1<bpmn:script>import os</bpmn:script>'
        r"</bpmn:scriptTask>",
        enterprise_xml,
        count=1,
        flags=re.S,
    )
    problems = _problems(xml)
    assert any(p.element_id == "Task_Seal" and "脚本任务" in p.message for p in problems)


def test_listener_scripts_in_extensions_are_refused(enterprise_xml):
    xml = enterprise_xml.replace(
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"',
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"',
        1,
    )
    xml = xml.replace(
        "<bpmn:incoming>Flow_Split_To_Seal</bpmn:incoming>",
        '<bpmn:extensionElements><camunda:executionListener event="start">'
        '<camunda:script scriptFormat="python">import os</camunda:script>'
        "</camunda:executionListener></bpmn:extensionElements>"
        "<bpmn:incoming>Flow_Split_To_Seal</bpmn:incoming>",
        1,
    )
    problems = _problems(xml)
    assert any(p.element_id == "Task_Seal" for p in problems)


def test_all_problems_are_reported_at_once(enterprise_xml):
    xml = enterprise_xml.replace('name="公安局"', 'name="宣传部"').replace(
        "housing_fund == True", "open('/etc/passwd')"
    )
    ids = {p.element_id for p in _problems(xml)}
    assert {"Task_Seal", "Flow_FundYes"} <= ids


def test_not_bpmn_at_all():
    problems = _problems("<html><body>hello</body></html>")
    assert "不是 BPMN" in problems[0].message


def test_miwg_files_are_here():
    assert len(MIWG) > 100, "shared/external/bpmn-miwg not found beside the repository"


@pytest.mark.parametrize("path", MIWG, ids=lambda p: f"{p.parent.name[:12]}/{p.name}")
def test_real_modeling_tool_exports_never_crash(path):
    """Any exported file gives either a theme or problems in Chinese, nothing else."""
    data = path.read_bytes()
    lanes = {**LANES, "Lane 1": "X", "Approver": "X", "Hiring manager": "X"}
    try:
        result = compile_theme(data, lanes)
    except ThemeInvalid as exc:
        assert exc.problems
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in p.message) for p in exc.problems)
    else:
        assert isinstance(result, CompiledTheme)


def _with_timer(xml: str, kind: str, value: str) -> str:
    """Put a timer between 企业设立登记 and the split (the flow keeps its id)."""
    timer = (
        f'<bpmn:intermediateCatchEvent id="Timer_Wait" name="等待">'
        f'<bpmn:timerEventDefinition id="TimerDef_Wait"><bpmn:{kind}>{value}</bpmn:{kind}>'
        f"</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:sequenceFlow id="Flow_Wait_To_Split" sourceRef="Timer_Wait" '
        'targetRef="Gateway_Split" />'
    )
    old_flow = 'sourceRef="Task_Registration" targetRef="Gateway_Split"'
    assert old_flow in xml
    xml = xml.replace(old_flow, 'sourceRef="Task_Registration" targetRef="Timer_Wait"')
    return xml.replace("</bpmn:process>", timer + "</bpmn:process>")


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("timeDuration", '"两天"', "不是有效的 ISO 8601"),
        ("timeDate", '"2026-12-01T09:00:00"', "需要写明时区"),
        ("timeDuration", "__import__('os')", "不安全或无效"),
    ],
)
def test_timer_values_spiffworkflow_cannot_read_are_refused_at_publish(
    enterprise_xml, kind, value, message
):
    problems = _problems(_with_timer(enterprise_xml, kind, value))
    assert [p.element_id for p in problems if message in p.message] == ["Timer_Wait"]


def test_a_quoted_iso_duration_is_accepted(enterprise_xml):
    # No ThemeInvalid: the same diagram with a readable, quoted duration compiles.
    compiled = compile_theme(_with_timer(enterprise_xml, "timeDuration", '"P2D"'), LANES)
    assert compiled.process_id == "enterprise_opening"
