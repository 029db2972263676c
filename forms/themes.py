"""A theme's metadata (theme.yaml): its items, the BPMN tasks doing them, and its choices.

The BPMN next to theme.yaml is the engine's to check; here we check what the catalog
knows: the items exist, the departments exist, the answer keys exist, and the items'
forms merge without conflict (a publish-time error otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog import Catalog
from .catalog_files import RecordReader, read_yaml
from .materials import MaterialSet, merge_materials
from .merge import MergedForm, merge_forms
from .problems import CatalogInvalid, MergeConflict, ProblemList

VARIABLE_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")
_THEME_ATTRIBUTES = (
    "code", "name", "lead_department", "summary", "acceptance_task", "delivery_task",
    "items", "variables",
)  # fmt: skip


@dataclass(frozen=True)
class ThemeItem:
    """An item of the theme, the BPMN task that does it, and the yes/no answer selecting it."""

    item: str
    task: str
    condition: str | None = None  # a boolean answer key; None: always selected


@dataclass(frozen=True, kw_only=True)
class ThemeDefinition:
    code: str
    name: str
    lead_department: str
    summary: str
    acceptance_task: str
    delivery_task: str
    items: tuple[ThemeItem, ...]
    variables: dict[str, str] = field(default_factory=dict)  # process variable → answer key

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(i.item for i in self.items)

    @property
    def question_keys(self) -> tuple[str, ...]:
        """Answer keys the theme asks itself: item conditions, then process variables."""
        keys = [i.condition for i in self.items if i.condition]
        return tuple(dict.fromkeys([*keys, *self.variables.values()]))

    def task_of(self, item_code: str) -> str:
        return next(i.task for i in self.items if i.item == item_code)

    def item_of_task(self, task_id: str) -> str | None:
        return next((i.item for i in self.items if i.task == task_id), None)

    def selected_items(self, answers: Mapping[str, Any]) -> tuple[str, ...]:
        """The items this application needs: unconditional ones and those answered yes.

        `answers` are normalised (see `normalise_answers`): only the boolean True selects.
        """
        return tuple(
            i.item for i in self.items if i.condition is None or answers.get(i.condition) is True
        )

    def process_variables(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The BPMN variables (e.g. `housing_fund`) from the answers they are mapped to."""
        return {name: answers.get(key) for name, key in self.variables.items()}


def load_theme_definition(theme_dir: Path, catalog: Catalog) -> ThemeDefinition:
    """Read and check `theme_dir/theme.yaml` against `catalog`; raise CatalogInvalid."""
    theme_dir = Path(theme_dir)
    rel = f"{theme_dir.name}/theme.yaml"
    report = ProblemList(rel)
    path = theme_dir / "theme.yaml"
    if not path.is_file():
        report.add("文件不存在")
        raise CatalogInvalid(report.problems)
    data = read_yaml(path, report)
    if report.problems:
        raise CatalogInvalid(report.problems)

    code = data.get("code") if isinstance(data, Mapping) else None
    theme = RecordReader(data, f"主题 {code or '?'}", report, _THEME_ATTRIBUTES)
    code = theme.text("code")
    if code and code != theme_dir.name:
        theme.problem(f"的编码与目录名 {theme_dir.name} 不一致")
    lead = theme.text("lead_department")
    if lead and lead not in catalog.departments:
        theme.problem(f"的牵头部门 {lead} 不在部门目录中")
    items = _read_items(theme, catalog)
    acceptance, delivery = theme.text("acceptance_task"), theme.text("delivery_task")
    item_tasks = {i.task for i in items}
    for task in (acceptance, delivery):
        if task and task in item_tasks:
            theme.problem(f"的任务 {task} 不能既是受理/出件任务又办理事项")
    definition = ThemeDefinition(
        code=code or "",
        name=theme.text("name") or "",
        lead_department=lead or "",
        summary=theme.text("summary") or "",
        acceptance_task=acceptance or "",
        delivery_task=delivery or "",
        items=items,
        variables=_read_variables(theme, catalog),
    )
    if not report.problems:
        _check_merge(definition, catalog, theme)
    if report.problems:
        raise CatalogInvalid(report.problems)
    return definition


def theme_form(theme: ThemeDefinition, catalog: Catalog) -> MergedForm:
    """The one form of the whole theme, its questions first (store it per theme version)."""
    return merge_forms(
        [catalog.item(c) for c in theme.item_codes],
        catalog.fields,
        order=theme.item_codes,
        questions=theme.question_keys,
    )


def theme_materials(
    theme: ThemeDefinition, catalog: Catalog, item_codes: Sequence[str] | None = None
) -> MaterialSet:
    """The one material set of the theme, or of the items a case selected."""
    codes = theme.item_codes if item_codes is None else item_codes
    return merge_materials([catalog.item(c) for c in codes], order=theme.item_codes)


def _read_items(theme: RecordReader, catalog: Catalog) -> tuple[ThemeItem, ...]:
    raw = theme.raw("items")
    if not isinstance(raw, list) or not raw:
        theme.problem("的 items 应为非空列表（每项含 item、task，可选 condition）")
        return ()
    items: list[ThemeItem] = []
    for entry in raw:
        label = entry.get("item") if isinstance(entry, Mapping) else None
        reader = RecordReader(
            entry, f"{theme.where} 事项 {label or '?'}", theme.report, ("item", "task", "condition")
        )
        code, task = reader.text("item"), reader.text("task")
        condition = reader.text("condition", required=False)
        if code and code not in catalog.items:
            reader.problem("不在事项目录中")
        if code in {i.item for i in items}:
            reader.problem("重复列出")
        if task in {i.task for i in items}:
            reader.problem(f"的任务 {task} 已分给另一事项")
        if condition:
            _check_answer_key(reader, condition, "condition", catalog, boolean=True)
        if code and task:
            items.append(ThemeItem(code, task, condition))
    return tuple(items)


def _read_variables(theme: RecordReader, catalog: Catalog) -> dict[str, str]:
    raw = theme.raw("variables")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        theme.problem("的 variables 应为“流程变量: 字段键”的映射")
        return {}
    variables: dict[str, str] = {}
    for name, key in raw.items():
        if not VARIABLE_PATTERN.match(str(name)):
            theme.problem(f"的流程变量名 {name} 不合规范（小写英文、数字、下划线）")
        elif not isinstance(key, str):
            theme.problem(f"的流程变量 {name} 应对应一个字段键")
        elif _check_answer_key(theme, key, f"流程变量 {name}", catalog, boolean=False):
            variables[str(name)] = key
    return variables


def _check_answer_key(
    reader: RecordReader, key: str, what: str, catalog: Catalog, boolean: bool
) -> bool:
    definition = catalog.fields.get(key)
    if definition is None:
        reader.problem(f"的 {what} 字段 {key} 不在字段字典中")
        return False
    if definition.type == "array" or (boolean and definition.type != "boolean"):
        wanted = "boolean" if boolean else "非重复组"
        reader.problem(f"的 {what} 字段 {key} 应为 {wanted} 类型")
        return False
    return True


def _check_merge(theme: ThemeDefinition, catalog: Catalog, reader: RecordReader) -> None:
    try:
        theme_form(theme, catalog)
    except MergeConflict as exc:
        for conflict in exc.conflicts:
            files = "、".join(f"items/{c}.yaml" for c in conflict.item_codes)
            where = f"（见 {files}）" if files else ""
            reader.report.add(
                f"{reader.where} 无法合并表单：{conflict.message}{where}",
                field=conflict.key or None,
            )
