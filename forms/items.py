"""The service item record (事项标准): one department's procedure, its form and materials."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .catalog_files import RecordReader
from .constraints import LABELS, Constraints, widenings
from .field_dictionary import FieldDef, read_constraints
from .problems import ProblemList

ITEM_TYPES = (
    "行政许可",
    "行政给付",
    "行政确认",
    "行政奖励",
    "行政裁决",
    "其他行政权力",
    "公共服务",
)
LEVELS = ("国家级", "省级", "市级", "县级", "乡镇级", "村级")
KINDS = ("即办件", "承诺件")
# 法定/承诺时限 are counted in working days unless the catalog says 自然日 (calendar days:
# some social-insurance and utility items, e.g. 社会保险法 §57's 十五日).
DAYS_UNITS = ("工作日", "自然日")
RESULT_TYPES = ("证照", "批文", "其他")
DELIVERY_METHODS = ("窗口领取", "邮政寄递", "电子送达")
ORIGINAL_OR_COPY = ("原件", "复印件", "原件和复印件", "电子件")
# applicant: 申请人提供; e_licence: 电子证照; shared: 部门共享; theme: 本主题内产生
MATERIAL_SOURCES = ("applicant", "e_licence", "shared", "theme")
ITEM_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*-[A-Z0-9]+$")
MATERIAL_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9-]*$")
# Who handles a level of the department's approval (审批层级), by the catalog's words; the
# web app grants these as roles in the department (承办人 is its 后台审批 role).
LEVEL_ROLES = {"承办人": "approver", "科室负责人": "section_chief", "分管领导": "department_head"}
# 告知承诺制: the 事后核查 is due this many working days after the decision unless the record
# says otherwise.
DEFAULT_CHECK_DAYS = 30


@dataclass(frozen=True)
class Condition:
    """A field is asked only when another answer has this value (true, or an option value)."""

    key: str
    value: str | bool

    def holds(self, answer: Any) -> bool:
        if isinstance(answer, list):  # a multi-choice answer: the value is one of the choices
            return self.value in answer
        return answer is not None and answer == self.value and type(answer) is type(self.value)

    def to_dict(self) -> dict[str, Any]:
        return {self.key: self.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Condition:
        ((key, value),) = data.items()
        return cls(key, value)


@dataclass(frozen=True)
class FieldUse:
    """An item asking one dictionary key: required or not, maybe narrowed, maybe conditional."""

    key: str
    required: bool = False
    when: Condition | None = None
    narrowing: Constraints = field(default_factory=Constraints)
    item_fields: tuple[FieldUse, ...] = ()  # for a repeating group: the sub-fields it asks


@dataclass(frozen=True, kw_only=True)
class Material:
    """One material an item asks for, and where it can come from instead of the applicant."""

    code: str
    name: str
    source: str
    original_or_copy: str = "原件"
    copies: int = 1
    required: bool = True
    produced_by: str | None = None  # source theme: the item of the same theme issuing it
    e_licence_type: str | None = None  # the e-licence that can replace it
    shared_from: str | None = None  # source shared: which department's data
    tolerance: bool = False  # 容缺: may be handed in after acceptance
    note: str | None = None


@dataclass(frozen=True)
class Fee:
    name: str
    amount: Decimal
    basis: str


@dataclass(frozen=True)
class ItemResult:
    name: str
    type: str
    e_licence: bool


@dataclass(frozen=True)
class ApprovalLevel:
    """One step inside the department (承办人审查 → 科室负责人审核 → 分管领导审批): its name
    and the role in the department that handles it (a `LEVEL_ROLES` value)."""

    name: str
    role: str

    @property
    def role_label(self) -> str:
        return next(label for label, code in LEVEL_ROLES.items() if code == self.role)


# An item that declares no levels is decided in one step by its approvers, as always.
ONE_LEVEL = (ApprovalLevel("审批", "approver"),)


@dataclass(frozen=True)
class PromiseTerms:
    """告知承诺制: the promise the applicant signs instead of certain proofs, and how soon the
    department checks it afterwards (事后核查, working days after the decision)."""

    text: str
    check_days: int = DEFAULT_CHECK_DAYS


@dataclass(frozen=True, kw_only=True)
class ItemRecord:
    """An item as the catalog stores it; `department` is a department code."""

    code: str
    name: str
    department: str
    type: str = "公共服务"
    level: str = "县级"
    legal_basis: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    kind: str = "承诺件"
    legal_days: Decimal = Decimal(0)
    promised_days: Decimal = Decimal(0)
    days_unit: str = "工作日"
    fees: tuple[Fee, ...] = ()
    result: ItemResult | None = None
    delivery: tuple[str, ...] = ()
    place: str = ""
    phone: str = ""
    complaint_phone: str = ""
    fields: tuple[FieldUse, ...] = ()
    materials: tuple[Material, ...] = ()
    approval_levels: tuple[ApprovalLevel, ...] = ONE_LEVEL
    promise: PromiseTerms | None = None

    @property
    def calendar_days(self) -> bool:
        """Whether its time limits count calendar days (自然日) rather than working days."""
        return self.days_unit == "自然日"

    def field_use(self, key: str) -> FieldUse | None:
        return next((f for f in self.fields if f.key == key), None)


_ITEM_ATTRIBUTES = (
    "code", "name", "type", "department", "level", "legal_basis", "conditions", "kind",
    "legal_days", "promised_days", "days_unit", "fees", "result", "delivery", "place", "phone",
    "complaint_phone", "fields", "materials", "approval_levels", "promise",
)  # fmt: skip
_USE_ATTRIBUTES = ("key", "required", "when", "item_fields", *LABELS)
_MATERIAL_ATTRIBUTES = (
    "code", "name", "original_or_copy", "copies", "required", "source", "produced_by",
    "e_licence_type", "shared_from", "tolerance", "note",
)  # fmt: skip


def parse_item(
    data: Any,
    dictionary: Mapping[str, FieldDef],
    departments: Mapping[str, str],
    report: ProblemList,
    broken_keys: frozenset[str] = frozenset(),
) -> ItemRecord:
    """An item record from its YAML; `departments` maps codes and names to codes.

    `broken_keys` are in fields.yaml but invalid there: already reported, so an item
    using them is not reported again as using an unknown key.

    Cross-item checks (duplicate codes, `produced_by`) need the whole catalog and are done
    by the catalog loader.
    """
    code = data.get("code") if isinstance(data, Mapping) else None
    code = code if isinstance(code, str) and code else "?"
    report = report.for_item(code)
    item = RecordReader(data, f"事项 {code}", report, _ITEM_ATTRIBUTES)
    item.text("code")
    if code != "?" and not ITEM_CODE_PATTERN.match(code):
        item.problem("的编码应形如 SAMR-QYSLDJ（部门代码-事项简码，大写）")
    department = item.text("department")
    if department is not None and department not in departments:
        item.problem(f"的实施部门“{department}”不在部门目录中")
    legal_days = item.number("legal_days", required=True)
    promised_days = item.number("promised_days", required=True)
    for name, days in (("legal_days", legal_days), ("promised_days", promised_days)):
        if days is not None and (days < 0 or (days * 2) % 1):
            item.problem(f"的 {name} 应为非负的天数（可为 0.5 的倍数）")
    if legal_days is not None and promised_days is not None and promised_days > legal_days:
        item.problem(f"的承诺时限 {promised_days} 天超过法定时限 {legal_days} 天")
    delivery = item.texts("delivery", required=True)
    for method in delivery:
        if method not in DELIVERY_METHODS:
            item.problem(f"的送达方式“{method}”无效，应为 {'、'.join(DELIVERY_METHODS)} 之一")
    record = ItemRecord(
        code=code,
        name=item.text("name") or "",
        type=item.choice("type", ITEM_TYPES) or "",
        department=departments.get(department or "", ""),
        level=item.choice("level", LEVELS) or "",
        legal_basis=item.texts("legal_basis", required=True),
        conditions=item.texts("conditions", required=True),
        kind=item.choice("kind", KINDS) or "",
        legal_days=legal_days or Decimal(0),
        promised_days=promised_days or Decimal(0),
        days_unit=item.choice("days_unit", DAYS_UNITS, required=False) or "工作日",
        fees=_parse_fees(item),
        result=_parse_result(item),
        delivery=delivery,
        place=item.text("place") or "",
        phone=item.text("phone") or "",
        complaint_phone=item.text("complaint_phone") or "",
        fields=_parse_uses(item, dictionary, broken_keys),
        materials=_parse_materials(item),
        approval_levels=_parse_levels(item),
        promise=_parse_promise(item),
    )
    return record


def _parse_levels(item: RecordReader) -> tuple[ApprovalLevel, ...]:
    raw = item.raw("approval_levels")
    if raw is None:
        return ONE_LEVEL
    if not isinstance(raw, list) or not raw:
        item.problem("的 approval_levels 应为非空列表（每级写 name 与 role）")
        return ONE_LEVEL
    levels = []
    for entry in raw:
        level = RecordReader(entry, f"{item.where} 审批层级", item.report, ("name", "role"))
        name, role = level.text("name"), level.choice("role", LEVEL_ROLES)
        if name and role:
            levels.append(ApprovalLevel(name, LEVEL_ROLES[role]))
    if len({lv.role for lv in levels}) != len(levels):
        item.problem("的审批层级中同一角色出现两次（退回须回到不同的下一级）")
    return tuple(levels) or ONE_LEVEL


def _parse_promise(item: RecordReader) -> PromiseTerms | None:
    raw = item.raw("promise")
    if raw is None:
        return None
    promise = RecordReader(raw, f"{item.where} 告知承诺", item.report, ("text", "check_days"))
    text = promise.text("text")
    days = promise.integer("check_days", minimum=1)
    if text is None:
        return None
    return PromiseTerms(text, days if days is not None else DEFAULT_CHECK_DAYS)


def _parse_fees(item: RecordReader) -> tuple[Fee, ...]:
    raw = item.raw("fees")
    if raw is None or raw == []:
        return ()  # an empty list means the item is free
    if not isinstance(raw, list):
        item.problem("的 fees 应为列表（免费则写 []）")
        return ()
    fees = []
    for entry in raw:
        fee = RecordReader(
            entry, f"{item.where} 收费项目", item.report, ("name", "amount", "basis")
        )
        name, amount, basis = (
            fee.text("name"),
            fee.number("amount", required=True),
            fee.text("basis"),
        )
        if amount is not None and amount < 0:
            fee.problem("的 amount 不能为负数")
        if name and amount is not None and basis:
            fees.append(Fee(name, amount, basis))
    return tuple(fees)


def _parse_result(item: RecordReader) -> ItemResult | None:
    if not item.has("result"):
        item.problem("缺少必填属性 result（办理结果）")
        return None
    result = RecordReader(
        item.raw("result"), f"{item.where} 办理结果", item.report, ("name", "type", "e_licence")
    )
    name, type_ = result.text("name"), result.choice("type", RESULT_TYPES)
    e_licence = result.flag("e_licence", default=None)
    if name is None or type_ is None or e_licence is None:
        return None
    return ItemResult(name, type_, e_licence)


def _parse_uses(
    item: RecordReader, dictionary: Mapping[str, FieldDef], broken_keys: frozenset[str]
) -> tuple[FieldUse, ...]:
    raw = item.raw("fields")
    if not isinstance(raw, list) or not raw:
        item.problem("的 fields 应为非空列表（事项表单的字段）")
        return ()
    uses = _parse_use_list(raw, item, dictionary.get, group=None, skip=broken_keys)
    _check_use_dependencies(uses, dictionary, item)
    return uses


def _parse_use_list(
    raw: list,
    item: RecordReader,
    lookup: Callable[[str], FieldDef | None],
    group: str | None,
    skip: frozenset[str] = frozenset(),
) -> tuple[FieldUse, ...]:
    uses: list[FieldUse] = []
    seen: set[str] = set()
    for entry in raw:
        key = entry.get("key") if isinstance(entry, Mapping) else None
        if not isinstance(key, str) or not key:
            item.problem(f"的字段条目 {entry!r} 缺少 key")
            continue
        full_key = f"{group}[].{key}" if group else key
        where = f"{item.where} 字段 {full_key}"
        if key in seen:
            item.report.add(f"{where} 重复列出", field=full_key)
            continue
        seen.add(key)
        definition = lookup(key)
        if definition is None and key in skip:
            continue
        if definition is None:
            in_what = f"重复组 {group} 的定义" if group else "字段字典"
            item.report.add(f"{where} 不在{in_what}中", field=full_key)
            continue
        use = _parse_use(entry, definition, item, where, full_key)
        if use is not None:
            uses.append(use)
    return tuple(uses)


def _parse_use(
    entry: Mapping, definition: FieldDef, item: RecordReader, where: str, full_key: str
) -> FieldUse | None:
    sub_group = "[]." in full_key
    allowed = [a for a in _USE_ATTRIBUTES if not (sub_group and a in ("when", "item_fields"))]
    reader = RecordReader(entry, where, item.report, allowed, field=full_key)
    required = reader.flag("required", default=None)
    narrowing = read_constraints(reader, definition.type, options_from=definition)
    for widening in widenings(definition.constraints, narrowing):
        reader.problem(f"的约束与字段字典不符：{widening}")
    when = None
    if reader.has("when"):
        raw_when = reader.raw("when")
        if isinstance(raw_when, Mapping) and len(raw_when) == 1:
            ((cond_key, cond_value),) = raw_when.items()
            when = Condition(str(cond_key), cond_value)
        else:
            reader.problem("的 when 应写作 {字段键: 取值}（只能有一个条件）")
    item_fields: tuple[FieldUse, ...] = ()
    if definition.type == "array":
        subs = reader.raw("item_fields")
        if not isinstance(subs, list) or not subs:
            reader.problem("是重复组，须用 item_fields 列出本事项需要的组内字段")
        else:
            item_fields = _parse_use_list(subs, item, definition.sub_field, group=definition.key)
            for sub in item_fields:
                _check_sub_dependency(sub, item_fields, definition, item)
    elif reader.has("item_fields"):
        reader.problem("不是重复组，不能设置 item_fields")
    if required is None:
        return None
    return FieldUse(definition.key, required, when, narrowing, item_fields)


def _check_use_dependencies(
    uses: tuple[FieldUse, ...], dictionary: Mapping[str, FieldDef], item: RecordReader
) -> None:
    # A condition or an identifier rule reads another answer; the item must ask for it too,
    # or its own form (and its split of the answers) could not be checked on its own.
    asked = {u.key: u for u in uses}
    for use in uses:
        where = f"{item.where} 字段 {use.key}"
        if use.when is not None:
            chooser = dictionary.get(use.when.key)
            if use.when.key not in asked or chooser is None:
                item.report.add(
                    f"{where} 的条件字段 {use.when.key} 不在本事项的字段中", field=use.key
                )
            elif chooser.type == "boolean":
                if not isinstance(use.when.value, bool):
                    item.report.add(
                        f"{where} 的条件 {use.when.key} 应为 true 或 false", field=use.key
                    )
            elif chooser.type == "enum":
                narrowed = asked[use.when.key].narrowing.options
                allowed = {o.value for o in (narrowed or chooser.options)}
                if use.when.value not in allowed:
                    item.report.add(
                        f"{where} 的条件取值“{use.when.value}”不在 {use.when.key} 的可选值中",
                        field=use.key,
                    )
            else:
                item.report.add(
                    f"{where} 的条件字段 {use.when.key} 应为 boolean 或 enum 类型", field=use.key
                )
        rule = dictionary[use.key].checked_as if use.key in dictionary else None
        if rule is not None and rule.depends_on not in asked:
            item.report.add(f"{where} 依赖的 {rule.depends_on} 不在本事项的字段中", field=use.key)


def _check_sub_dependency(
    sub: FieldUse, siblings: tuple[FieldUse, ...], group: FieldDef, item: RecordReader
) -> None:
    definition = group.sub_field(sub.key)
    rule = definition.checked_as if definition else None
    if rule is not None and rule.depends_on not in {s.key for s in siblings}:
        full_key = f"{group.key}[].{sub.key}"
        item.report.add(
            f"{item.where} 字段 {full_key} 依赖的组内字段 {rule.depends_on} 不在本事项的组内字段中",
            field=full_key,
        )


def _parse_materials(item: RecordReader) -> tuple[Material, ...]:
    raw = item.raw("materials")
    if raw is None:
        item.problem("缺少必填属性 materials（无需材料则写 []）")
        return ()
    if not isinstance(raw, list):
        item.problem("的 materials 应为列表")
        return ()
    materials: list[Material] = []
    for entry in raw:
        code = entry.get("code") if isinstance(entry, Mapping) else None
        code = code if isinstance(code, str) and code else "?"
        reader = RecordReader(
            entry, f"{item.where} 材料 {code}", item.report, _MATERIAL_ATTRIBUTES, field=code
        )
        reader.text("code")
        if code != "?" and not MATERIAL_CODE_PATTERN.match(code):
            reader.problem("的编码应为大写英文、数字和连字符")
        if code in {m.code for m in materials}:
            reader.problem("重复列出")
        source = reader.text("source", required=False)
        if source is None:
            reader.problem(f"缺少来源 source（{'、'.join(MATERIAL_SOURCES)} 之一）")
        elif source not in MATERIAL_SOURCES:
            reader.problem(f"的来源“{source}”无效，应为 {'、'.join(MATERIAL_SOURCES)} 之一")
            source = None
        produced_by = reader.text("produced_by", required=source == "theme")
        if produced_by and source is not None and source != "theme":
            reader.problem("只有来源为 theme（本主题内产生）的材料才能设置 produced_by")
        e_licence_type = reader.text("e_licence_type", required=source == "e_licence")
        material = Material(
            code=code,
            name=reader.text("name") or "",
            source=source or "",
            original_or_copy=reader.choice("original_or_copy", ORIGINAL_OR_COPY) or "",
            copies=reader.integer("copies", minimum=0, required=True) or 0,
            required=bool(reader.flag("required", default=None)),
            produced_by=produced_by,
            e_licence_type=e_licence_type,
            shared_from=reader.text("shared_from", required=source == "shared"),
            tolerance=bool(reader.flag("tolerance")),
            note=reader.text("note", required=False),
        )
        materials.append(material)
    return tuple(materials)
