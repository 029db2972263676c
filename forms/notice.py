"""The one-time notice (一次告知书): everything an applicant must know, told once.

A notice is built from a `NoticeSource`, the item facts a theme version keeps from the
catalog when it is published (so a running version's notice never changes), and from the
items the guidance selected for the applicant's answers. It lists the selected items with
their department, kind, time limits, fees, result, delivery, place, phones and acceptance
conditions; the one material set with each material once and every exemption with its
reason; the items not needed, with the guidance's reason; and totals.

Without answers (`selected=None`) the notice is the complete one a service hall hands out:
every item, the conditional ones marked 视情形办理 with when they are needed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .catalog import Catalog
from .items import Fee, ItemRecord, ItemResult, Material
from .materials import Holdings, MaterialRequirement, MaterialSet, merge_materials
from .themes import ThemeDefinition

FORMAT_VERSION = 1

ALWAYS = "always"  # the theme always needs the item
ANSWERED = "answered"  # the guidance selected it for these answers
POSSIBLE = "possible"  # complete notice: needed in some situations only
SELECTION_TEXT = {ALWAYS: "必办", ANSWERED: "根据您的回答需办理", POSSIBLE: "视情形办理"}

SUM_EXPLAINED = (
    "各事项承诺时限之和：即使各事项逐一先后办理，也不超过此数；不含综合受理和统一出件环节"
)
MAX_EXPLAINED = (
    "单个事项中最长的承诺时限：即使各事项同时并联办理，也不少于此数；"
    "实际用时取决于事项之间的先后关系，介于两数之间"
)
LEGAL_EXPLAINED = "法定时限为法律法规规定的最长办理期限，承诺时限为本地承诺的更短期限"
DAYS_NOTE = "时限均以工作日计，自受理之日起算；补正材料、等待容缺材料的时间不计入"


@dataclass(frozen=True, kw_only=True)
class NoticeItem:
    """One item's facts as the notice tells them, kept without the catalog."""

    code: str
    name: str
    department: str
    department_name: str
    type: str
    kind: str
    legal_days: Decimal
    promised_days: Decimal
    fees: tuple[Fee, ...] = ()
    result: ItemResult | None = None
    delivery: tuple[str, ...] = ()
    place: str = ""
    phone: str = ""
    complaint_phone: str = ""
    conditions: tuple[str, ...] = ()
    legal_basis: tuple[str, ...] = ()
    materials: tuple[Material, ...] = ()

    @classmethod
    def from_record(cls, record: ItemRecord, department_name: str) -> NoticeItem:
        return cls(
            code=record.code,
            name=record.name,
            department=record.department,
            department_name=department_name,
            type=record.type,
            kind=record.kind,
            legal_days=record.legal_days,
            promised_days=record.promised_days,
            fees=record.fees,
            result=record.result,
            delivery=record.delivery,
            place=record.place,
            phone=record.phone,
            complaint_phone=record.complaint_phone,
            conditions=record.conditions,
            legal_basis=record.legal_basis,
            materials=record.materials,
        )

    def as_record(self) -> ItemRecord:
        """An item record without fields: enough for `merge_materials`."""
        return ItemRecord(
            code=self.code,
            name=self.name,
            department=self.department,
            type=self.type,
            legal_basis=self.legal_basis,
            conditions=self.conditions,
            kind=self.kind,
            legal_days=self.legal_days,
            promised_days=self.promised_days,
            fees=self.fees,
            result=self.result,
            delivery=self.delivery,
            place=self.place,
            phone=self.phone,
            complaint_phone=self.complaint_phone,
            materials=self.materials,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe snapshot; amounts and days as exact decimal strings."""
        return {
            "code": self.code,
            "name": self.name,
            "department": self.department,
            "department_name": self.department_name,
            "type": self.type,
            "kind": self.kind,
            "legal_days": format(self.legal_days, "f"),
            "promised_days": format(self.promised_days, "f"),
            "fees": [
                {"name": f.name, "amount": format(f.amount, "f"), "basis": f.basis}
                for f in self.fees
            ],
            "result": (
                {
                    "name": self.result.name,
                    "type": self.result.type,
                    "e_licence": self.result.e_licence,
                }
                if self.result
                else None
            ),
            "delivery": list(self.delivery),
            "place": self.place,
            "phone": self.phone,
            "complaint_phone": self.complaint_phone,
            "conditions": list(self.conditions),
            "legal_basis": list(self.legal_basis),
            "materials": [_material_to_dict(m) for m in self.materials],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NoticeItem:
        result = data.get("result")
        return cls(
            code=data["code"],
            name=data["name"],
            department=data["department"],
            department_name=data["department_name"],
            type=data["type"],
            kind=data["kind"],
            legal_days=Decimal(data["legal_days"]),
            promised_days=Decimal(data["promised_days"]),
            fees=tuple(Fee(f["name"], Decimal(f["amount"]), f["basis"]) for f in data["fees"]),
            result=ItemResult(result["name"], result["type"], result["e_licence"])
            if result
            else None,
            delivery=tuple(data["delivery"]),
            place=data["place"],
            phone=data["phone"],
            complaint_phone=data["complaint_phone"],
            conditions=tuple(data["conditions"]),
            legal_basis=tuple(data["legal_basis"]),
            materials=tuple(Material(**m) for m in data["materials"]),
        )


_MATERIAL_KEYS = (
    "code", "name", "source", "original_or_copy", "copies", "required", "produced_by",
    "e_licence_type", "shared_from", "tolerance", "note",
)  # fmt: skip


def _material_to_dict(material: Material) -> dict[str, Any]:
    return {key: getattr(material, key) for key in _MATERIAL_KEYS}


@dataclass(frozen=True, kw_only=True)
class NoticeSource:
    """What a theme version keeps for its notice: the theme and its items, in theme order."""

    theme_code: str
    theme_name: str
    lead_department: str
    lead_department_name: str
    summary: str = ""
    items: tuple[NoticeItem, ...]

    def item(self, code: str) -> NoticeItem:
        return next(i for i in self.items if i.code == code)

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "theme_code": self.theme_code,
            "theme_name": self.theme_name,
            "lead_department": self.lead_department,
            "lead_department_name": self.lead_department_name,
            "summary": self.summary,
            "items": [i.to_dict() for i in self.items],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NoticeSource:
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"不支持的一次告知数据格式版本：{data.get('format')!r}")
        return cls(
            theme_code=data["theme_code"],
            theme_name=data["theme_name"],
            lead_department=data["lead_department"],
            lead_department_name=data["lead_department_name"],
            summary=data.get("summary", ""),
            items=tuple(NoticeItem.from_dict(i) for i in data["items"]),
        )


def notice_source(theme: ThemeDefinition, catalog: Catalog) -> NoticeSource:
    """The notice facts of a theme from the catalog, to be stored with a theme version."""
    lead = catalog.departments.get(theme.lead_department)
    return NoticeSource(
        theme_code=theme.code,
        theme_name=theme.name,
        lead_department=theme.lead_department,
        lead_department_name=lead.name if lead else theme.lead_department,
        summary=theme.summary,
        items=tuple(
            NoticeItem.from_record(
                catalog.item(code), catalog.department_of(catalog.item(code)).name
            )
            for code in theme.item_codes
        ),
    )


@dataclass(frozen=True)
class NoticeEntry:
    """A selected item on the notice, and why it is on it."""

    item: NoticeItem
    selection: str  # ALWAYS, ANSWERED or POSSIBLE
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkippedItem:
    """An item of the theme these answers do not need, and when it would be needed."""

    item: NoticeItem
    when_needed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Totals:
    """Sums and maxima over the selected items (the real total lies in between)."""

    item_count: int
    promised_days_sum: Decimal
    promised_days_max: Decimal
    legal_days_sum: Decimal
    legal_days_max: Decimal
    fee_total: Decimal


@dataclass(frozen=True, kw_only=True)
class Notice:
    """The one-time notice for one theme and one set of answers; see `to_dict`."""

    source: NoticeSource
    complete: bool  # no answers given: every item, conditional ones as 视情形办理
    answers: tuple[tuple[str, str], ...] = ()  # (question, answer as shown)
    entries: tuple[NoticeEntry, ...]
    skipped: tuple[SkippedItem, ...] = ()
    materials: MaterialSet
    totals: Totals = field(init=False)

    def __post_init__(self) -> None:
        items = [e.item for e in self.entries]
        promised = [i.promised_days for i in items] or [Decimal(0)]
        legal = [i.legal_days for i in items] or [Decimal(0)]
        totals = Totals(
            item_count=len(items),
            promised_days_sum=sum(promised, Decimal(0)),
            promised_days_max=max(promised),
            legal_days_sum=sum(legal, Decimal(0)),
            legal_days_max=max(legal),
            fee_total=sum((f.amount for i in items for f in i.fees), Decimal(0)),
        )
        object.__setattr__(self, "totals", totals)

    @property
    def to_submit(self) -> tuple[MaterialRequirement, ...]:
        return self.materials.to_submit

    @property
    def exemptions(self) -> tuple[MaterialRequirement, ...]:
        return self.materials.exempted

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: English keys, the texts a reader sees in Chinese; money as strings."""
        source = self.source
        names = {i.code: i.name for i in source.items}
        t = self.totals
        return {
            "title": f"{source.theme_name}一次告知书",
            "theme": {
                "code": source.theme_code,
                "name": source.theme_name,
                "lead_department": source.lead_department_name,
                "summary": source.summary,
            },
            "complete": self.complete,
            "scope": (
                "完整告知：列出本主题全部事项，标注“视情形办理”的事项是否需要办理取决于您的情况"
                if self.complete
                else "按您对导办问题的回答确定的办理事项和材料"
            ),
            "answers": [{"question": q, "answer": a} for q, a in self.answers],
            "items": [_entry_dict(e) for e in self.entries],
            "materials": [_material_dict(m, names) for m in self.to_submit],
            "exemptions": [
                {
                    "code": m.code,
                    "name": m.name,
                    "reason": m.exempt_reason,
                    "asked_by": [{"code": c, "name": names.get(c, c)} for c in m.asked_by],
                }
                for m in self.exemptions
            ],
            "not_selected": [
                {
                    "code": s.item.code,
                    "name": s.item.name,
                    "department": s.item.department_name,
                    "status_text": "根据您的回答，本次无需办理",
                    "when_needed": list(s.when_needed),
                }
                for s in self.skipped
            ],
            "totals": {
                "item_count": t.item_count,
                "materials_to_submit": len(self.to_submit),
                "materials_exempted": len(self.exemptions),
                "promised_days_sum": _days(t.promised_days_sum),
                "promised_days_max": _days(t.promised_days_max),
                "legal_days_sum": _days(t.legal_days_sum),
                "legal_days_max": _days(t.legal_days_max),
                "fee_total": format(t.fee_total, "f"),
                "fee_text": f"合计 {t.fee_total} 元" if t.fee_total else "全部免费",
                "explanations": {
                    "promised_days_sum": SUM_EXPLAINED,
                    "promised_days_max": MAX_EXPLAINED,
                    "legal_days": LEGAL_EXPLAINED,
                    "days": DAYS_NOTE,
                },
            },
        }


def build_notice(
    source: NoticeSource,
    selected: Collection[str] | None,
    *,
    conditional: Collection[str] = (),
    reasons: Mapping[str, Sequence[str]] | None = None,
    answers: Sequence[tuple[str, str]] = (),
    holdings: Holdings | None = None,
) -> Notice:
    """The notice of `source` for the `selected` item codes (None: the complete notice).

        `conditional` are the items only the guidance selects; `reasons` maps such an item to
        the guidance's words (decision rule descriptions): for a selected item why it applies,
        for an item not selected when it would. `answers` are the applicant's answers as
        (question, answer shown). `holdings`, for an applicant known to the caller, are their
    e-licences: what one of them replaces is listed as exempt with the licence named, as on
    their form (`merge_materials`). Raises ValueError for a code that is not an item of the theme.
    """
    reasons = reasons or {}
    conditional = set(conditional)
    if selected is not None:
        unknown = sorted(set(selected) - set(source.item_codes))
        if unknown:
            raise ValueError(f"事项 {'、'.join(unknown)} 不属于主题 {source.theme_code}")
    chosen = set(source.item_codes if selected is None else selected)

    entries, skipped = [], []
    for item in source.items:
        why = tuple(reasons.get(item.code, ()))
        if item.code not in chosen:
            skipped.append(SkippedItem(item, why))
        elif item.code not in conditional:
            entries.append(NoticeEntry(item, ALWAYS))
        else:
            entries.append(NoticeEntry(item, POSSIBLE if selected is None else ANSWERED, why))
    materials = merge_materials(
        [e.item.as_record() for e in entries],
        order=[e.item.code for e in entries],
        holdings=holdings,
    )
    return Notice(
        source=source,
        complete=selected is None,
        answers=tuple(answers),
        entries=tuple(entries),
        skipped=tuple(skipped),
        materials=materials,
    )


def _days(days: Decimal) -> int | float:
    # Working days are whole or halves, exact as a JSON number either way.
    return int(days) if days == days.to_integral_value() else float(days)


def days_text(days: Decimal) -> str:
    """“1 个工作日”, “0.5 个工作日”; 0 days is done on the spot."""
    return "当场办结" if days == 0 else f"{_days(days)} 个工作日"


def _entry_dict(entry: NoticeEntry) -> dict[str, Any]:
    item = entry.item
    result = item.result
    return {
        "code": item.code,
        "name": item.name,
        "department": item.department_name,
        "type": item.type,
        "kind": item.kind,
        "selection": entry.selection,
        "selection_text": SELECTION_TEXT[entry.selection],
        "reasons": list(entry.reasons),
        "legal_days": _days(item.legal_days),
        "promised_days": _days(item.promised_days),
        "time_limit": (
            f"{item.kind}；法定时限 {days_text(item.legal_days)}，"
            f"承诺时限 {days_text(item.promised_days)}"
        ),
        "fees": [
            {"name": f.name, "amount": format(f.amount, "f"), "basis": f.basis} for f in item.fees
        ],
        "fee_text": (
            "；".join(f"{f.name} {f.amount} 元（依据：{f.basis}）" for f in item.fees)
            if item.fees
            else "免费"
        ),
        "result": (
            {"name": result.name, "type": result.type, "e_licence": result.e_licence}
            if result
            else None
        ),
        "result_text": _result_text(result),
        "delivery": list(item.delivery),
        "place": item.place,
        "phone": item.phone,
        "complaint_phone": item.complaint_phone,
        "conditions": list(item.conditions),
        "legal_basis": list(item.legal_basis),
    }


def _result_text(result: ItemResult | None) -> str:
    if result is None:
        return ""
    licence = "，同时发放电子证照" if result.e_licence else ""
    return f"{result.name}（{result.type}{licence}）"


def _material_dict(material: MaterialRequirement, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "code": material.code,
        "name": material.name,
        "original_or_copy": material.original_or_copy,
        "copies": material.copies,
        "form_text": _form_text(material),
        "required": material.required,
        "required_text": "必需" if material.required else "视情形提交",
        "tolerance": material.tolerance,
        "tolerance_text": "可容缺受理（受理后限期补交）" if material.tolerance else "",
        "e_licence_hint": (
            f"如已有“{material.e_licence_type}”电子证照，可调用免于提交"
            if material.e_licence_type
            else ""
        ),
        "note": material.note or "",
        "licence_notice": material.licence_notice or "",
        "asked_by": [{"code": c, "name": names.get(c, c)} for c in material.asked_by],
    }


def _form_text(material: MaterialRequirement) -> str:
    kind, copies = material.original_or_copy, material.copies
    if kind == "电子件":
        return "电子件"
    if copies == 0:
        return f"{kind}（核验后退还，不留存）"
    if kind == "原件和复印件":
        return f"原件和复印件各 {copies} 份"
    return f"{kind} {copies} 份"
