"""The expression budget: what the whitelist lets through can still not cost unbounded CPU or
memory. Each attack is refused at publish time where the expression alone shows it, and
stopped by the evaluator when only case data does. No test allocates more than the bounds,
and none asserts timings: each asserts the error."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine import expressions
from engine.cases import complete_task, open_tasks, start_case
from engine.expressions import (
    MAX_ITEMS,
    MAX_STRING_CHARS,
    ExpressionOverBudget,
    SafeEnvironment,
    UnsafeExpression,
    check_expression,
)
from engine.problems import CaseStepError, ThemeInvalid
from engine.theme_spec import compile_theme

LANES = {
    "综合窗口": "FRONT_DESK",
    "市场监管局": "SAMR",
    "公安局": "PSB",
    "税务局": "TAX",
    "人社局": "HRSS",
    "住房公积金中心": "HF",
}
TIMED = (Path(__file__).parent / "data" / "timed_approval.bpmn").read_text(encoding="utf-8")
TIMED_LANES = {"综合窗口": "FRONT_DESK", "市场监管局": "SAMR"}
REMIND = '<bpmn:timeDuration>"P2D"</bpmn:timeDuration>'
FUND_CONDITION = "housing_fund == True"

# Expressions whose cost shows in the text itself: refused before publishing.
STATIC_ATTACKS = [
    ("'a' * 1000000000", ExpressionOverBudget, "文字超过"),
    ("[0] * 100000000", ExpressionOverBudget, "超过 1000 项"),
    ("[[0] * 1000] * 1000", ExpressionOverBudget, "超过 1000 项"),
    ("'%0999999999d' % 1", UnsafeExpression, "不允许用 % 格式化文字"),
    ("'%s' % name", UnsafeExpression, "不允许用 % 格式化文字"),
    ("int('9' * 4000)", ExpressionOverBudget, "要转换为数字的文字"),
    ("Decimal('1e999999999')", ExpressionOverBudget, "数字超过 100 位"),
    ("Decimal(10) ** 999999", UnsafeExpression, "不允许使用 Pow"),
    ("9" * 101, ExpressionOverBudget, "数字超过 100 位"),
    (f"{'9' * 60} * {'9' * 60}", ExpressionOverBudget, "数字超过 100 位"),
    ("round(5, -1000000000)", ExpressionOverBudget, "round 的位数"),
    ("+".join(["x"] * 100_000), ExpressionOverBudget, "表达式过长"),
    ("[" + ",".join(["x"] * 600) + "]", ExpressionOverBudget, "表达式过长：超过 500 个运算项"),
    ("+".join(["x"] * 60), ExpressionOverBudget, "表达式嵌套过深"),
    ("-" * 1_000 + "x", ExpressionOverBudget, "表达式嵌套过深"),
    ("a if b else " * 100 + "c", ExpressionOverBudget, "表达式嵌套过深"),
    ("(" * 300 + "x" + ")" * 300, ExpressionOverBudget, "表达式嵌套过深"),
]


@pytest.mark.parametrize(("source", "error", "message"), STATIC_ATTACKS)
def test_attacks_visible_in_the_text_are_refused_statically(source, error, message):
    with pytest.raises(error, match=message):
        check_expression(source)


@pytest.mark.parametrize(("source", "error", "message"), STATIC_ATTACKS)
def test_the_evaluator_refuses_them_too(source, error, message):
    # A spec published before the budget existed is still evaluated within it.
    with pytest.raises(error, match=message):
        SafeEnvironment().evaluate(source, {"name": "x", "x": 1, "a": 1, "b": True, "c": 2})


# Expressions whose cost depends on case data: they pass the static check, and the
# evaluator stops them at the first value over a bound, before computing it.
RUN_TIME_ATTACKS = [
    ("name * n", {"name": "ab", "n": 10**9}, "文字超过"),
    ("n * name", {"name": "ab", "n": 10**9}, "文字超过"),
    ("[0] * n", {"n": 10**8}, "超过 1000 项"),
    ("[items] * n", {"items": list(range(10)), "n": 200}, "超过 1000 项"),
    ("[text] * n", {"text": "a" * 100, "n": 200}, "文字超过"),
    ("text + text", {"text": "a" * 6_000}, "文字超过"),
    ("items + items", {"items": [0] * 600}, "超过 1000 项"),
    ("template % 1", {"template": "%0999999999d"}, "不允许用 % 格式化文字"),
    ("template % args", {"template": "%*d", "args": (999999999, 1)}, "不允许用 % 格式化文字"),
    ("int(digits)", {"digits": "9" * 4000}, "要转换为数字的文字"),
    ("Decimal(digits)", {"digits": "9" * 4000}, "要转换为数字的文字"),
    ("Decimal(text)", {"text": "1e999999999"}, "数字超过 100 位"),
    ("int(amount)", {"amount": Decimal("1e999999999")}, "数字超过 100 位"),
    ("x * x * x * x", {"x": 10**40}, "数字超过 100 位"),
    ("Decimal(x) * Decimal(x) * Decimal(x)", {"x": 10**40}, "数字超过 100 位"),
    ("round(x, n)", {"x": 5, "n": -(10**9)}, "round 的位数"),
    ("amount > 0", {"amount": 10**200}, "数字超过 100 位"),
]


@pytest.mark.parametrize(("source", "data", "message"), RUN_TIME_ATTACKS)
def test_attacks_driven_by_case_data_are_stopped_when_evaluated(source, data, message):
    check_expression(source)  # nothing in the text alone shows the cost
    with pytest.raises(UnsafeExpression, match=message):
        SafeEnvironment().evaluate(source, data)


def test_an_over_budget_error_is_an_unsafe_expression_naming_the_expression():
    with pytest.raises(ExpressionOverBudget) as caught:
        SafeEnvironment().evaluate("name * n", {"name": "ab", "n": 10**9})
    assert isinstance(caught.value, UnsafeExpression)
    assert caught.value.expression == "name * n"


def test_the_number_of_steps_is_bounded(monkeypatch):
    # Every node is evaluated at most once with the whitelisted syntax, so only a lower
    # bound shows the step count at work.
    monkeypatch.setattr(expressions, "MAX_OPERATIONS", 5)
    assert SafeEnvironment().evaluate("1 + 1", {}) == 2
    with pytest.raises(ExpressionOverBudget, match="运算超过 5 步"):
        SafeEnvironment().evaluate("1 + 1 + 1 + 1", {})


@pytest.mark.parametrize(
    ("source", "data", "expected"),
    [
        ("amount > 100", {"amount": 150}, True),
        ('Decimal(x) >= Decimal("140")', {"x": "150.5"}, True),
        ('Decimal(x) >= Decimal("140")', {"x": 139}, False),
        ("len(items) > 0", {"items": [1]}, True),
        ('a in ("x", "y")', {"a": "y"}, True),
        ("amount % 2 == 0", {"amount": 10}, True),
        ("'P' + str(days) + 'D'", {"days": 3}, "P3D"),
        ("len('a' * n)", {"n": MAX_STRING_CHARS}, MAX_STRING_CHARS),
        ("len([0] * n)", {"n": MAX_ITEMS}, MAX_ITEMS),
        ("int('9' * 100) > 0", {}, True),
        ("Decimal(1) / Decimal(8)", {}, Decimal("0.125")),
        ('round(Decimal("2.675"), 2)', {}, Decimal("2.68")),
        ("'餐饮' in scope", {"scope": "餐饮服务；" * 3_000}, True),
        ("len(members) >= 2", {"members": [{"name": "张三"}] * 5_000}, True),
    ],
)
def test_legitimate_expressions_stay_within_the_budget(source, data, expected):
    check_expression(source)
    assert SafeEnvironment().evaluate(source, data) == expected


def test_case_data_is_read_whatever_its_size_only_computed_values_are_bounded():
    # A long 经营范围 in the case is data the application accepted; copying it is not free.
    scope = "餐饮服务；" * 3_000
    assert SafeEnvironment().evaluate("scope", {"scope": scope}) == scope
    with pytest.raises(ExpressionOverBudget):
        SafeEnvironment().evaluate("[scope]", {"scope": scope})


# --- at publish: a named problem, never an exception ------------------------------------


def _condition_problems(enterprise_xml: str, condition: str):
    xml = enterprise_xml.replace(FUND_CONDITION, condition)
    with pytest.raises(ThemeInvalid) as caught:
        compile_theme(xml, LANES)
    return [(p.element_id, p.message) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (" + ".join(["housing_fund"] * 100_000), "表达式过长"),
        ("(" * 300 + "housing_fund" + ")" * 300, "表达式嵌套过深"),
        ("not " * 400 + "housing_fund", "表达式嵌套过深"),
        ("housing_fund and 'a' * 1000000000", "文字超过"),
        ("'%0999999999d' % 1 == housing_fund", "不允许用 % 格式化文字"),
    ],
)
def test_a_condition_over_budget_is_a_problem_naming_its_flow(enterprise_xml, condition, message):
    ((element, text),) = _condition_problems(enterprise_xml, condition)
    assert element == "Flow_FundYes"
    assert message in text
    # The message quotes the start of the expression, not all of it.
    assert len(text) < 300


def test_a_case_step_over_budget_fails_cleanly_naming_the_gateway(enterprise_xml):
    condition = "len(enterprise_name * copies) &gt; 0"
    theme = compile_theme(enterprise_xml.replace(FUND_CONDITION, condition), LANES)
    wf = start_case(
        theme.spec,
        theme.subprocess_specs,
        {"enterprise_name": "测试科技有限公司", "copies": 10**9},
    )
    complete_task(wf, open_tasks(wf)[0].task_id)  # 综合受理
    with pytest.raises(CaseStepError) as caught:
        complete_task(wf, open_tasks(wf)[0].task_id)  # 企业设立登记: the split evaluates
    assert caught.value.task_id == "Gateway_HousingFund"
    message = str(caught.value)
    assert "超出表达式计算限额" in message and "len(enterprise_name * copies)" in message


# --- timers: what the value makes SpiffWorkflow do ---------------------------------------


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("timeDuration", '"P999999999M"'),
        ("timeDuration", '"P9999999999D"'),
        ("timeCycle", '"R2/P999999999M"'),
    ],
)
def test_a_literal_timer_longer_than_the_bound_is_refused_at_publish(kind, value):
    xml = TIMED.replace(REMIND, f"<bpmn:{kind}>{value}</bpmn:{kind}>")
    with pytest.raises(ThemeInvalid) as caught:
        compile_theme(xml, TIMED_LANES)
    ((problem,),) = [caught.value.problems]
    assert problem.element_id == "Timer_Remind"
    assert "超出范围：最长 100 年" in problem.message


@pytest.mark.parametrize(
    ("wait", "message"),
    [
        ("P999999999M", "超出范围：最长 100 年"),
        ("P" + "9" * 4000 + "D", "超出范围：最长 100 年"),
        (5, "应为 ISO 8601 文字"),
        ("两天", "不是有效的 ISO 8601 时长"),
    ],
)
def test_a_timer_value_from_case_data_is_checked_before_the_engine_reads_it(wait, message):
    xml = TIMED.replace(REMIND, "<bpmn:timeDuration>wait</bpmn:timeDuration>")
    theme = compile_theme(xml, TIMED_LANES)
    with pytest.raises(CaseStepError, match=message) as caught:
        start_case(theme.spec, theme.subprocess_specs, {"wait": wait})
    assert caught.value.task_id == "Timer_Remind"


def test_a_timer_value_from_case_data_within_the_bound_runs():
    xml = TIMED.replace(REMIND, "<bpmn:timeDuration>wait</bpmn:timeDuration>")
    theme = compile_theme(xml, TIMED_LANES)
    wf = start_case(theme.spec, theme.subprocess_specs, {"wait": "P3D"})
    assert [t.bpmn_id for t in open_tasks(wf)] == ["Task_Approve"]


# --- multi-instance tasks: how many the cardinality creates ------------------------------


def _multi_instance(enterprise_xml: str, cardinality: str) -> str:
    task = '<bpmn:userTask id="Task_Accept" name="综合受理">'
    loop = (
        '<bpmn:multiInstanceLoopCharacteristics isSequential="false">'
        f"<bpmn:loopCardinality>{cardinality}</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics>"
    )
    end = enterprise_xml.index("</bpmn:userTask>", enterprise_xml.index(task))
    return enterprise_xml[:end] + loop + enterprise_xml[end:]


def test_a_literal_multi_instance_count_over_the_bound_is_refused(enterprise_xml):
    with pytest.raises(ThemeInvalid) as caught:
        compile_theme(_multi_instance(enterprise_xml, "100000"), LANES)
    assert [(p.element_id, "最多 100 个" in p.message) for p in caught.value.problems] == [
        ("Task_Accept", True)
    ]


def test_a_multi_instance_count_from_case_data_is_bounded(enterprise_xml):
    theme = compile_theme(_multi_instance(enterprise_xml, "copies"), LANES)
    wf = start_case(theme.spec, theme.subprocess_specs, {"copies": 3, "housing_fund": True})
    assert len(open_tasks(wf)) == 3
    with pytest.raises(CaseStepError, match="最多 100 个"):
        start_case(theme.spec, theme.subprocess_specs, {"copies": 100_000})
