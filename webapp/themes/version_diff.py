"""What changed between the version in force and the next one, as an admin reads it.

Items, merged form fields and materials are compared on the typed themes both sides
publish (so versions published before catalog snapshots compare too); guidance rows on
the compiled tables. The diagram is compared in the browser (bpmn-js-differ),
which can highlight the elements on the canvas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.problems import ThemeInvalid
from webapp.themes.published import PublishedTheme
from webapp.themes.theme_forms import compile_version_guidance

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
KIND_LABELS = {ADDED: "新增", REMOVED: "删除", CHANGED: "修改"}

ITEM_ATTRIBUTES = {
    "name": "名称",
    "department_name": "实施部门",
    "type": "事项类型",
    "kind": "办件类型",
    "legal_days": "法定时限（工作日）",
    "promised_days": "承诺时限（工作日）",
    "fees": "收费",
    "result": "办理结果",
    "delivery": "送达方式",
    "place": "办理地点",
    "phone": "咨询电话",
    "complaint_phone": "监督投诉电话",
    "conditions": "受理条件",
    "legal_basis": "设定依据",
    "materials": "材料",
}
FIELD_ATTRIBUTES = {
    "label": "名称",
    "type": "类型",
    "constraints": "约束",
    "usages": "使用事项及必填",
    "question": "导办问题",
    "item_fields": "组内字段",
    "checked_as": "校验规则",
}
MATERIAL_ATTRIBUTES = {
    "name": "名称",
    "original_or_copy": "原件/复印件",
    "copies": "份数",
    "required": "必交",
    "tolerance": "可容缺",
    "asked_by": "所需事项",
    "e_licence_type": "可用电子证照",
    "exempt_reason": "免提交原因",
    "note": "备注",
}


@dataclass(frozen=True)
class AttributeChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Change:
    key: str
    name: str
    kind: str  # added | removed | changed
    attributes: tuple[AttributeChange, ...] = ()

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class VersionDiff:
    items: tuple[Change, ...]
    fields: tuple[Change, ...]
    materials: tuple[Change, ...]
    guidance: tuple[Change, ...]
    diagram_changed: bool

    @property
    def empty(self) -> bool:
        return not (
            self.items or self.fields or self.materials or self.guidance or self.diagram_changed
        )


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a version (or the one to publish), typed."""

    theme: PublishedTheme
    bpmn_xml: str | None
    guidance_dmn: str | None


def diff_versions(before: Side | None, after: Side) -> VersionDiff:
    """What changes from `before` (None: a first version, everything is new) to `after`."""
    empty: dict[str, dict] = {}
    return VersionDiff(
        items=_compare(_items(before.theme) if before else empty, _items(after.theme),
                       ITEM_ATTRIBUTES),
        fields=_compare(_fields(before.theme) if before else empty, _fields(after.theme),
                        FIELD_ATTRIBUTES),
        materials=_compare(_materials(before.theme) if before else empty,
                           _materials(after.theme), MATERIAL_ATTRIBUTES),
        guidance=_compare(_rules(before) if before else empty, _rules(after),
                          {"conditions": "条件", "item": "选中事项", "description": "说明"}),
        diagram_changed=(before.bpmn_xml if before else None) != after.bpmn_xml,
    )  # fmt: skip


def _items(theme: PublishedTheme) -> dict[str, dict]:
    facts = {i["code"]: dict(i) for i in theme.notice.to_dict()["items"]} if theme.notice else {}
    for item in theme.items:
        facts.setdefault(item.code, {}).update(
            name=item.name,
            department_name=item.department_name,
            legal_days=_days(item.legal_days),
            promised_days=_days(item.promised_days),
        )
    return facts


def _days(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _fields(theme: PublishedTheme) -> dict[str, dict]:
    return {f["key"]: f for f in theme.form.to_dict()["fields"]}


def _materials(theme: PublishedTheme) -> dict[str, dict]:
    return {m["code"]: m for m in theme.materials.to_dict()["materials"]}


def _rules(side: Side) -> dict[str, dict]:
    if not side.guidance_dmn:
        return {}
    try:
        guidance = compile_version_guidance(side.theme, side.guidance_dmn)
    except ThemeInvalid:
        return {}
    if guidance is None:
        return {}
    rows = {}
    for rule in guidance.rules:
        conditions = "；".join(f"{v} {t}" for v, t in rule.conditions if t) or "（任意）"
        rows[rule.rule_id] = {
            "name": rule.description or rule.rule_id,
            "conditions": conditions,
            "item": rule.item,
            "description": rule.description,
        }
    return rows


def _compare(
    old: Mapping[str, dict], new: Mapping[str, dict], attributes: Mapping[str, str]
) -> tuple[Change, ...]:
    changes = []
    for key in [*old, *(k for k in new if k not in old)]:
        before, after = old.get(key), new.get(key)
        if before is None:
            changes.append(Change(key, _name(after, key), ADDED))
        elif after is None:
            changes.append(Change(key, _name(before, key), REMOVED))
        else:
            differing = tuple(
                AttributeChange(label, _shown(before.get(attr)), _shown(after.get(attr)))
                for attr, label in attributes.items()
                if before.get(attr) != after.get(attr)
            )
            if differing:
                changes.append(Change(key, _name(after, key), CHANGED, differing))
    return tuple(changes)


def _name(record: Mapping[str, Any], key: str) -> str:
    return str(record.get("name") or record.get("label") or key)


def _shown(value: Any) -> str:
    """A value in a table cell: lists joined, records as their names, empty as —."""
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_shown(v) for v in value)
    if isinstance(value, Mapping):
        if "name" in value:
            return str(value["name"]) + (f"（{value['amount']} 元）" if "amount" in value else "")
        if "item" in value:
            return f"{value['item']}{'（必填）' if value.get('required') else ''}"
        return "，".join(f"{k}={_shown(v)}" for k, v in value.items())
    return str(value)
