"""A theme's metadata (theme.yaml): its items, the BPMN tasks doing them, and its choices.

The BPMN and the guidance decision table (DMN) next to theme.yaml are the engine's to
check; here we check what the catalog knows: the items exist, the departments exist, the
question fields exist, and the items' forms merge without conflict (a publish-time error
otherwise). Which conditional items a case needs is decided by the guidance table (see
engine/guidance.py); this module only says which items are conditional and what follows
from a decision: the items of the case and the BPMN variables.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .catalog import Catalog
from .catalog_files import RecordReader, read_yaml
from .materials import MaterialSet, merge_materials
from .merge import MergedForm, merge_forms
from .party_roles import JOINT_ROLES
from .problems import CatalogInvalid, MergeConflict, ProblemList

VARIABLE_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")
GUIDANCE_FILE_PATTERN = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.dmn$")
SELECTED_BY_GUIDANCE = "guidance"
# Share of an allowed time after which a task or case shows 黄牌, unless the theme says otherwise.
DEFAULT_YELLOW_CARD_AT = Decimal("0.8")
# The front desk's own steps, 受理 and 出件, in working days each, unless the theme says.
DEFAULT_DESK_DAYS = Decimal(1)
_THEME_ATTRIBUTES = (
    "code", "name", "lead_department", "summary", "acceptance_task", "delivery_task",
    "questions", "guidance", "items", "variables", "on_denial", "yellow_card_at",
    "wish", "audience", "event",
    "acceptance_days", "delivery_days", "settings",
    "joint_application",
)  # fmt: skip
# 个人 / 法人 办事: how the public catalog groups themes (a theme serves one of the two).
AUDIENCES = ("个人", "法人")
# What a denied item does to the case (后台审批 不予): end it, or let the other items go on.
DENIAL_POLICIES = ("terminate", "continue")


@dataclass(frozen=True)
class ThemeItem:
    """An item of the theme, the BPMN task that does it, and what selects it."""

    item: str
    task: str
    selected_by: str | None = None  # "guidance": only if the decision table outputs it

    @property
    def conditional(self) -> bool:
        return self.selected_by == SELECTED_BY_GUIDANCE


@dataclass(frozen=True)
class LocalSetting:
    """A figure this county decided (not the law): the guidance table reads it by `name`."""

    name: str
    label: str
    value: Decimal
    unit: str
    description: str  # where the figure comes from, honestly: which rule, whose choice

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "label": self.label,
            "value": str(self.value),
            "unit": self.unit,
            "description": self.description,
        }


@dataclass(frozen=True, kw_only=True)
class ThemeDefinition:
    code: str
    name: str
    lead_department: str
    summary: str
    acceptance_task: str
    delivery_task: str
    items: tuple[ThemeItem, ...]
    # Guidance question variable (as the decision table names it) → field key, in asking order.
    questions: dict[str, str] = field(default_factory=dict)
    guidance_file: str | None = None  # the DMN next to theme.yaml
    variables: dict[str, str] = field(default_factory=dict)  # process variable → item code
    on_denial: str = "terminate"
    yellow_card_at: Decimal = DEFAULT_YELLOW_CARD_AT  # share of the allowed time that gives 黄牌
    # The public catalog: "我要…" name, 个人/法人, and the life or business event it serves.
    wish: str = ""
    audience: str = ""
    event: str = ""
    acceptance_days: Decimal = DEFAULT_DESK_DAYS  # 受理, working days
    delivery_days: Decimal = DEFAULT_DESK_DAYS  # 出件, working days
    settings: tuple[LocalSetting, ...] = ()
    # 共同申请: repeating group (field key) → the party role of the persons it lists; each
    # side confirms the application with its own account before the front desk accepts.
    joint_application: dict[str, str] = field(default_factory=dict)

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(i.item for i in self.items)

    @property
    def conditional_items(self) -> tuple[str, ...]:
        """Items the guidance table selects (`selected_by: guidance`), in theme order."""
        return tuple(i.item for i in self.items if i.conditional)

    @property
    def question_keys(self) -> tuple[str, ...]:
        """Field keys of the guidance questions, in asking order."""
        return tuple(dict.fromkeys(self.questions.values()))

    def task_of(self, item_code: str) -> str:
        return next(i.task for i in self.items if i.item == item_code)

    def item_of_task(self, task_id: str) -> str | None:
        return next((i.item for i in self.items if i.task == task_id), None)

    def selected_items(self, decided: Collection[str]) -> tuple[str, ...]:
        """The items this application needs: unconditional ones and the decided ones.

        `decided` are the conditional items the guidance table output for the case; codes
        that are not conditional items of this theme are ignored.
        """
        decided = set(decided)
        return tuple(i.item for i in self.items if not i.conditional or i.item in decided)

    def process_variables(self, selected: Collection[str]) -> dict[str, bool]:
        """The BPMN variables (e.g. `housing_fund`): whether their item is selected."""
        selected = set(selected)
        return {name: code in selected for name, code in self.variables.items()}


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
    questions = _read_questions(theme, catalog)
    items = _read_items(theme, catalog)
    guidance_file = _read_guidance_file(theme, theme_dir, items)
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
        questions=questions,
        guidance_file=guidance_file,
        variables=_read_variables(theme, items),
        on_denial=_read_denial_policy(theme),
        yellow_card_at=_read_yellow_share(theme),
        wish=theme.text("wish", required=False) or "",
        audience=theme.choice("audience", AUDIENCES, required=False) or "",
        event=theme.text("event", required=False) or "",
        acceptance_days=_read_desk_days(theme, "acceptance_days"),
        delivery_days=_read_desk_days(theme, "delivery_days"),
        settings=_read_settings(theme, questions),
        joint_application=_read_joint_application(theme, catalog),
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


def _read_questions(theme: RecordReader, catalog: Catalog) -> dict[str, str]:
    raw = theme.raw("questions")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        theme.problem("的 questions 应为“决策表变量: 字段键”的映射")
        return {}
    questions: dict[str, str] = {}
    for name, key in raw.items():
        if not VARIABLE_PATTERN.match(str(name)):
            theme.problem(f"的导办问题变量名 {name} 不合规范（小写英文、数字、下划线）")
        elif not isinstance(key, str):
            theme.problem(f"的导办问题 {name} 应对应一个字段键")
        elif key in questions.values():
            theme.problem(f"的导办问题 {name} 与另一问题使用同一字段 {key}")
        elif _check_question_key(theme, key, f"导办问题 {name}", catalog):
            questions[str(name)] = key
    return questions


def _read_items(theme: RecordReader, catalog: Catalog) -> tuple[ThemeItem, ...]:
    raw = theme.raw("items")
    if not isinstance(raw, list) or not raw:
        theme.problem("的 items 应为非空列表（每项含 item、task，可选 selected_by: guidance）")
        return ()
    items: list[ThemeItem] = []
    for entry in raw:
        label = entry.get("item") if isinstance(entry, Mapping) else None
        where = f"{theme.where} 事项 {label or '?'}"
        if isinstance(entry, Mapping) and "condition" in entry:
            # The old format; say what replaces it rather than just "unknown attribute".
            theme.report.add(
                f"{where} 的 condition 已不再使用：改为 selected_by: guidance，"
                "并在导办决策表（guidance）中写明何时办理"
            )
            entry = {k: v for k, v in entry.items() if k != "condition"}
        reader = RecordReader(entry, where, theme.report, ("item", "task", "selected_by"))
        code, task = reader.text("item"), reader.text("task")
        selected_by = reader.choice("selected_by", (SELECTED_BY_GUIDANCE,), required=False)
        if code and code not in catalog.items:
            reader.problem("不在事项目录中")
        if code in {i.item for i in items}:
            reader.problem("重复列出")
        if task in {i.task for i in items}:
            reader.problem(f"的任务 {task} 已分给另一事项")
        if code and task:
            items.append(ThemeItem(code, task, selected_by))
    return tuple(items)


def _read_denial_policy(theme: RecordReader) -> str:
    policy = theme.text("on_denial", required=False) or "terminate"
    if policy not in DENIAL_POLICIES:
        theme.problem("的 on_denial 应为 terminate（终止办件）或 continue（其他事项继续）")
        return "terminate"
    return policy


def _read_yellow_share(theme: RecordReader) -> Decimal:
    share = theme.number("yellow_card_at")
    if share is None:
        return DEFAULT_YELLOW_CARD_AT
    if not Decimal("0.5") <= share < 1:
        theme.problem("的 yellow_card_at 应在 0.5 与 1 之间（如 0.8 表示用时达 80% 亮黄牌）")
        return DEFAULT_YELLOW_CARD_AT
    return share


def _read_desk_days(theme: RecordReader, name: str) -> Decimal:
    days = theme.number(name)
    if days is None:
        return DEFAULT_DESK_DAYS
    if days < 0 or (days * 2) % 1 or days > 30:
        theme.problem(f"的 {name} 应为 0 至 30 的工作日数（可为 0.5 的倍数）")
        return DEFAULT_DESK_DAYS
    return days


def _read_settings(theme: RecordReader, questions: Mapping[str, str]) -> tuple[LocalSetting, ...]:
    raw = theme.raw("settings")
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        theme.problem("的 settings 应为“设置名: {label, value, unit, description}”的映射")
        return ()
    settings = []
    for name, entry in raw.items():
        where = f"{theme.where} 本地设置 {name}"
        reader = RecordReader(entry, where, theme.report, ("label", "value", "unit", "description"))
        if not VARIABLE_PATTERN.match(str(name)):
            reader.problem("的名称不合规范（小写英文、数字、下划线）")
            continue
        if name in questions:
            reader.problem("与导办问题变量同名")
            continue
        label, value = reader.text("label"), reader.number("value", required=True)
        unit, description = reader.text("unit"), reader.text("description")
        if label and value is not None and unit and description:
            settings.append(LocalSetting(str(name), label, value, unit, description))
    return tuple(settings)


def _read_joint_application(theme: RecordReader, catalog: Catalog) -> dict[str, str]:
    raw = theme.raw("joint_application")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or len(raw) < 2:
        theme.problem("的 joint_application 应为至少两项“人员组字段键: 当事人角色”的映射")
        return {}
    sides: dict[str, str] = {}
    for key, role in raw.items():
        field_record = catalog.fields.get(str(key))
        if field_record is None or field_record.type != "array":
            theme.problem(f"的共同申请人员组 {key} 应为字段字典中的重复组字段")
        elif role not in JOINT_ROLES:
            theme.problem(f"的共同申请角色 {role} 应为 {'、'.join(JOINT_ROLES)} 之一")
        elif role in sides.values():
            theme.problem(f"的共同申请角色 {role} 重复")
        else:
            sides[str(key)] = str(role)
    return sides


def _read_guidance_file(
    theme: RecordReader, theme_dir: Path, items: Sequence[ThemeItem]
) -> str | None:
    name = theme.text("guidance", required=False)
    if name is None:
        if any(i.conditional for i in items):
            theme.problem("有由导办决定的事项（selected_by: guidance），但缺少 guidance 决策表文件")
        return None
    if not GUIDANCE_FILE_PATTERN.match(name):
        theme.problem(f"的 guidance 应为同目录下的 .dmn 文件名，当前为“{name}”")
        return None
    if not (theme_dir / name).is_file():
        theme.problem(f"的导办决策表文件 {name} 不存在")
        return None
    return name


def _read_variables(theme: RecordReader, items: Sequence[ThemeItem]) -> dict[str, str]:
    raw = theme.raw("variables")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        theme.problem("的 variables 应为“流程变量: 事项编码”的映射")
        return {}
    codes = {i.item for i in items}
    variables: dict[str, str] = {}
    for name, code in raw.items():
        if not VARIABLE_PATTERN.match(str(name)):
            theme.problem(f"的流程变量名 {name} 不合规范（小写英文、数字、下划线）")
        elif not isinstance(code, str):
            theme.problem(f"的流程变量 {name} 应对应本主题的一个事项编码")
        elif code not in codes:
            theme.problem(f"的流程变量 {name} 对应的事项 {code} 不是本主题的事项")
        else:
            variables[str(name)] = code
    return variables


def _check_question_key(reader: RecordReader, key: str, what: str, catalog: Catalog) -> bool:
    definition = catalog.fields.get(key)
    if definition is None:
        reader.problem(f"的 {what} 字段 {key} 不在字段字典中")
        return False
    if definition.type == "array":
        reader.problem(f"的 {what} 字段 {key} 不能是重复组")
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
