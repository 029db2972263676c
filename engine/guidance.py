"""Guided Q&A (场景式导办): a DMN decision table that decides which items a case needs.

A theme's `guidance.dmn` is one COLLECT decision table: its input columns are the theme's
question variables, each rule outputs one conditional item code and says why in its
description. It is the one source of truth for item selection: the merged form and the
BPMN gateway variables both follow the items it decides.

The table is parsed with SpiffWorkflow's DMN parser and evaluated with its DMNEngine, but
only after every cell has been checked here: DMNEngine glues an input expression and a
cell into Python source, and the safe expression engine is what evaluates it.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser
from SpiffWorkflow.dmn.specs.model import DecisionTable
from SpiffWorkflow.exceptions import SpiffWorkflowException

from .expressions import (
    MAX_EXPRESSION_CHARS,
    UnsafeExpression,
    check_expression,
    safe_script_engine,
)
from .problems import Problem, ThemeInvalid, excerpt
from .safe_xml import parse_untrusted

DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
OUTPUT_NAME = "item"
# The name DMNEngine substitutes for `?` in a cell such as `100 <= ? < 300`.
INPUT_PLACEHOLDER = "dmninputexpr"
_ANSWER_TYPES = (bool, int, float, Decimal, str)
_WHERE = "导办决策表"


@dataclass(frozen=True)
class GuidanceRule:
    """One row of the table, for display: its conditions, the item it selects and why."""

    rule_id: str
    conditions: tuple[tuple[str, str | None], ...]  # (question variable, cell; None = any)
    item: str
    description: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "conditions": [{"variable": v, "test": t} for v, t in self.conditions],
            "item": self.item,
            "description": self.description,
        }


class GuidanceError(ValueError):
    """The answers cannot be decided on (unanswered, wrong type); names the question."""

    def __init__(self, message: str, variable: str | None = None):
        self.variable = variable
        super().__init__(message)


class Guidance:
    """A checked decision table, ready to decide the conditional items of a case.

    Immutable after compiling and safe to share between threads: every `decide` builds its
    own evaluation context.
    """

    def __init__(
        self,
        table: DecisionTable,
        rules: tuple[GuidanceRule, ...],
        labels: Mapping[str, str],
        settings: Mapping[str, Decimal] | None = None,
    ):
        self._engine = _GuidanceEngine(table)
        self._settings = dict(settings or {})
        self._by_id = {r.rule_id: r for r in rules}
        self._labels = dict(labels)
        self.rules = rules
        self.variables = tuple(dict.fromkeys(i.expression for i in table.inputs))

    @property
    def settings(self) -> dict[str, Decimal]:
        """The theme's local settings the cells may name (name → value)."""
        return dict(self._settings)

    def decide(self, answers_by_variable: Mapping[str, Any]) -> tuple[str, ...]:
        """Selected item codes, in rule order, each once."""
        return tuple(dict.fromkeys(r.item for r in self.matching_rules(answers_by_variable)))

    def matching_rules(self, answers_by_variable: Mapping[str, Any]) -> tuple[GuidanceRule, ...]:
        """The rules whose conditions hold, in table order (each says why its item applies).

        Raises GuidanceError naming the question when an answer is missing or cannot be
        compared (a text where a number is expected, for instance).
        """
        # The theme's local settings (thresholds a county decides) are names cells may read.
        data: dict[str, Any] = dict(self._settings)
        for variable in self.variables:
            value = answers_by_variable.get(variable)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise GuidanceError(f"请先回答导办问题“{self._label(variable)}”", variable)
            if not isinstance(value, _ANSWER_TYPES):
                raise GuidanceError(
                    f"导办问题“{self._label(variable)}”的回答类型无法用于判断", variable
                )
            data[variable] = value
        recorder = _RecordingScriptEngine()
        try:
            matched = self._engine.decide(_DecisionTask(data, recorder))
        except (SpiffWorkflowException, UnsafeExpression) as exc:
            raise self._explain(recorder, data) from exc
        return tuple(self._by_id[r.id] for r in matched)

    def _label(self, variable: str) -> str:
        return self._labels.get(variable) or variable

    def _explain(self, recorder: _RecordingScriptEngine, data: Mapping[str, Any]) -> GuidanceError:
        names = _names(recorder.failed or "")
        if INPUT_PLACEHOLDER in names:
            # A `?` cell: DMNEngine evaluated the input expression just before it.
            names |= _names(recorder.previous or "")
        variable = next((v for v in self.variables if v in names), None)
        if variable is None:
            return GuidanceError("导办决策表无法根据回答作出判断，请联系业务人员检查决策表")
        return GuidanceError(
            f"导办问题“{self._label(variable)}”的回答“{data[variable]}”无法用于判断，"
            "请检查填写的内容",
            variable,
        )


def compile_guidance(
    dmn: bytes | str,
    *,
    variables: Collection[str],
    item_codes: Collection[str],
    labels: Mapping[str, str] | None = None,
    settings: Mapping[str, Decimal] | None = None,
) -> Guidance:
    """Check a guidance table against the theme and build it; raise ThemeInvalid.

    `variables` are the theme's question variables, `item_codes` its items selected by
    guidance (each must be output by some rule, and rules may output nothing else);
    `labels` optionally name the questions in messages; `settings` are the theme's local
    settings (name → value), which cells may compare with (`> fire_check_min_area`) but
    which are no input column. Every problem is reported at once, each with the DMN element
    it is about.
    """
    variables, item_codes = set(variables), set(item_codes)
    settings = dict(settings or {})
    root = _parse(dmn)
    table_element, problems = _find_table(root)
    if table_element is None:
        raise ThemeInvalid(problems)
    problems += _schema_problems(root)
    problems += _table_problems(table_element, variables)
    table = _parsed_table(root, problems)
    rules, rule_problems = _check_rules(table, variables, item_codes, set(settings))
    problems += rule_problems
    if problems:
        raise ThemeInvalid(problems)
    return Guidance(table, rules, labels or {}, settings)


def _parse(dmn: bytes | str) -> etree._Element:
    if not dmn or not dmn.strip():
        raise ThemeInvalid([Problem(f"{_WHERE}文件为空，不是 DMN 文档")])
    try:
        root = parse_untrusted(dmn)
    except ThemeInvalid as exc:
        problems = [Problem(f"{_WHERE}：{p.message}", p.element_id) for p in exc.problems]
        raise ThemeInvalid(problems) from None
    if root.tag != f"{{{DMN_NS}}}definitions":
        namespace = etree.QName(root).namespace or ""
        if etree.QName(root).localname == "definitions" and "/DMN/" in namespace:
            message = f"{_WHERE}须为 DMN 1.3 文档（命名空间 {DMN_NS}），当前为 {namespace}"
        else:
            message = f"{_WHERE}不是 DMN 1.3 文档（根元素应为 dmn:definitions）"
        raise ThemeInvalid([Problem(message)])
    return root


def _dmn(element: etree._Element, path: str) -> list:
    return element.xpath(path, namespaces={"dmn": DMN_NS})


def _find_table(root: etree._Element) -> tuple[etree._Element | None, list[Problem]]:
    decisions = _dmn(root, "dmn:decision")
    if len(decisions) != 1:
        ids = "、".join(d.get("id", "?") for d in decisions)
        message = (
            f"{_WHERE}中没有决策（dmn:decision）"
            if not decisions
            else f"{_WHERE}只能有一个决策，现有 {len(decisions)} 个（{ids}）"
        )
        return None, [Problem(message, root.get("id"))]
    decision = decisions[0]
    tables = _dmn(decision, "dmn:decisionTable")
    if len(tables) != 1:
        message = (
            f"决策“{decision.get('name') or decision.get('id')}”不是决策表"
            if not tables
            else f"决策“{decision.get('name') or decision.get('id')}”只能有一个决策表"
        )
        return None, [Problem(message, decision.get("id"))]
    return tables[0], []


_SCHEMA_LOCK = threading.Lock()


def _schema() -> BpmnValidator:
    # Loading the DMN 1.3 schema takes a while: once per process. `@cache` alone is not a
    # lock, and lxml crashed (SIGSEGV) when server threads built the schema at once. The
    # lock is taken before the cache is asked, so a thread that waited finds it built.
    with _SCHEMA_LOCK:
        return _build_schema()


@cache
def _build_schema() -> BpmnValidator:
    return BpmnValidator(SCHEMAS[DMN_NS])


def _schema_problems(root: etree._Element) -> list[Problem]:
    try:
        _schema().validate(root, "guidance.dmn")
    except ValidationException as exc:
        text = str(exc).strip().splitlines()
        first = text[0] if text else type(exc).__name__
        return [Problem(f"{_WHERE}不符合 DMN 1.3 规范：{first}")]
    return []


def _table_problems(table: etree._Element, variables: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    table_id = table.get("id")
    hit_policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if hit_policy != "COLLECT":
        problems.append(
            Problem(
                f"{_WHERE}的命中策略应为 COLLECT（收集所有符合的规则），当前为 {hit_policy}",
                table_id,
            )
        )
    elif table.get("aggregation"):
        problems.append(
            Problem(f"{_WHERE}的 COLLECT 不能带汇总（{table.get('aggregation')}）", table_id)
        )
    outputs = _dmn(table, "dmn:output")
    if len(outputs) != 1:
        problems.append(
            Problem(f"{_WHERE}应只有一个输出列 {OUTPUT_NAME}，现有 {len(outputs)} 个", table_id)
        )
    else:
        output = outputs[0]
        if output.get("name") != OUTPUT_NAME:
            problems.append(
                Problem(
                    f"{_WHERE}的输出列名应为 {OUTPUT_NAME}（事项编码），"
                    f"当前为“{output.get('name') or ''}”",
                    output.get("id"),
                )
            )
        if output.get("typeRef") not in (None, "", "string"):
            problems.append(
                Problem(f"{_WHERE}的输出列 {OUTPUT_NAME} 类型应为 string", output.get("id"))
            )
    known = "、".join(sorted(variables)) or "无"
    for column in _dmn(table, "dmn:input"):
        texts = _dmn(column, "dmn:inputExpression/dmn:text")
        expression = (texts[0].text or "").strip() if texts else ""
        label = column.get("label") or column.get("id")
        if expression not in variables:
            problems.append(
                Problem(
                    f"{_WHERE}的条件列“{label}”的输入表达式“{expression}”不是本主题的"
                    f"导办问题（可用：{known}）",
                    column.get("id"),
                )
            )
    if not _dmn(table, "dmn:input"):
        problems.append(Problem(f"{_WHERE}没有条件列（输入）", table_id))
    return problems


def _parsed_table(root: etree._Element, problems: list[Problem]) -> DecisionTable:
    """The engine's model of the table; raises with `problems` so far if it cannot parse."""
    parser = DMNParser(None, root, {"dmn": DMN_NS}, filename="guidance.dmn")
    try:
        parser.parse()
    except ValidationException as exc:
        text = str(exc).strip().splitlines()
        problem = Problem(f"{_WHERE}无法解析：{text[0] if text else exc}", exc.id or None)
        raise ThemeInvalid([*problems, problem]) from None
    except Exception as exc:  # noqa: BLE001 - any modeling tool's output must yield a message
        problem = Problem(f"{_WHERE}无法解析：{type(exc).__name__}: {exc}")
        raise ThemeInvalid([*problems, problem]) from None
    table = parser.decision.decisionTables[0]
    # Modelers indent cell text; DMNEngine glues cells to the input expression verbatim,
    # where a stray newline would be a syntax error. "-" and blank both mean "any".
    for column in table.inputs:
        column.expression = (column.expression or "").strip()
    for rule in table.rules:
        for entry in rule.inputEntries:
            entry.lhs = [_normalised_cell(text) for text in entry.lhs]
    return table


def _normalised_cell(text: str | None) -> str | None:
    if text is None or text.strip() in ("", "-"):
        return None
    return text.strip()


def _check_rules(
    table: DecisionTable, variables: set[str], item_codes: set[str], settings: set[str]
) -> tuple[tuple[GuidanceRule, ...], list[Problem]]:
    problems: list[Problem] = []
    rules: list[GuidanceRule] = []
    engine = _GuidanceEngine(table)
    script_engine = safe_script_engine()
    for rule in table.rules:
        where = f"第 {rule.row_number} 条规则"
        description = (rule.description or "").strip()
        if not description:
            problems.append(
                Problem(f"{where}缺少说明（description），申请人将看不到为何须办理该事项", rule.id)
            )
        if len(rule.inputEntries) != len(table.inputs):
            problems.append(
                Problem(
                    f"{where}有 {len(rule.inputEntries)} 个条件，"
                    f"与条件列数 {len(table.inputs)} 不符",
                    rule.id,
                )
            )
        conditions = []
        for entry in rule.inputEntries:
            test = entry.lhs[0] if entry.lhs else None
            conditions.append((entry.input.expression, test))
            # A column that is not a question is reported once, not in each of its cells.
            if test is not None and entry.input.expression in variables:
                problems.extend(
                    _cell_problems(engine, script_engine, entry, test, where, variables | settings)
                )
        item, problem = _output_item(rule, where, item_codes)
        if problem:
            problems.append(problem)
        elif item:
            rules.append(GuidanceRule(rule.id, tuple(conditions), item, description))
    produced = {r.item for r in rules}
    for code in sorted(item_codes - produced):
        problems.append(
            Problem(
                f"事项 {code} 由导办决定（selected_by: guidance），但{_WHERE}中没有规则输出它",
                table.id,
            )
        )
    return tuple(rules), problems


def _cell_problems(engine, script_engine, entry, test: str, where: str, variables) -> list:
    """Check a cell as DMNEngine will evaluate it: glued to its input expression."""
    # Before anything parses or scans the cell: its length is what bounds that work.
    if len(test) > MAX_EXPRESSION_CHARS:
        return [
            Problem(
                f"{where}的条件“{excerpt(test)}”过长：{len(test)} 个字符，"
                f"最多 {MAX_EXPRESSION_CHARS} 个字符",
                entry.id,
            )
        ]
    input_expr = entry.input.expression
    with_input = _with_input_placeholder(test)
    if INPUT_PLACEHOLDER in with_input:
        sources = [with_input]
    else:
        try:
            needs_eq = engine.needs_eq(script_engine, test)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return [Problem(f"{where}的条件“{excerpt(test)}”语法错误", entry.id)]
        sources = [f"({input_expr}) == ({test})" if needs_eq else input_expr + test]
    allowed = variables | {INPUT_PLACEHOLDER}
    for source in sources:
        try:
            check_expression(source)
        except UnsafeExpression as exc:
            return [Problem(f"{where}的条件“{excerpt(test)}”不安全或无效：{exc}", entry.id)]
        tree = ast.parse(source.strip(), mode="eval")
        if any(isinstance(node, ast.Call) for node in ast.walk(tree)):
            return [Problem(f"{where}的条件“{test}”不允许调用函数", entry.id)]
        unknown = sorted(_names(source) - allowed)
        if unknown:
            return [
                Problem(
                    f"{where}的条件“{test}”引用了未知变量 {'、'.join(unknown)}"
                    f"（可用：{'、'.join(sorted(variables)) or '无'}）",
                    entry.id,
                )
            ]
    return []


def _output_item(rule, where: str, item_codes: set[str]) -> tuple[str | None, Problem | None]:
    entries = rule.outputEntries
    if len(entries) != 1 or not (entries[0].text or "").strip():
        return None, Problem(f"{where}没有输出事项编码", rule.id)
    entry = entries[0]
    text = entry.text.strip()
    value = None
    # The length check keeps literal_eval's parser from recursing on a huge output cell.
    if len(text) <= MAX_EXPRESSION_CHARS:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, RecursionError, MemoryError):
            value = None
    if not isinstance(value, str):
        return None, Problem(
            f'{where}的输出“{excerpt(text)}”应为带引号的事项编码，如 "FIRE-GZJHCS"', entry.id
        )
    if value not in item_codes:
        known = "、".join(sorted(item_codes)) or "无"
        return None, Problem(
            f"{where}输出的事项 {value} 不是本主题由导办决定的事项（可选：{known}）", entry.id
        )
    return value, None


def _with_input_placeholder(cell: str) -> str:
    """`cell` with each `?` outside quotes replaced by INPUT_PLACEHOLDER, as DMNEngine does.

    DMNEngine (3.2.0) finds those with a regular expression that, from every `?`, looks
    ahead to the end of the cell for balanced quotes: quadratic in the cell's length. What
    it matches is a `?` followed by an even number of quote characters (' and " alike), which
    one pass from the end finds in linear time.
    """
    out: list[str] = []
    quotes = 0
    for ch in reversed(cell):
        if ch in "'\"":
            quotes += 1
        out.append(INPUT_PLACEHOLDER if ch == "?" and quotes % 2 == 0 else ch)
    return "".join(reversed(out))


class _GuidanceEngine(DMNEngine):
    """DMNEngine with its `?` substitution done by `_with_input_placeholder`.

    Otherwise the same steps as DMNEngine.evaluate (SpiffWorkflow 3.2.0): a cell with `?`
    is evaluated with the input's value bound to the placeholder; any other cell is glued
    to the input expression, with `==` unless it starts with its own operator.
    """

    def evaluate(self, input_expr, match_expr, task):
        if match_expr is None:
            return True
        script_engine = task.workflow.script_engine
        match_expr = _with_input_placeholder(match_expr)
        if INPUT_PLACEHOLDER in match_expr:
            external_context = {INPUT_PLACEHOLDER: script_engine.evaluate(task, input_expr)}
            return script_engine.evaluate(task, match_expr, external_context=external_context)
        script_engine.validate(input_expr)
        needs_eq = self.needs_eq(script_engine, match_expr)
        expr = f"({input_expr}) == ({match_expr})" if needs_eq else input_expr + match_expr
        return script_engine.evaluate(task, expr)


def _names(source: str) -> set[str]:
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


class _RecordingScriptEngine:
    """The safe script engine, remembering the expression that failed (to name the question)."""

    def __init__(self):
        self._inner = safe_script_engine()
        self.previous: str | None = None
        self.failed: str | None = None

    def validate(self, expression: str) -> None:
        self._inner.validate(expression)

    def evaluate(self, task, expression: str, external_context=None) -> Any:
        try:
            value = self._inner.evaluate(task, expression, external_context=external_context)
        except Exception:
            self.failed = expression
            raise
        self.previous = expression
        return value


class _DecisionTask:
    """What DMNEngine reads from a task: `.data` and `.workflow.script_engine`.

    SpiffWorkflow's error class also reads the task spec's name and the workflow's file,
    so those are here too, or an evaluation error would become an AttributeError.
    """

    def __init__(self, data: dict[str, Any], script_engine: _RecordingScriptEngine):
        self.data = data
        self.task_spec = SimpleNamespace(bpmn_name=_WHERE, bpmn_id="guidance", name="guidance")
        workflow = SimpleNamespace(script_engine=script_engine, spec=SimpleNamespace(file=""))
        workflow.top_workflow = workflow
        self.workflow = workflow
