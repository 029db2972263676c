"""Masking personal data (个人敏感信息) for lists, exports and logs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .merge import MergedField, MergedForm

MASK = "*"
# A value we cannot classify is shown as this, never as itself.
HIDDEN = "***"


def mask_id_number(value: str) -> str:
    """ "110101199003071234" → "110101********1234": region and last four stay readable."""
    if len(value) >= 15:
        return value[:6] + MASK * (len(value) - 10) + value[-4:]
    if len(value) >= 6:  # passports and permits: keep only the ends
        return value[:1] + MASK * (len(value) - 3) + value[-2:]
    return MASK * len(value)


def mask_mobile(value: str) -> str:
    """ "13812345678" → "138****5678"."""
    if len(value) >= 8:
        return value[:3] + MASK * (len(value) - 7) + value[-4:]
    return MASK * len(value)


def mask_answers(form: MergedForm, answers: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `answers` with every sensitive field masked, in groups too.

    Keys the form does not know are hidden entirely: nobody has classified them.
    """
    masked: dict[str, Any] = {}
    for key, value in answers.items():
        if key not in form:
            masked[key] = HIDDEN
            continue
        masked[key] = _mask_field(form.field(key), value)
    return masked


def _mask_field(f: MergedField, value: Any) -> Any:
    if f.type == "array":
        if not isinstance(value, list):
            return HIDDEN if f.privacy == "sensitive" else value
        return [_mask_row(f, row) for row in value]
    if f.privacy != "sensitive" or value is None:
        return value
    if not isinstance(value, str):
        return HIDDEN
    return mask_mobile(value) if f.type == "mobile" else mask_id_number(value)


def _mask_row(group: MergedField, row: Any) -> Any:
    if not isinstance(row, Mapping):
        return HIDDEN
    out = {}
    for key, value in row.items():
        sub = group.sub_field(key)
        out[key] = HIDDEN if sub is None else _mask_field(sub, value)
    return out
