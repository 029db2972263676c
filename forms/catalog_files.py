"""Reading the analysts' YAML files: syntax errors with their line, every record checked.

Only `yaml.safe_load` builds Python values. Before it, the document is composed (parsed to
nodes, nothing constructed) to find keys written twice in one mapping: plain YAML keeps
the last silently, and a field defined twice in fields.yaml is an easy mistake to miss.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .problems import ProblemList


def read_yaml(path: Path, report: ProblemList) -> Any:
    """The document's data, or None after reporting why it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        report.add("文件不是 UTF-8 编码")
        return None
    except OSError as exc:
        report.add(f"无法读取文件：{exc.strerror or exc}")
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        report.add(f"YAML 语法错误：{reason}", line=line)
        return None
    if node is None:
        report.add("文件为空")
        return None
    for key, line in _duplicate_keys(node):
        report.add(f"键 {key} 重复出现（后一个会覆盖前一个）", line=line)
    return yaml.safe_load(text)


def _duplicate_keys(node: yaml.Node | None) -> Iterable[tuple[str, int]]:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    yield key_node.value, key_node.start_mark.line + 1
                seen.add(key_node.value)
            yield from _duplicate_keys(value_node)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            yield from _duplicate_keys(child)


class RecordReader:
    """Reads one YAML mapping, reporting every missing, mistyped or unknown attribute.

    `where` starts each message ("事项 PSB-GZKZBA 字段 enterprise.name") so a message
    read on its own still says what it is about.
    """

    def __init__(
        self,
        data: Any,
        where: str,
        report: ProblemList,
        allowed: Iterable[str],
        field: str | None = None,
    ):
        self.where = where
        self.report = report
        self.field = field
        if isinstance(data, Mapping):
            self.data: Mapping[str, Any] = data
        else:
            self.problem("应为键值映射")
            self.data = {}
        allowed = set(allowed)
        for name in self.data:
            if name not in allowed:
                self.problem(f"有未知属性 {name}")

    def problem(self, message: str) -> None:
        self.report.add(f"{self.where} {message}", field=self.field)

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def raw(self, name: str) -> Any:
        return self.data.get(name)

    def text(self, name: str, *, required: bool = True) -> str | None:
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(f"缺少必填属性 {name}")
            return None
        # Phone numbers such as 12345 arrive as integers when written without quotes.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.problem(f"的 {name} 应为文本")
            return None
        return value.strip()

    def texts(self, name: str, *, required: bool = False) -> tuple[str, ...]:
        value = self.data.get(name)
        if value is None or value == []:
            if required:
                self.problem(f"缺少必填属性 {name}（至少一项）")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(f"的 {name} 应为文本列表")
            return ()
        return tuple(v.strip() for v in value)

    def flag(self, name: str, *, default: bool | None = False) -> bool | None:
        value = self.data.get(name)
        if value is None:
            if default is None:
                self.problem(f"缺少必填属性 {name}（true 或 false）")
            return default
        if not isinstance(value, bool):
            self.problem(f"的 {name} 应为 true 或 false")
            return default
        return value

    def integer(self, name: str, *, minimum: int = 0, required: bool = False) -> int | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.problem(f"缺少必填属性 {name}")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem(f"的 {name} 应为不小于 {minimum} 的整数")
            return None
        return value

    def number(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.problem(f"缺少必填属性 {name}")
            return None
        number = as_decimal(value)
        if number is None:
            self.problem(f"的 {name} 应为数字")
        return number

    def choice(self, name: str, choices: Iterable[str], *, required: bool = True) -> str | None:
        value = self.text(name, required=required)
        choices = tuple(choices)
        if value is not None and value not in choices:
            self.problem(f"的 {name} 取值“{value}”无效，应为 {'、'.join(choices)} 之一")
            return None
        return value


def as_decimal(value: Any) -> Decimal | None:
    """A YAML number as an exact Decimal (0.05 stays 0.05); None when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
