"""Diagrams as Camunda Modeler, Signavio and the MIWG reference files write them."""

from __future__ import annotations

import collections
import re

import pytest

from engine.cases import complete_task, is_complete, open_tasks, start_case
from engine.interchange import condition_language, feel_to_python, normalised_timer
from engine.problems import ThemeInvalid
from engine.theme_spec import compile_theme

from .test_theme_spec import LANES, MIWG, _problems, _with_timer


@pytest.mark.parametrize(
    ("kind", "value", "quoted"),
    [
        ("timeDuration", "PT2H", '"PT2H"'),
        ("timeDuration", "P7D", '"P7D"'),
        ("timeCycle", "R1/P5D", '"R1/P5D"'),
        ("timeCycle", "R6/P1D", '"R6/P1D"'),
        ("timeDate", "2026-12-01T09:00:00+08:00", '"2026-12-01T09:00:00+08:00"'),
        # Without an offset a date is Beijing time, as every 一件事 deadline is.
        ("timeDate", "2026-12-01T09:00:00", '"2026-12-01T09:00:00+08:00"'),
        ("timeDate", "2026-12-01", '"2026-12-01T00:00:00+08:00"'),
        # Over the bound: quoted, so that the check says why (below).
        ("timeDuration", "P9999999999D", '"P9999999999D"'),
    ],
)
def test_standard_unquoted_timer_literals_are_quoted_on_import(kind, value, quoted):
    assert normalised_timer(kind, value) == quoted


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("timeDuration", '"P2D"'),  # already ours
        ("timeDate", "pickup_at"),  # case data
        ("timeDuration", "two days"),
    ],
)
def test_anything_else_is_left_as_written(kind, value):
    assert normalised_timer(kind, value) is None


@pytest.mark.parametrize("value", ["PT2H", "R1/P5D", "2026-12-01T09:00:00"])
def test_a_diagram_with_an_unquoted_timer_compiles_and_runs(enterprise_xml, value):
    kind = "timeCycle" if value.startswith("R") else "timeDate" if "-" in value else "timeDuration"
    compiled = compile_theme(_with_timer(enterprise_xml, kind, value), LANES)
    # The engine reads the quoted literal: a case reaches the timer and waits on it.
    workflow = start_case(compiled.spec, compiled.subprocess_specs, {"housing_fund": False})
    complete_task(workflow, open_tasks(workflow)[0].task_id)  # 综合受理
    complete_task(workflow, open_tasks(workflow)[0].task_id)  # 企业设立登记
    assert not is_complete(workflow)
    waiting = [t.task_spec.bpmn_id for t in workflow.get_tasks() if t.state == 8]  # WAITING
    assert "Timer_Wait" in waiting


def test_an_out_of_range_unquoted_timer_is_still_refused(enterprise_xml):
    problems = _problems(_with_timer(enterprise_xml, "timeDuration", "P9999999999D"))
    assert [p.element_id for p in problems] == ["Timer_Wait"]


@pytest.mark.parametrize(
    ("text", "own", "declared", "language"),
    [
        ("housing_fund == True", None, None, None),
        # Many tools declare XPath on <definitions> by default: a valid condition is ours.
        ("housing_fund == True", None, "http://www.w3.org/1999/XPath", None),
        ("Vacation Approval = \"Approved\"", None, "https://www.omg.org/spec/DMN/20191111/FEEL/",
         "https://www.omg.org/spec/DMN/20191111/FEEL/"),
        ("x > 1", "http://www.w3.org/1999/XPath", None, "http://www.w3.org/1999/XPath"),
        ("${approved}", None, None, "JUEL"),
        ("= not(approved)", None, None, "FEEL"),
        ("bpmn:getDataObject('approved')", None, None, "XPath"),
        ("", "http://www.w3.org/1999/XPath", None, None),  # carries nothing
    ],
)  # fmt: skip
def test_the_language_a_condition_is_written_in(text, own, declared, language):
    assert condition_language(text, own, declared) == language


@pytest.mark.parametrize(
    ("feel", "python"),
    [
        ("= approved", "approved == True"),
        ("=not(approved)", "approved == False"),
        ('status = "done"', 'status == "done"'),
        ("= amount >= 300", "amount >= 300"),
        ("seats != 75", "seats != 75"),
        ("= registered = false", "registered == False"),
        ('= some risk in riskLevels satisfies risk = "red"', None),
        ('Vacation Approval = "Approved"', None),
        ("= a and b", None),
    ],
)
def test_simple_feel_comparisons_are_translated_and_nothing_else(feel, python):
    assert feel_to_python(feel) == python


def _with_condition(xml: str, condition: str) -> str:
    return xml.replace(
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">housing_fund == True',
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"{condition}',
    )


def test_a_feel_condition_is_named_as_feel_not_as_a_python_syntax_error(enterprise_xml):
    xml = _with_condition(
        enterprise_xml,
        ' language="https://www.omg.org/spec/DMN/20191111/FEEL/">'
        "some f in funds satisfies f &gt; 1",
    )
    problems = _problems(xml)
    assert [p.element_id for p in problems] == ["Flow_FundYes"]
    assert "不支持的表达式语言 FEEL" in problems[0].message
    assert "语法错误" not in problems[0].message


def test_a_simple_feel_condition_is_translated_and_routes_the_case(enterprise_xml):
    xml = _with_condition(enterprise_xml, ">= housing_fund")
    compiled = compile_theme(xml, LANES)
    for wanted, expected in ((True, True), (False, False)):
        workflow = start_case(compiled.spec, compiled.subprocess_specs, {"housing_fund": wanted})
        reached = set()
        while open_tasks(workflow):
            task = open_tasks(workflow)[0]
            reached.add(task.bpmn_id)
            complete_task(workflow, task.task_id)
        assert is_complete(workflow)
        assert ("Task_HousingFund" in reached) is expected


def test_several_pools_are_refused_with_the_reason(enterprise_xml):
    second = (
        '<bpmn:participant id="Pool_Bank" name="银行" processRef="Process_Bank" />'
        "</bpmn:collaboration>"
    )
    xml = enterprise_xml.replace("</bpmn:collaboration>", second, 1)
    xml = xml.replace('isExecutable="true"', 'isExecutable="false"', 1).replace(
        "</bpmn:process>",
        '</bpmn:process><bpmn:process id="Process_Bank" isExecutable="false" />',
        1,
    )
    problems = _problems(xml)
    assert len(problems) == 1
    assert "2 个池" in problems[0].message and "银行" in problems[0].message


def _reason(message: str) -> str:
    """A problem's kind: its message with names, ids and quoted text taken out."""
    return re.sub(r"“[^”]*”|（[^）]*）|\[[^]]*\]|\S*\d\S*", "…", message)[:30]


def test_miwg_files_counted_per_reason():
    """Every MIWG file loads or is refused in Chinese; the reasons are counted and shown
    (pytest -s); the two reasons this issue removed are gone."""
    lanes = {**LANES, "Lane 1": "X", "Approver": "X", "Hiring manager": "X"}
    outcomes: collections.Counter[str] = collections.Counter()
    messages = []
    for path in MIWG:
        try:
            compile_theme(path.read_bytes(), lanes)
            outcomes["可以加载"] += 1
        except ThemeInvalid as exc:
            messages += [p.message for p in exc.problems]
            for reason in {_reason(p.message) for p in exc.problems}:
                outcomes[reason] += 1
    print("\nMIWG", len(MIWG), "files:")
    for reason, count in outcomes.most_common():
        print(f"{count:4d}  {reason}")
    assert not [m for m in messages if "加引号" in m]
    language = [m for m in messages if "不支持的表达式语言" in m]
    assert len(language) >= 30
    # A condition in FEEL/JUEL/XPath is never reported as a Python syntax error.
    assert not [m for m in messages if "语法错误" in m and ("${" in m or "getDataObject" in m)]
    assert outcomes["可以加载"] >= 1
