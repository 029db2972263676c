"""The only way a BPMN expression is evaluated in YJS: a whitelist, never `eval`/`exec`.

SpiffWorkflow's default environment (`PythonScriptEngine`, 3.2.0) hands conditions to
`eval` with full builtins: a gateway condition could run `__import__('os').system(...)`. Here every
expression is checked twice: statically at save/publish time against an AST whitelist, so
analysts learn about it while editing, and again at run time by simpleeval, which also caps
exponents and string sizes (`9**9**9` does not hang the worker).
"""

from __future__ import annotations

import ast
from decimal import Decimal
from typing import Any

from simpleeval import EvalWithCompoundTypes, InvalidExpression
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

# Functions analysts may call in conditions. Pure, cheap, no side effects.
SAFE_FUNCTIONS: dict[str, Any] = {
    "len": len,
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "abs": abs,
    "min": min,
    "max": max,
    "round": round,
    "Decimal": Decimal,
}

_ALLOWED_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.IfExp,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.Call,
)


class UnsafeExpression(ValueError):
    """The expression uses something outside the whitelist; the message is for analysts."""


def check_expression(source: str) -> None:
    """Raise UnsafeExpression (Chinese message) unless `source` is a whitelisted expression."""
    if source is None or not str(source).strip():
        raise UnsafeExpression("表达式为空")
    try:
        tree = ast.parse(str(source).strip(), mode="eval")
    except SyntaxError as exc:
        raise UnsafeExpression(f"表达式语法错误：{exc.msg}") from None
    nodes = list(ast.walk(tree))
    # Report names and attributes before calls: "__import__" says more than "该函数".
    nodes.sort(key=lambda n: isinstance(n, ast.Call))
    for node in nodes:
        if not isinstance(node, _ALLOWED_NODES):
            raise UnsafeExpression(f"表达式中不允许使用 {type(node).__name__}")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise UnsafeExpression(f"表达式中不允许使用以下划线开头的名称 {node.id}")
        if isinstance(node, ast.Attribute):
            # Attribute access is how sandbox escapes start; conditions only need data.
            raise UnsafeExpression(f"表达式中不允许访问属性 .{node.attr}")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in SAFE_FUNCTIONS:
                name = node.func.id if isinstance(node.func, ast.Name) else "该函数"
                raise UnsafeExpression(
                    f"表达式中不允许调用 {name}，可用函数：{'、'.join(SAFE_FUNCTIONS)}"
                )
            if node.keywords:
                raise UnsafeExpression("表达式中的函数调用不允许使用关键字参数")


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that evaluates with simpleeval and runs no scripts."""

    def evaluate(self, expression, context, external_context=None):
        check_expression(expression)
        names = dict(external_context or {})
        names.update(context)
        # simpleeval adds its own entries to the dict it is given: hand it a copy.
        evaluator = EvalWithCompoundTypes(names=names, functions=dict(SAFE_FUNCTIONS))
        try:
            return evaluator.eval(str(expression).strip())
        except InvalidExpression as exc:
            raise UnsafeExpression(f"表达式无法求值：{exc}") from None

    def execute(self, script, context, external_context=None):
        raise UnsafeExpression("YJS 不执行脚本（脚本任务、前置/后置脚本）")

    def call_service(self, context, **kwargs):
        raise UnsafeExpression("YJS 不调用服务任务的外部服务")


def safe_script_engine() -> PythonScriptEngine:
    """A script engine for every workflow YJS runs; set again after each restore."""
    return PythonScriptEngine(environment=SafeEnvironment())
