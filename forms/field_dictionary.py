"""The field dictionary: one definition per canonical key, shared by every item.

Fields are merged by key, never by label, so the key's meaning lives here once: its label,
type, widest constraints and privacy class. Items only say which keys they ask and may
narrow the constraints (see `constraints`).

`from_licence: {type: 营业执照, part: holder | number}` marks a field an applicant's held
e-licence fills in (智能填报): the holder's name or the licence number. `reuse: true` marks a
field whose answer in the applicant's earlier case fills their next form: the applicant's
own identity and contact, their company's facts — never a field about another person
(a seller, a legal representative, a parent).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from .catalog_files import RecordReader
from .constraints import APPLICABLE, LABELS, Constraints, Option, contradiction
from .problems import ProblemList

FIELD_TYPES = (
    "string",
    "text",
    "integer",
    "decimal",
    "money",
    "date",
    "datetime",
    "enum",
    "boolean",
    "region",
    "mobile",
    "id_number",
    "uscc",
    "email",
    "array",
)
PRIVACY_CLASSES = ("public", "internal", "sensitive")
# Types a `checked_as` rule may switch a plain string field to.
IDENTIFIER_TYPES = ("id_number", "uscc", "mobile", "email", "region")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
# Without a stated precision, money is kept to the fen and other decimals to six places.
DEFAULT_DECIMALS = {"money": 2, "decimal": 6}

_DEFINITION_ATTRIBUTES = (
    "label",
    "label_en",
    "type",
    "privacy",
    "hint",
    "unit",
    "multiple",
    "checked_as",
    "from_licence",
    "reuse",
    "item_fields",
    *LABELS,
)
# What of a held e-licence a field's `from_licence` fills it with (智能填报).
LICENCE_PARTS = ("holder", "number")


@dataclass(frozen=True)
class CheckedAs:
    """Check a string as an identifier whose kind another answer chooses.

    A shareholder's `id_code` is a 身份证号 when its `type` is a natural person and a
    统一社会信用代码 when it is a company; `depends_on` names that other answer (a sibling
    sub-key inside a group, a full key otherwise) and `cases` maps its values to types.
    Values not listed leave the field a plain string (e.g. a passport number).
    """

    depends_on: str
    cases: tuple[tuple[str, str], ...]

    def type_for(self, answer: Any) -> str | None:
        return dict(self.cases).get(answer) if isinstance(answer, str) else None

    def to_dict(self) -> dict[str, Any]:
        return {"depends_on": self.depends_on, "when": dict(self.cases)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckedAs:
        return cls(data["depends_on"], tuple(data["when"].items()))


@dataclass(frozen=True, kw_only=True)
class FieldDef:
    """A key's definition in the dictionary (or a sub-field's, inside a repeating group)."""

    key: str
    label: str
    type: str
    label_en: str = ""
    privacy: str = "internal"
    hint: str | None = None
    unit: str | None = None
    constraints: Constraints = field(default_factory=Constraints)
    multiple: bool = False
    checked_as: CheckedAs | None = None
    # (licence type, part): prefilled from the applicant's e-licence of that type, e.g.
    # ("营业执照", "number") for a company's 统一社会信用代码.
    from_licence: tuple[str, str] | None = None
    reuse: bool = False  # prefilled from the applicant's earlier case (their own data)
    item_fields: tuple[FieldDef, ...] = ()

    @property
    def options(self) -> tuple[Option, ...]:
        return self.constraints.options or ()

    def sub_field(self, key: str) -> FieldDef | None:
        return next((f for f in self.item_fields if f.key == key), None)


def parse_field_dictionary(data: Any, report: ProblemList) -> dict[str, FieldDef]:
    """Every well-formed definition of fields.yaml, in file order; problems go to `report`."""
    if not isinstance(data, Mapping):
        report.add("字段字典应为“字段键: 定义”的映射")
        return {}
    dictionary: dict[str, FieldDef] = {}
    for key, definition in data.items():
        parsed = _parse_definition(str(key), definition, report, group=None)
        if parsed is not None:
            dictionary[parsed.key] = parsed
    for definition in dictionary.values():
        _check_checked_as(definition, dictionary, report, group=None)
        for sub in definition.item_fields:
            _check_checked_as(sub, dictionary, report, group=definition)
    return dictionary


def _parse_definition(
    key: str, data: Any, report: ProblemList, group: str | None
) -> FieldDef | None:
    full_key = f"{group}[].{key}" if group else key
    where = f"字段 {full_key}"
    if not KEY_PATTERN.match(key) or (group and "." in key):
        report.add(f"{where} 的键不合规范（小写英文、数字、下划线，以点分隔）", field=full_key)
        return None
    reader = RecordReader(data, where, report, _DEFINITION_ATTRIBUTES, field=full_key)
    label = reader.text("label")
    label_en = reader.text("label_en") or ""
    type_ = reader.choice("type", FIELD_TYPES)
    privacy = reader.choice("privacy", PRIVACY_CLASSES)
    hint = reader.text("hint", required=False)
    unit = reader.text("unit", required=False)
    if label is None or type_ is None or privacy is None:
        return None

    multiple = bool(reader.flag("multiple"))
    if multiple and type_ != "enum":
        reader.problem("只有 enum 类型可以设置 multiple")
    constraints = read_constraints(reader, type_, options_from=None)
    if type_ in DEFAULT_DECIMALS and constraints.decimals is None:
        constraints = replace(constraints, decimals=DEFAULT_DECIMALS[type_])
    if type_ == "money" and constraints.min is None:
        constraints = replace(constraints, min=Decimal(0))  # amounts are never negative
    if type_ == "enum" and not constraints.options:
        reader.problem("是 enum 类型，须列出 options")

    checked_as = _read_checked_as(reader, type_)
    from_licence = _read_from_licence(reader)
    reuse = bool(reader.flag("reuse"))
    if reuse and (group or type_ == "array"):
        reader.problem("reuse 只能用于单个字段，不能用于重复组")
    item_fields: tuple[FieldDef, ...] = ()
    if type_ == "array":
        if group:
            reader.problem("不能在重复组内再嵌套重复组")
        subs = reader.raw("item_fields")
        if not isinstance(subs, Mapping) or not subs:
            reader.problem("是 array 类型，须用 item_fields 定义组内字段")
        else:
            parsed = [_parse_definition(str(k), v, report, key) for k, v in subs.items()]
            item_fields = tuple(p for p in parsed if p is not None)
    elif reader.has("item_fields"):
        reader.problem("只有 array 类型可以设置 item_fields")
    return FieldDef(
        key=key,
        label=label,
        label_en=label_en,
        type=type_,
        privacy=privacy,
        hint=hint,
        unit=unit,
        constraints=constraints,
        multiple=multiple,
        checked_as=checked_as,
        from_licence=from_licence,
        reuse=reuse,
        item_fields=item_fields,
    )


def _read_from_licence(reader: RecordReader) -> tuple[str, str] | None:
    raw = reader.raw("from_licence")
    if raw is None:
        return None
    if (
        not isinstance(raw, Mapping)
        or not isinstance(raw.get("type"), str)
        or raw.get("part") not in LICENCE_PARTS
    ):
        reader.problem(
            f"的 from_licence 应写作 {{type: 证照名称, part: {' / '.join(LICENCE_PARTS)}}}"
        )
        return None
    return (raw["type"], raw["part"])


def read_constraints(
    reader: RecordReader, type_: str, options_from: FieldDef | None
) -> Constraints:
    """The constraint attributes of a record, each checked against the field's type.

    In the dictionary options are {value, label} pairs; in an item (`options_from` set)
    they are plain values whose labels come from the dictionary.
    """
    applicable = APPLICABLE.get(type_, ())
    values: dict[str, Any] = {}
    for name in LABELS:
        if not reader.has(name):
            continue
        if name not in applicable:
            reader.problem(f"类型为 {type_}，不能设置 {name}")
        elif name == "options":
            values[name] = _read_options(reader, options_from)
        elif name in ("min", "max"):
            values[name] = reader.number(name)
            if type_ == "integer" and values[name] is not None and values[name] % 1:
                reader.problem(f"的 {name} 应为整数")
        else:
            values[name] = reader.integer(name, minimum=0 if name != "max_length" else 1)
    constraints = Constraints(**{k: v for k, v in values.items() if v is not None})
    reason = contradiction(constraints)
    if reason:
        reader.problem(f"的约束自相矛盾：{reason}")
    return constraints


def _read_options(reader: RecordReader, options_from: FieldDef | None) -> tuple[Option, ...]:
    raw = reader.raw("options")
    if not isinstance(raw, list) or not raw:
        reader.problem("的 options 应为非空列表")
        return ()
    options: list[Option] = []
    for entry in raw:
        if options_from is not None:
            # Items list values only; an unknown value keeps itself as label so the
            # widening check can name it.
            value = str(entry)
            known = next((o for o in options_from.options if o.value == value), None)
            options.append(known or Option(value, value))
        elif (
            isinstance(entry, Mapping)
            and set(entry) == {"value", "label"}
            and all(isinstance(entry[k], str) and entry[k] for k in ("value", "label"))
        ):
            options.append(Option(entry["value"], entry["label"]))
        else:
            reader.problem(f"的选项 {entry!r} 应写作 {{value: …, label: …}}")
    values = [o.value for o in options]
    if len(set(values)) != len(values):
        reader.problem("的 options 有重复取值")
    return tuple(options)


def _read_checked_as(reader: RecordReader, type_: str) -> CheckedAs | None:
    raw = reader.raw("checked_as")
    if raw is None:
        return None
    if type_ != "string":
        reader.problem("只有 string 类型可以设置 checked_as")
        return None
    if (
        not isinstance(raw, Mapping)
        or set(raw) != {"depends_on", "when"}
        or not isinstance(raw["depends_on"], str)
        or not isinstance(raw["when"], Mapping)
        or not raw["when"]
    ):
        reader.problem("的 checked_as 应写作 {depends_on: 字段键, when: {取值: 类型}}")
        return None
    bad = [t for t in raw["when"].values() if t not in IDENTIFIER_TYPES]
    if bad:
        reader.problem(
            f"的 checked_as 类型 {'、'.join(map(str, bad))} 无效，"
            f"应为 {'、'.join(IDENTIFIER_TYPES)} 之一"
        )
        return None
    return CheckedAs(raw["depends_on"], tuple((str(k), v) for k, v in raw["when"].items()))


def _check_checked_as(
    definition: FieldDef,
    dictionary: Mapping[str, FieldDef],
    report: ProblemList,
    group: FieldDef | None,
) -> None:
    rule = definition.checked_as
    if rule is None:
        return
    full_key = f"{group.key}[].{definition.key}" if group else definition.key
    chooser = group.sub_field(rule.depends_on) if group else dictionary.get(rule.depends_on)
    if chooser is None or chooser.type != "enum" or chooser.multiple:
        report.add(
            f"字段 {full_key} 的 checked_as 依赖的 {rule.depends_on} 不是"
            f"{'同组' if group else '字典中'}的单选 enum 字段",
            field=full_key,
        )
        return
    unknown = [v for v, _ in rule.cases if v not in {o.value for o in chooser.options}]
    if unknown:
        report.add(
            f"字段 {full_key} 的 checked_as 取值 {'、'.join(unknown)} 不在 "
            f"{rule.depends_on} 的可选值中",
            field=full_key,
        )
