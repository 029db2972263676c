"""One form for a theme (一表申请): every key asked once, the stricter constraint winning.

Merging is order-independent: fields are resolved over the items sorted by code, the common
section follows the dictionary's order, and item sections follow the order the caller
passes (the theme's). Constraints that cannot all hold raise MergeConflict naming the key
and the items, at publish time, never silently resolved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from .constraints import Constraints, contradiction, tighten, widenings
from .field_dictionary import CheckedAs, FieldDef
from .items import Condition, FieldUse, ItemRecord
from .json_schema import form_json_schema
from .problems import Conflict, MergeConflict

COMMON_SECTION = ("common", "基本信息")
QUESTION_SECTION = ("questions", "办理选项")
# Who applies and how results come back are the case's, not one item's: always common.
ALWAYS_COMMON_PREFIXES = ("applicant.", "delivery.")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class FieldUsage:
    """That one item asks a field: whether it requires it and under which condition."""

    item: str
    required: bool
    when: Condition | None = None

    def to_dict(self) -> dict[str, Any]:
        when = self.when.to_dict() if self.when else None
        return {"item": self.item, "required": self.required, "when": when}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldUsage:
        when = Condition.from_dict(data["when"]) if data.get("when") else None
        return cls(data["item"], data["required"], when)


@dataclass(frozen=True, kw_only=True)
class MergedField:
    """A field of the one form: its definition, effective constraints and who asks it."""

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
    from_licence: tuple[str, str] | None = None  # (licence type, part): 智能填报
    reuse: bool = False  # prefilled from the applicant's earlier case (field dictionary)
    usages: tuple[FieldUsage, ...] = ()  # sorted by item code
    question: bool = False  # asked by the theme itself to choose items (导办)
    item_fields: tuple[MergedField, ...] = ()

    @property
    def asked_by(self) -> tuple[str, ...]:
        return tuple(u.item for u in self.usages)

    @property
    def required_by(self) -> tuple[str, ...]:
        return tuple(u.item for u in self.usages if u.required)

    def required_given(self, holds: Callable[[Any], bool]) -> bool:
        """The one "required" rule: a theme question always is; otherwise the field is
        required when ANY item requires it and that item's condition (`when`, None for
        none) holds — one item needing the answer is enough."""
        return self.question or any(u.required and holds(u.when) for u in self.usages)

    @property
    def required(self) -> bool:
        """Required by any item (maybe under its condition), or a theme question."""
        return self.required_given(lambda _when: True)

    @property
    def options(self) -> tuple:
        return self.constraints.options or ()

    def sub_field(self, key: str) -> MergedField | None:
        return next((f for f in self.item_fields if f.key == key), None)

    def restricted_to(self, codes: set[str]) -> MergedField | None:
        usages = tuple(u for u in self.usages if u.item in codes)
        if not usages and not self.question:
            return None
        subs = (s.restricted_to(codes) for s in self.item_fields)
        return replace(self, usages=usages, item_fields=tuple(s for s in subs if s))

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "label_en": self.label_en,
            "type": self.type,
            "privacy": self.privacy,
            "hint": self.hint,
            "unit": self.unit,
            "multiple": self.multiple,
            "checked_as": self.checked_as.to_dict() if self.checked_as else None,
            "constraints": self.constraints.to_dict(),
            "usages": [u.to_dict() for u in self.usages],
            "question": self.question,
            "item_fields": [f.to_dict() for f in self.item_fields],
            # Only when set: snapshots of fields without it stay as they were.
            **({"from_licence": list(self.from_licence)} if self.from_licence else {}),
            **({"reuse": True} if self.reuse else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MergedField:
        return cls(
            key=data["key"],
            label=data["label"],
            label_en=data.get("label_en", ""),
            type=data["type"],
            privacy=data.get("privacy", "internal"),
            hint=data.get("hint"),
            unit=data.get("unit"),
            multiple=data.get("multiple", False),
            checked_as=CheckedAs.from_dict(data["checked_as"]) if data.get("checked_as") else None,
            constraints=Constraints.from_dict(data.get("constraints", {})),
            usages=tuple(FieldUsage.from_dict(u) for u in data.get("usages", [])),
            question=data.get("question", False),
            item_fields=tuple(cls.from_dict(f) for f in data.get("item_fields", [])),
            from_licence=tuple(data["from_licence"]) if data.get("from_licence") else None,
            reuse=bool(data.get("reuse", False)),
        )


@dataclass(frozen=True)
class FormItem:
    code: str
    name: str


@dataclass(frozen=True)
class MergedSection:
    """A titled group of fields; `item` is set for the section of one item's own fields."""

    key: str
    title: str
    fields: tuple[str, ...]
    item: str | None = None


@dataclass(frozen=True)
class MergedForm:
    """The one form of a set of items; `fields` are in display order, section by section."""

    items: tuple[FormItem, ...]
    fields: tuple[MergedField, ...]
    sections: tuple[MergedSection, ...]

    @cached_property
    def _by_key(self) -> dict[str, MergedField]:
        return {f.key: f for f in self.fields}

    def field(self, key: str) -> MergedField:
        return self._by_key[key]

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.items)

    @property
    def fields_asked(self) -> int:
        """Fields the applicant fills in for the items (a repeating group counts once)."""
        return sum(1 for f in self.fields if f.usages)

    @property
    def item_field_total(self) -> int:
        """The sum of the items' own field counts: what they would ask one by one."""
        return sum(len(f.usages) for f in self.fields)

    def for_items(self, codes: Iterable[str]) -> MergedForm:
        """The form of a case that selected only some of the items.

        Fields keep their section and their constraints as merged for the whole theme, so
        a key means the same in every case of a theme version and the layout stays put;
        requiredness and visibility follow the selected items only.
        """
        keep = set(codes) & set(self.item_codes)
        fields = tuple(f for f in (f.restricted_to(keep) for f in self.fields) if f)
        kept = {f.key for f in fields}
        sections = []
        for section in self.sections:
            keys = tuple(k for k in section.fields if k in kept)
            if keys and (section.item is None or section.item in keep):
                sections.append(replace(section, fields=keys))
        items = tuple(i for i in self.items if i.code in keep)
        return MergedForm(items, fields, tuple(sections))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe document that `from_dict` turns back into an equal form."""
        return {
            "format": FORMAT_VERSION,
            "items": [{"code": i.code, "name": i.name} for i in self.items],
            "sections": [
                {"key": s.key, "title": s.title, "item": s.item, "fields": list(s.fields)}
                for s in self.sections
            ],
            "fields": [f.to_dict() for f in self.fields],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MergedForm:
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"不支持的合并表单格式版本：{data.get('format')!r}")
        return cls(
            items=tuple(FormItem(i["code"], i["name"]) for i in data["items"]),
            fields=tuple(MergedField.from_dict(f) for f in data["fields"]),
            sections=tuple(
                MergedSection(s["key"], s["title"], tuple(s["fields"]), s.get("item"))
                for s in data["sections"]
            ),
        )

    def to_json_schema(self, title: str | None = None) -> dict[str, Any]:
        """A JSON Schema 2020-12 document of the flat answers, with UI hints (x-…)."""
        return form_json_schema(self, title)


def merge_forms(
    items: Sequence[ItemRecord],
    dictionary: Mapping[str, FieldDef],
    order: Sequence[str] | None = None,
    questions: Sequence[str] = (),
) -> MergedForm:
    """Merge the items' forms into one.

    `order` gives the order of the item sections (the theme's item order; by default the
    item codes sorted); nothing else depends on the order of `items`. `questions` are
    dictionary keys the theme itself asks to choose its items; they come first, in a
    section of their own, and are required. Raises MergeConflict listing every key whose
    constraints cannot all hold.
    """
    conflicts: list[Conflict] = []
    by_code = _distinct(items, conflicts)
    codes = sorted(by_code)
    index = _dictionary_index(dictionary)

    uses_of: dict[str, list[_Use]] = {}
    narrowed: set[str] = set()  # keys some item narrows: merged the general way
    for code in codes:
        for entry in _item_uses(by_code[code]):
            key = entry[0].key
            uses = uses_of.get(key)
            if uses is not None:
                uses.append(entry)
            elif key in dictionary:
                uses_of[key] = [entry]
            else:
                item = by_code[code]
                conflicts.append(
                    Conflict(
                        key,
                        (code,),
                        (item.name,),
                        f"事项“{item.name}”（{code}）的字段 {key} 不在字段字典中",
                    )
                )
                continue
            if entry[2]:
                narrowed.add(key)
    for key in questions:
        if key not in dictionary:
            conflicts.append(Conflict(key, (), (), f"办理选项 {key} 不在字段字典中"))

    merged: dict[str, MergedField] = {}
    templates = index.templates
    for key in index.keys:  # dictionary order: the common section's
        uses = uses_of.get(key)
        if uses is None:
            if key not in questions:
                continue
            uses = []
        template = templates.get(key)
        if template is not None and key not in narrowed:
            # Nothing narrows the dictionary's own (consistent) constraints, so they are
            # the merged ones: the general path below would find the same field.
            merged[key] = _with_usages(template, tuple([usage for _, usage, _ in uses]))
        else:
            pairs = [(by_code[usage.item], use) for use, usage, _ in uses]
            merged[key] = _merge_field(dictionary[key], pairs, key, conflicts)
        if key in questions:
            merged[key] = replace(merged[key], question=True)
    if conflicts:
        raise MergeConflict(conflicts)

    in_order = [by_code[c] for c in _section_order(codes, order)]
    sections = _sections(merged, in_order, questions)
    fields = tuple(merged[key] for section in sections for key in section.fields)
    return MergedForm(tuple(FormItem(i.code, i.name) for i in in_order), fields, sections)


# One use of a key by an item: its FieldUse, the FieldUsage the merged field records, and
# whether the use narrows the dictionary's constraints.
_Use = tuple[FieldUse, FieldUsage, bool]
_NO_NARROWING = Constraints()


def _item_uses(item: ItemRecord) -> tuple[_Use, ...]:
    """What merging needs of each of the item's field uses, worked out once per record.

    ItemRecord is frozen and a catalog's records are merged again and again (every theme,
    every case's form); like MergedForm's cached properties, the result lives in the
    record's __dict__, which equality and hashing of the dataclass ignore.
    """
    uses = item.__dict__.get("_merge_uses")
    if uses is None:
        uses = tuple(
            (use, FieldUsage(item.code, use.required, use.when), use.narrowing != _NO_NARROWING)
            for use in item.fields
        )
        item.__dict__["_merge_uses"] = uses
    return uses


class _DictionaryIndex:
    """What merging derives from a field dictionary alone, worked out once per dictionary:
    its key order, and for each key that needs no per-merge work (not a repeating group,
    constraints that hold) the merged field without usages, to copy from."""

    def __init__(self, dictionary: Mapping[str, FieldDef]):
        self.keys = tuple(dictionary)
        self.definitions = tuple(dictionary.values())
        self.templates: dict[str, MergedField] = {
            key: _template(definition)
            for key, definition in dictionary.items()
            if definition.type != "array" and not contradiction(definition.constraints)
        }

    def describes(self, dictionary: Mapping[str, FieldDef]) -> bool:
        """Whether `dictionary` still has exactly the keys and definitions indexed (a
        dictionary edited in place after an earlier merge gets a fresh index)."""
        return (
            len(dictionary) == len(self.keys)
            and tuple(dictionary) == self.keys
            and tuple(dictionary.values()) == self.definitions
        )


# By id() of the dictionary; each entry keeps its dictionary alive, so an id is never
# reused while cached. A catalog has one dictionary, tests a few: a handful is plenty.
_INDEXES: dict[int, tuple[Mapping[str, FieldDef], _DictionaryIndex]] = {}
_INDEXES_KEPT = 8


def _dictionary_index(dictionary: Mapping[str, FieldDef]) -> _DictionaryIndex:
    cached = _INDEXES.get(id(dictionary))
    if cached is not None and cached[0] is dictionary and cached[1].describes(dictionary):
        return cached[1]
    index = _DictionaryIndex(dictionary)
    _INDEXES.pop(id(dictionary), None)
    while len(_INDEXES) >= _INDEXES_KEPT:
        _INDEXES.pop(next(iter(_INDEXES)), None)  # the oldest
    _INDEXES[id(dictionary)] = (dictionary, index)
    return index


def _template(definition: FieldDef) -> MergedField:
    return MergedField(
        key=definition.key,
        label=definition.label,
        label_en=definition.label_en,
        type=definition.type,
        privacy=definition.privacy,
        hint=definition.hint,
        unit=definition.unit,
        constraints=definition.constraints,
        multiple=definition.multiple,
        checked_as=definition.checked_as,
        from_licence=definition.from_licence,
        reuse=definition.reuse,
    )


def _with_usages(template: MergedField, usages: tuple[FieldUsage, ...]) -> MergedField:
    """`replace(template, usages=usages)` without re-running the frozen dataclass's
    __init__ (fifteen attribute sets per field; a merge makes thousands): a copy of the
    template's attributes, `usages` set."""
    attributes = template.__dict__.copy()
    attributes["usages"] = usages
    merged = object.__new__(MergedField)
    object.__setattr__(merged, "__dict__", attributes)
    return merged


def _distinct(items: Sequence[ItemRecord], conflicts: list[Conflict]) -> dict[str, ItemRecord]:
    # Merging an item twice is merging it once; two different records under one code is a
    # catalog mistake the merge must not paper over.
    by_code: dict[str, ItemRecord] = {}
    for item in items:
        known = by_code.setdefault(item.code, item)
        if known != item:
            conflicts.append(
                Conflict(
                    "", (item.code,), (item.name,), f"事项编码 {item.code} 对应两份不同的事项记录"
                )
            )
    return by_code


def _merge_field(
    definition: FieldDef,
    uses: list[tuple[ItemRecord, FieldUse]],
    shown_key: str,
    conflicts: list[Conflict],
) -> MergedField:
    effective: list[Constraints] = []
    narrowed: list[Constraints] = []  # the effective constraints of uses that narrow
    for item, use in uses:
        if use.narrowing == _NO_NARROWING:
            # tighten(dictionary's, nothing) is the dictionary's, and tightening with it
            # again changes nothing: such a use neither widens nor counts below.
            effective.append(definition.constraints)
            continue
        for widening in widenings(definition.constraints, use.narrowing):
            conflicts.append(
                Conflict(
                    shown_key,
                    (item.code,),
                    (item.name,),
                    f"事项“{item.name}”（{item.code}）字段 {shown_key} "
                    f"的约束与字段字典不符：{widening}",
                )
            )
        effective.append(tighten(definition.constraints, use.narrowing))
        narrowed.append(effective[-1])
    combined = definition.constraints
    for constraints in narrowed:
        combined = tighten(combined, constraints)
    if contradiction(combined):
        conflicts.append(_conflict(definition, shown_key, uses, effective, combined))

    item_fields: list[MergedField] = []
    if definition.type == "array":
        for item, use in uses:
            for sub in use.item_fields:
                if definition.sub_field(sub.key) is None:
                    conflicts.append(
                        Conflict(
                            f"{shown_key}[].{sub.key}",
                            (item.code,),
                            (item.name,),
                            f"事项“{item.name}”（{item.code}）的组内字段 "
                            f"{shown_key}[].{sub.key} 不在字段字典中",
                        )
                    )
        for sub_definition in definition.item_fields:
            sub_uses = [
                (item, sub)
                for item, use in uses
                for sub in use.item_fields
                if sub.key == sub_definition.key
            ]
            if sub_uses:
                item_fields.append(
                    _merge_field(
                        sub_definition, sub_uses, f"{shown_key}[].{sub_definition.key}", conflicts
                    )
                )
    return replace(
        _template(definition),
        constraints=combined,
        usages=tuple(FieldUsage(item.code, use.required, use.when) for item, use in uses),
        item_fields=tuple(item_fields),
    )


def _conflict(
    definition: FieldDef,
    shown_key: str,
    uses: list[tuple[ItemRecord, FieldUse]],
    effective: list[Constraints],
    combined: Constraints,
) -> Conflict:
    """Name the first pair of items (by code) that cannot agree; else the items together."""
    what = f"字段 {shown_key}（{definition.label}）"
    for i, (item, _) in enumerate(uses):
        reason = contradiction(effective[i])
        if reason:
            return Conflict(
                shown_key,
                (item.code,),
                (item.name,),
                f"{what}在事项“{item.name}”（{item.code}）中的约束自相矛盾：{reason}",
            )
    for i in range(len(uses)):
        for j in range(i + 1, len(uses)):
            reason = contradiction(tighten(effective[i], effective[j]))
            if reason:
                (a, _), (b, _) = uses[i], uses[j]
                return Conflict(
                    shown_key,
                    (a.code, b.code),
                    (a.name, b.name),
                    f"{what}在事项“{a.name}”（{a.code}）与事项“{b.name}”（{b.code}）"
                    f"中的约束无法同时满足：{reason}",
                )
    reason = contradiction(combined)
    names = "、".join(f"“{item.name}”（{item.code}）" for item, _ in uses)
    return Conflict(
        shown_key,
        tuple(item.code for item, _ in uses),
        tuple(item.name for item, _ in uses),
        f"{what}在事项{names}中的约束合并后无法同时满足：{reason}",
    )


def _section_order(codes: list[str], order: Sequence[str] | None) -> list[str]:
    present = set(codes)
    first = [c for c in dict.fromkeys(order or ()) if c in present]
    return first + [c for c in codes if c not in set(first)]


def _sections(
    merged: Mapping[str, MergedField], items: list[ItemRecord], questions: Sequence[str]
) -> tuple[MergedSection, ...]:
    question_keys = tuple(dict.fromkeys(k for k in questions if k in merged))
    common = tuple(
        key
        for key, f in merged.items()
        if key not in question_keys
        and (len(f.usages) >= 2 or key.startswith(ALWAYS_COMMON_PREFIXES))
    )
    placed = set(question_keys) | set(common)
    sections = []
    if question_keys:
        sections.append(MergedSection(*QUESTION_SECTION, question_keys))
    if common:
        sections.append(MergedSection(*COMMON_SECTION, common))
    for item in items:
        own = tuple(use.key for use in item.fields if use.key not in placed)
        if own:
            sections.append(MergedSection(item.code, item.name, own, item=item.code))
    return tuple(sections)
