"""Constraints on a field's value that an item may narrow and a merge tightens.

The dictionary sets the widest constraints a key can have; an item may only narrow them;
merging items keeps the stricter of each (shorter maximum length, larger minimum, the
intersection of options). Constraints that can no longer all hold are a contradiction,
reported in Chinese, never resolved silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Option:
    """One choice of an enum field: the stored value and the label people see."""

    value: str
    label: str


@dataclass(frozen=True)
class Constraints:
    """Limits on a value; None means "not limited" (options None: not an enum)."""

    max_length: int | None = None
    min_length: int | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    decimals: int | None = None
    options: tuple[Option, ...] | None = None
    min_items: int | None = None
    max_items: int | None = None

    def option_values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options or ())

    def to_dict(self) -> dict[str, Any]:
        """Only the limits that are set; decimals as strings so JSON keeps them exact."""
        out: dict[str, Any] = {}
        for name in LABELS:
            value = getattr(self, name)
            if value is None:
                continue
            if name == "options":
                out[name] = [{"value": o.value, "label": o.label} for o in value]
            elif isinstance(value, Decimal):
                out[name] = str(value)
            else:
                out[name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Constraints:
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name == "options":
                values[name] = tuple(Option(o["value"], o["label"]) for o in value)
            elif name in ("min", "max"):
                values[name] = Decimal(value)
            else:
                values[name] = value
        return cls(**values)


# Chinese names of the constraints, used in every message about them.
LABELS = {
    "max_length": "最大长度",
    "min_length": "最小长度",
    "min": "最小值",
    "max": "最大值",
    "decimals": "小数位数",
    "options": "可选值",
    "min_items": "最少条数",
    "max_items": "最多条数",
}

# Which constraints make sense for which field type; any other is a catalog error.
APPLICABLE: dict[str, tuple[str, ...]] = {
    "string": ("max_length", "min_length"),
    "text": ("max_length", "min_length"),
    "integer": ("min", "max"),
    "decimal": ("min", "max", "decimals"),
    "money": ("min", "max", "decimals"),
    "enum": ("options",),
    "array": ("min_items", "max_items"),
}

_UPPER_BOUNDS = ("max_length", "max", "decimals", "max_items")  # the smaller one wins
_LOWER_BOUNDS = ("min_length", "min", "min_items")  # the larger one wins
_RANGES = (("min_length", "max_length"), ("min", "max"), ("min_items", "max_items"))


def tighten(a: Constraints, b: Constraints) -> Constraints:
    """The constraints of a value that satisfies both `a` and `b`.

    Options keep the order (and labels) of `a`; callers start from the dictionary so the
    result follows the dictionary's order whatever order the items come in.
    """
    values: dict[str, Any] = {}
    for name in _UPPER_BOUNDS:
        values[name] = _stricter(getattr(a, name), getattr(b, name), min)
    for name in _LOWER_BOUNDS:
        values[name] = _stricter(getattr(a, name), getattr(b, name), max)
    if a.options is None:
        values["options"] = b.options
    elif b.options is None:
        values["options"] = a.options
    else:
        allowed = set(b.option_values())
        values["options"] = tuple(o for o in a.options if o.value in allowed)
    return Constraints(**values)


def _stricter(x: Any, y: Any, pick: Any) -> Any:
    if x is None:
        return y
    if y is None:
        return x
    return pick(x, y)


def contradiction(c: Constraints) -> str | None:
    """Why no value can satisfy `c`, in Chinese; None when some value can."""
    if c.options is not None and not c.options:
        return "可选值没有交集"
    for low, high in _RANGES:
        lo, hi = getattr(c, low), getattr(c, high)
        if lo is not None and hi is not None and lo > hi:
            return f"{LABELS[low]} {lo} 大于{LABELS[high]} {hi}"
    return None


def widenings(base: Constraints, narrowing: Constraints) -> list[str]:
    """How `narrowing` loosens `base` instead of narrowing it; empty when it only narrows."""
    found: list[str] = []
    for name in _UPPER_BOUNDS:
        mine, theirs = getattr(narrowing, name), getattr(base, name)
        if mine is not None and theirs is not None and mine > theirs:
            found.append(f"{LABELS[name]} {mine} 超出字段字典的 {theirs}")
    for name in _LOWER_BOUNDS:
        mine, theirs = getattr(narrowing, name), getattr(base, name)
        if mine is not None and theirs is not None and mine < theirs:
            found.append(f"{LABELS[name]} {mine} 低于字段字典的 {theirs}")
    if narrowing.options is not None:
        known = set(base.option_values())
        unknown = [o.value for o in narrowing.options if o.value not in known]
        if unknown:
            found.append(f"可选值 {'、'.join(unknown)} 不在字段字典的可选值中")
    return found
