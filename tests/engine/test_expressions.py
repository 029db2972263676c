"""BPMN expressions never reach eval/exec: the whitelist refuses escapes, simpleeval runs."""

from __future__ import annotations

import pytest

from engine.expressions import SafeEnvironment, UnsafeExpression, check_expression

HOSTILE = [
    "__import__('os').system('id')",
    "().__class__.__base__.__subclasses__()",
    "open('/etc/passwd').read()",
    "9**9**9",
    "[c for c in ().__class__.__mro__]",
    "lambda: 1",
    "exec('1')",
    "eval('1')",
    "getattr(housing_fund, '__class__')",
    "housing_fund.__class__",
    "x := 1",
    "globals()",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_expressions_are_refused_statically(source):
    with pytest.raises(UnsafeExpression):
        check_expression(source)


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_expressions_are_refused_when_evaluated(source, tmp_path):
    marker = tmp_path / "pwned"
    env = SafeEnvironment()
    with pytest.raises(UnsafeExpression):
        env.evaluate(source.replace("id", f"touch {marker}"), {"housing_fund": True})
    assert not marker.exists()


@pytest.mark.parametrize(
    ("source", "data", "expected"),
    [
        ("housing_fund == True", {"housing_fund": True}, True),
        ("housing_fund == True", {"housing_fund": False}, False),
        ("area >= 150 and sign", {"area": 200, "sign": True}, True),
        ("kind in ['有限责任公司', '股份有限公司']", {"kind": "有限责任公司"}, True),
        ("len(shareholders) > 1", {"shareholders": [1, 2]}, True),
        ("capital['amount'] * 2", {"capital": {"amount": 5}}, 10),
        ("'PT1H'", {}, "PT1H"),
        ("not invoice", {"invoice": False}, True),
    ],
)
def test_plain_conditions_evaluate(source, data, expected):
    check_expression(source)
    assert SafeEnvironment().evaluate(source, data) == expected


def test_missing_variable_is_a_clear_error():
    with pytest.raises(UnsafeExpression, match="无法求值"):
        SafeEnvironment().evaluate("housing_fund == True", {})


def test_scripts_never_run():
    with pytest.raises(UnsafeExpression, match="不执行脚本"):
        SafeEnvironment().execute("x = 1", {})
