"""The only way a BPMN expression is evaluated in YJS: a whitelist, never `eval`/`exec`.

SpiffWorkflow's default environment (`PythonScriptEngine`, 3.2.0) hands conditions to
`eval` with full builtins: a gateway condition could run `__import__('os').system(...)`. Here
every expression is checked twice: statically at save/publish time against an AST whitelist,
so analysts learn about it while editing, and again at run time, where simpleeval evaluates it
within a budget (README "Security choices"):

- the expression's text, syntax tree and nesting are bounded before anything is evaluated;
- every value the evaluation computes is bounded in size, and every operation whose result
  can outgrow its operands (`*` and `+` on sequences, number conversions, `round`) is
  checked against those bounds *before* it runs;
- the number of evaluation steps is bounded.

A breach raises `ExpressionOverBudget`. Publishing also evaluates the parts of an expression
that use no case data (`'a' * 1000000000`), so what can be known statically is refused then.
"""

from __future__ import annotations

import ast
import decimal
import operator
from decimal import Decimal
from typing import Any

from simpleeval import EvalWithCompoundTypes, InvalidExpression, NameNotDefined
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .problems import ExpressionOverBudget, UnsafeExpression, excerpt
from .timers import check_timer_value, timer_kind

# The budget. Real conditions are a few terms over case data (`amount > 100`,
# `kind in ("a", "b")`); these bounds are far above that and keep the worst evaluation to
# milliseconds of CPU and well under a megabyte of memory.
# Source text: a real condition is under 200 characters. Short enough that Python's own
# parser never reaches its recursion limit (a 100,000-term expression did).
MAX_EXPRESSION_CHARS = 2_000
# Syntax-tree size: values, names and operations (ast.expr nodes) in one expression.
MAX_EXPRESSION_NODES = 500
# Nesting of those nodes: the evaluator recurses once per level.
MAX_EXPRESSION_DEPTH = 50
# Evaluation steps (one per node evaluated). With the whitelisted syntax every node is
# evaluated at most once, so this is the backstop should a looping construct ever be allowed.
MAX_OPERATIONS = 1_000
# Numbers: an int below 10**100 in magnitude; a Decimal with at most 100 digits written out
# in full (integer and fraction digits), so converting it to int or text stays small.
# Amounts in 分 need under 20 digits.
MAX_NUMBER_DIGITS = 100
# Text read as a number (`int("…")`, `Decimal("…")`): the digits plus sign, point, exponent.
MAX_NUMBER_TEXT = MAX_NUMBER_DIGITS + 20
# Computed values, counted through nesting: characters in all their strings, and items in
# all their lists, tuples, sets and dicts.
MAX_STRING_CHARS = 10_000
MAX_ITEMS = 1_000
# Instances of a multi-instance task (its loopCardinality): SpiffWorkflow creates a parallel
# one's tasks all at once. A task done once per 股东 or 家庭成员 needs a few dozen at most.
MAX_TASK_INSTANCES = 100

_INT_LIMIT = 10**MAX_NUMBER_DIGITS
# Python's default decimal context, stated: precision must not depend on whatever another
# piece of code set in this thread.
_DECIMAL_CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def _over(what: str) -> ExpressionOverBudget:
    return ExpressionOverBudget(f"超出表达式计算限额：{what}")


def _check_number(value: Any) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -_INT_LIMIT < value < _INT_LIMIT:
            raise _over(f"数字超过 {MAX_NUMBER_DIGITS} 位")
    elif isinstance(value, Decimal) and value.is_finite():
        # adjusted() is O(1) and rules out huge exponents before as_tuple() copies digits.
        if abs(value.adjusted()) > MAX_NUMBER_DIGITS:
            raise _over(f"数字超过 {MAX_NUMBER_DIGITS} 位")
        _, digits, exponent = value.as_tuple()
        whole = max(len(digits) + exponent, 0)
        fraction = max(-exponent, 0)
        if whole + fraction > MAX_NUMBER_DIGITS:
            raise _over(f"数字超过 {MAX_NUMBER_DIGITS} 位")


_TEXTS = (str, bytes)
_SEQUENCES = (str, bytes, list, tuple)


def _measure(value: Any) -> tuple[int, int]:
    """Characters and items in `value` through nesting; numbers inside are checked too.

    Stops as soon as either count passes its bound (the caller refuses the value then), so
    measuring a large input costs no more than the bounds.
    """
    chars = items = 0
    pending = [value]
    while pending:
        current = pending.pop()
        if isinstance(current, _TEXTS):
            chars += len(current)
        elif isinstance(current, (list, tuple, set, frozenset, dict)):
            items += len(current)
            if items > MAX_ITEMS:
                break
            pending.extend(current)
            if isinstance(current, dict):
                pending.extend(current.values())
        else:
            _check_number(current)
        if chars > MAX_STRING_CHARS:
            break
    return chars, items


def _check_size(chars: int, items: int) -> None:
    if chars > MAX_STRING_CHARS:
        raise _over(f"文字超过 {MAX_STRING_CHARS} 个字符")
    if items > MAX_ITEMS:
        raise _over(f"列表、元组、集合或字典超过 {MAX_ITEMS} 项")


def _multiply(a: Any, b: Any) -> Any:
    # Repetition is the one operator whose result can be far larger than its operands.
    for sequence, times in ((a, b), (b, a)):
        if isinstance(sequence, _SEQUENCES) and isinstance(times, int):
            chars, items = _measure(sequence)
            count = max(times, 0)
            _check_size(chars * count, items * count)
            break
    return a * b


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        chars_a, items_a = _measure(a)
        chars_b, items_b = _measure(b)
        _check_size(chars_a + chars_b, items_a + items_b)
    return a + b


_NO_TEXT_FORMATTING = "表达式中不允许用 % 格式化文字，请用 + 和 str() 拼接"


def _modulo(a: Any, b: Any) -> Any:
    if isinstance(a, _TEXTS):
        # `'%0999999999d' % 1`: a width or precision makes text of any length. Concatenation
        # does everything a condition or timer value needs, within the bounds.
        raise UnsafeExpression(_NO_TEXT_FORMATTING)
    return a % b


def _number_text(value: Any) -> None:
    if isinstance(value, _TEXTS) and len(value) > MAX_NUMBER_TEXT:
        raise _over(f"要转换为数字的文字超过 {MAX_NUMBER_TEXT} 个字符")


def _int(value: Any = 0, *base: int) -> int:
    _number_text(value)
    return int(value, *base)


def _float(value: Any = 0.0) -> float:
    _number_text(value)
    return float(value)


def _decimal(value: Any = "0") -> Decimal:
    _number_text(value)
    return Decimal(value)


def _round(number: Any, ndigits: int | None = None) -> Any:
    # round(5, -10**9) computes 10**(10**9) first.
    if isinstance(ndigits, int) and abs(ndigits) > MAX_NUMBER_DIGITS:
        raise _over(f"round 的位数超过 {MAX_NUMBER_DIGITS}")
    return round(number, ndigits)


# Functions analysts may call in conditions. Pure, cheap, no side effects; the ones whose
# result can be larger than their argument check it first.
SAFE_FUNCTIONS: dict[str, Any] = {
    "len": len,
    "int": _int,
    "float": _float,
    "str": str,
    "bool": bool,
    "abs": abs,
    "min": min,
    "max": max,
    "round": _round,
    "Decimal": _decimal,
}

# Exactly the whitelisted operators; no `**`, shifts or bit operations even if the static
# check were bypassed (simpleeval then raises OperatorNotDefined).
_OPERATORS: dict[type, Any] = {
    ast.Add: _add,
    ast.Sub: operator.sub,
    ast.Mult: _multiply,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: _modulo,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda x, y: operator.contains(y, x),
    ast.NotIn: lambda x, y: not operator.contains(y, x),
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
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
# Nodes whose value is newly computed: its size is measured. Names and subscripts select
# from case data, whose size the application bounds; constants are bounded by the text.
_COMPUTING_NODES = (ast.BinOp, ast.Call, ast.List, ast.Tuple, ast.Set, ast.Dict)
_SCALARS = (bool, int, float, type(None))


class _BudgetedEvaluator(EvalWithCompoundTypes):
    """simpleeval with a step count and a size check on every value it computes."""

    def __init__(self, names: dict[str, Any]):
        super().__init__(operators=_OPERATORS, functions=dict(SAFE_FUNCTIONS), names=names)
        self._steps = 0

    def _eval(self, node):
        self._steps += 1
        if self._steps > MAX_OPERATIONS:
            raise _over(f"运算超过 {MAX_OPERATIONS} 步")
        result = super()._eval(node)
        if type(result) in _SCALARS or not isinstance(node, _COMPUTING_NODES):
            _check_number(result)
        else:
            _check_size(*_measure(result))
        return result


def _parse(source: str) -> tuple[str, ast.Expression]:
    """The stripped text and its syntax tree, within the size and nesting bounds."""
    if source is None or not str(source).strip():
        raise UnsafeExpression("表达式为空")
    text = str(source).strip()
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionOverBudget(
            f"表达式过长：{len(text)} 个字符，最多 {MAX_EXPRESSION_CHARS} 个字符"
        )
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        if "too many nested" in (exc.msg or ""):
            raise ExpressionOverBudget(f"表达式嵌套过深：最多 {MAX_EXPRESSION_DEPTH} 层") from None
        raise UnsafeExpression(f"表达式语法错误：{exc.msg}") from None
    except (RecursionError, MemoryError):
        # The parser gives up on deep nesting before our own depth check can count it.
        raise ExpressionOverBudget(f"表达式嵌套过深：最多 {MAX_EXPRESSION_DEPTH} 层") from None
    except ValueError:  # a NUL character
        raise UnsafeExpression("表达式中含有无效字符") from None
    _check_shape(tree)
    _check_whitelist(tree)
    return text, tree


def _check_shape(tree: ast.Expression) -> None:
    # Iterative on purpose: a recursive walk is what turned a long expression into a
    # RecursionError.
    count = 0
    pending = [(tree.body, 1)]
    while pending:
        node, depth = pending.pop()
        count += 1
        if count > MAX_EXPRESSION_NODES:
            raise ExpressionOverBudget(f"表达式过长：超过 {MAX_EXPRESSION_NODES} 个运算项")
        if depth > MAX_EXPRESSION_DEPTH:
            raise ExpressionOverBudget(f"表达式嵌套过深：超过 {MAX_EXPRESSION_DEPTH} 层")
        pending.extend((child, depth + 1) for child in _child_expressions(node))


def _child_expressions(node: ast.AST) -> list[ast.expr]:
    """The expression nodes directly below `node` (through keywords and the like)."""
    found, pending = [], list(ast.iter_child_nodes(node))
    while pending:
        child = pending.pop()
        if isinstance(child, ast.expr):
            found.append(child)
        else:
            pending.extend(ast.iter_child_nodes(child))
    return found


def _check_whitelist(tree: ast.Expression) -> None:
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
        if isinstance(node, ast.Constant):
            _check_number(node.value)
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Mod)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, _TEXTS)
        ):
            raise UnsafeExpression(_NO_TEXT_FORMATTING)


def _data_free_parts(tree: ast.Expression) -> list[ast.expr]:
    """The largest sub-expressions that read no case data, constants alone left out."""
    # A node reads data if it is a name (other than a called function) or has a child that does.
    reads: dict[int, bool] = {}
    order, pending = [], [tree.body]
    while pending:
        node = pending.pop()
        order.append(node)
        pending.extend(_child_expressions(node))
    for node in reversed(order):  # children before parents
        if isinstance(node, ast.Name):
            reads[id(node)] = True
        elif isinstance(node, ast.Call):
            reads[id(node)] = any(reads[id(arg)] for arg in node.args)
        else:
            reads[id(node)] = any(reads[id(child)] for child in _child_expressions(node))
    parts, pending = [], [tree.body]
    while pending:
        node = pending.pop()
        if not reads[id(node)]:
            if not isinstance(node, ast.Constant):
                parts.append(node)
        elif isinstance(node, ast.Call):
            pending.extend(node.args)
        else:
            pending.extend(_child_expressions(node))
    return parts


def check_expression(source: str) -> None:
    """Raise UnsafeExpression (Chinese message) unless `source` is a whitelisted expression.

    Also raises ExpressionOverBudget when the expression is too long or too deep, or when a
    part of it that reads no case data already exceeds the budget: those parts are evaluated
    here, within the budget, so such an expression is refused before it is published. Other
    errors of those parts (`1 / 0`) are left to the run time, as before.
    """
    text, tree = _parse(source)
    for part in _data_free_parts(tree):
        try:
            _evaluate_tree(text, part, {})
        except UnsafeExpression:
            raise
        except Exception:  # noqa: BLE001, S112 - only safety is judged here; 1/0 fails at run time
            continue


def _evaluate_tree(text: str, node: ast.expr, names: dict[str, Any]) -> Any:
    evaluator = _BudgetedEvaluator(names)
    with decimal.localcontext(_DECIMAL_CONTEXT):
        try:
            return evaluator.eval(text, previously_parsed=node)
        except NameNotDefined as exc:
            raise UnsafeExpression(f"表达式无法求值：变量 {exc.name} 没有值") from None
        except InvalidExpression as exc:
            raise UnsafeExpression(f"表达式无法求值：{exc}") from None


def evaluate_expression(source: str, names: dict[str, Any]) -> Any:
    """Evaluate a whitelisted expression over `names`, within the budget.

    Raises UnsafeExpression (ExpressionOverBudget for a breach of the budget); other errors
    the expression makes (1/0, a missing key) propagate as they are.
    """
    text, tree = _parse(source)
    return _evaluate_tree(text, tree.body, names)


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that evaluates with simpleeval and runs no scripts."""

    def evaluate(self, expression, context, external_context=None):
        names = dict(external_context or {})
        names.update(context)
        try:
            return evaluate_expression(expression, names)
        except UnsafeExpression as exc:
            exc.expression = excerpt(expression)
            raise

    def execute(self, script, context, external_context=None):
        raise UnsafeExpression("YJS 不执行脚本（脚本任务、前置/后置脚本）")

    def call_service(self, context, **kwargs):
        raise UnsafeExpression("YJS 不调用服务任务的外部服务")


def check_task_instances(count: Any) -> None:
    """Raise ExpressionOverBudget if a multi-instance task would be created `count` times."""
    numeric = isinstance(count, (int, float, Decimal)) and not isinstance(count, bool)
    # Written `not <=` so that NaN is refused too.
    if numeric and not count <= MAX_TASK_INSTANCES:
        raise ExpressionOverBudget(
            f"多实例任务的实例数 {excerpt(count)} 超出范围：最多 {MAX_TASK_INSTANCES} 个"
        )


class _SafeScriptEngine(PythonScriptEngine):
    """Evaluates in SafeEnvironment; bounds what SpiffWorkflow then does with some values.

    A timer's value is read by SpiffWorkflow (a huge month count keeps it busy for hours),
    and a multi-instance cardinality is how many tasks it creates at once: both are checked
    before SpiffWorkflow sees them.
    """

    def evaluate(self, task, expression, external_context=None):
        value = super().evaluate(task, expression, external_context)
        try:
            kind = _timer_evaluated(task, expression)
            if kind is not None:
                check_timer_value(kind, value)
            if getattr(task.task_spec, "cardinality", None) == expression:
                check_task_instances(value)
        except UnsafeExpression as exc:
            exc.expression = excerpt(expression)
            # Raised as SpiffWorkflow raises expression errors, so it names the task.
            raise WorkflowTaskException(str(exc), task=task) from exc
        return value


def _timer_evaluated(task, expression) -> str | None:
    """The timer kind, if `expression` is the value of a timer of the task being evaluated."""
    definition = getattr(task.task_spec, "event_definition", None)
    definitions = getattr(definition, "event_definitions", None) or [definition]
    for candidate in definitions:
        if isinstance(candidate, TimerEventDefinition) and candidate.expression == expression:
            return timer_kind(candidate)
    return None


def safe_script_engine() -> PythonScriptEngine:
    """A script engine for every workflow YJS runs; set again after each restore."""
    return _SafeScriptEngine(environment=SafeEnvironment())
