"""One material set for a theme (一套材料): each material once, government-held ones exempt.

A material produced by an item of the same theme, available as the applicant's e-licence,
or obtained by data sharing between departments is not asked of the applicant; each
exemption carries its reason for the one-time notice (一次告知).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .items import ItemRecord, Material
from .masking import mask_id_number

FORMAT_VERSION = 1
# E-licences whose number is the holder's 身份证号.
IDENTITY_CARDS = frozenset({"居民身份证"})


@dataclass(frozen=True, kw_only=True)
class MaterialRequirement:
    """A material of the merged set; `exempt_reason` is set when nobody has to hand it in."""

    code: str
    name: str
    original_or_copy: str
    copies: int
    required: bool
    tolerance: bool  # 容缺 allowed by every item that asks it
    asked_by: tuple[str, ...]
    e_licence_type: str | None = None
    note: str | None = None
    exempt_reason: str | None = None
    # Why a material an e-licence could replace is asked after all this time (the
    # provincial library did not answer). Said to the applicant only, never stored.
    licence_notice: str | None = None

    @property
    def exempt(self) -> bool:
        return self.exempt_reason is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "original_or_copy": self.original_or_copy,
            "copies": self.copies,
            "required": self.required,
            "tolerance": self.tolerance,
            "asked_by": list(self.asked_by),
            "e_licence_type": self.e_licence_type,
            "note": self.note,
            "exempt_reason": self.exempt_reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MaterialRequirement:
        return cls(**{**data, "asked_by": tuple(data["asked_by"])})


@dataclass(frozen=True)
class MaterialSet:
    """All materials of the items, each once, in the items' order; exempt ones included."""

    materials: tuple[MaterialRequirement, ...]
    item_material_total: int  # the sum of the items' own material counts

    @property
    def to_submit(self) -> tuple[MaterialRequirement, ...]:
        return tuple(m for m in self.materials if not m.exempt)

    @property
    def exempted(self) -> tuple[MaterialRequirement, ...]:
        return tuple(m for m in self.materials if m.exempt)

    @property
    def materials_asked(self) -> int:
        return len(self.to_submit)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "materials": [m.to_dict() for m in self.materials],
            "item_material_total": self.item_material_total,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MaterialSet:
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"不支持的材料清单格式版本：{data.get('format')!r}")
        materials = tuple(MaterialRequirement.from_dict(m) for m in data["materials"])
        return cls(materials, data["item_material_total"])


def merge_materials(
    items: Sequence[ItemRecord],
    order: Sequence[str] | None = None,
    holdings: Holdings | None = None,
) -> MaterialSet:
    """Each material once by code, listed in `order` of items (default: by code).

    `holdings`, when the applicant is known, are the e-licences they hold: a material an
    e-licence can replace is exempt when they hold a valid one of its type (the reason
    names it); one this platform issues (source `theme`) is asked when they hold none.
    Without holdings (public previews, notices) the catalog's flag alone decides.

    A material is exempt only when every item asking it can do without it; the reason
    shown is that of the first such item by code, so the result does not depend on the
    order of `items`.
    """
    by_code = {item.code: item for item in items}
    codes = sorted(by_code)
    listed = [c for c in dict.fromkeys(order or ()) if c in by_code]
    listed += [c for c in codes if c not in set(listed)]

    occurrences: dict[str, list[tuple[ItemRecord, Material]]] = {}
    for code in codes:
        for material in by_code[code].materials:
            occurrences.setdefault(material.code, []).append((by_code[code], material))
    positions = list(dict.fromkeys(m.code for c in listed for m in by_code[c].materials))

    merged = tuple(_merge_one(occurrences[code], by_code, holdings) for code in positions)
    total = sum(len(by_code[c].materials) for c in codes)
    return MaterialSet(merged, total)


def _merge_one(
    found: list[tuple[ItemRecord, Material]],
    items: Mapping[str, ItemRecord],
    holdings: Holdings | None = None,
) -> MaterialRequirement:
    first = found[0][1]
    reasons = [_exemption(material, items, holdings) for _, material in found]
    kinds = {material.original_or_copy for _, material in found}
    licence_type = next((m.e_licence_type for _, m in found if m.e_licence_type), None)
    exempt_reason = reasons[0] if all(reasons) else None
    return MaterialRequirement(
        code=first.code,
        name=first.name,
        original_or_copy=_strongest(kinds),
        copies=max(material.copies for _, material in found),
        required=any(material.required for _, material in found),
        tolerance=all(material.tolerance for _, material in found),
        asked_by=tuple(item.code for item, _ in found),
        e_licence_type=licence_type,
        note=next((m.note for _, m in found if m.note), None),
        exempt_reason=exempt_reason,
        licence_notice=(
            holdings.unavailable
            if holdings is not None and licence_type and exempt_reason is None
            else None
        ),
    )


@dataclass(frozen=True)
class Holdings:
    """The e-licences an applicant holds: (licence type, licence number), newest first.

    `complete`: the holdings come from a library that knows every licence of the holder
    (the provincial e-licence library answered), so a licence type not held is not held —
    the catalog's "可调用" flag no longer stands in for it. `unavailable`: the library was
    asked and did not answer; what it would have replaced is asked, with this message.
    """

    held: tuple[tuple[str, str], ...] = ()
    complete: bool = False
    unavailable: str | None = None

    def number(self, licence_type: str) -> str | None:
        return next((number for t, number in self.held if t == licence_type), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "held": [list(h) for h in self.held],
            "complete": self.complete,
            "unavailable": self.unavailable,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Holdings:
        return cls(
            held=tuple((str(t), str(n)) for t, n in data.get("held", [])),
            complete=bool(data.get("complete", False)),
            unavailable=data.get("unavailable"),
        )


def licence_exemption(licence_type: str, number: str) -> str:
    """The one wording of a material replaced by a held e-licence: the form, the 一次告知书
    and the material set at the window all say it this way. An identity card's number is
    the person's ID number: masked, as in every list."""
    if licence_type in IDENTITY_CARDS:
        number = mask_id_number(number)
    return f"已调用电子证照《{licence_type}》（证号 {number}）"


def _exemption(
    material: Material, items: Mapping[str, ItemRecord], holdings: Holdings | None = None
) -> str | None:
    if material.source == "theme" and material.produced_by in items:
        return f"由本主题“{items[material.produced_by].name}”办理后生成，无需提交"
    if material.source in ("theme", "e_licence") and material.e_licence_type:
        if holdings is not None:
            # Another selected item issues the same e-licence (a 个体工商户's 营业执照).
            issuer = next(
                (
                    i
                    for _, i in sorted(items.items())
                    if i.result and i.result.e_licence and i.result.name == material.e_licence_type
                ),
                None,
            )
            if material.source == "theme" and issuer is not None:
                return f"由本主题“{issuer.name}”办理后生成，无需提交"
            number = holdings.number(material.e_licence_type)
            if number:
                return licence_exemption(material.e_licence_type, number)
            if material.source == "theme" or holdings.complete or holdings.unavailable:
                # Issued on this platform (by an item not selected this time), and not
                # held: asked. A licence from the national library (source e_licence:
                # 居民身份证, 不动产权证书) stays exempt by the catalog's flag unless the
                # provincial library was asked: then what it says (or its silence) rules.
                return None
        return f"可调用电子证照“{material.e_licence_type}”，无需提交"
    if material.source == "shared":
        source = f"（{material.shared_from}）" if material.shared_from else ""
        return f"通过部门间数据共享获取{source}，无需提交"
    return None


def _strongest(kinds: set[str]) -> str:
    if "原件和复印件" in kinds or {"原件", "复印件"} <= kinds:
        return "原件和复印件"
    for kind in ("原件", "复印件", "电子件"):
        if kind in kinds:
            return kind
    return next(iter(kinds), "")
