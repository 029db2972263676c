"""Each department sees only what its item asked for (data minimisation on approver screens)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .merge import MergedForm


def split_for_item(form: MergedForm, item_code: str, answers: Mapping[str, Any]) -> dict:
    """Exactly the keys `item_code` declared, valued from `answers` (None when unanswered).

    A repeating group keeps its rows with only the sub-fields that item declared. Raises
    KeyError when the form has no such item.
    """
    if item_code not in form.item_codes:
        raise KeyError(item_code)
    own: dict[str, Any] = {}
    for f in form.fields:
        if item_code not in f.asked_by:
            continue
        value = answers.get(f.key)
        if f.type == "array" and isinstance(value, list):
            subs = [s.key for s in f.item_fields if item_code in s.asked_by]
            value = [
                {k: row.get(k) for k in subs} if isinstance(row, Mapping) else dict.fromkeys(subs)
                for row in value
            ]
        own[f.key] = value
    return own
