"""Decision words by item type (DOMAIN.md §10): what granting or denying an item is called.

行政许可 → 准予许可 / 不予许可; 行政确认 and registrations → 予以登记 / 不予登记; 公共服务 →
办结 / 不予办理. The words name the buttons, the timeline and the decision instruments (文书).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DecisionWords:
    grant: str  # button/timeline word: "准予许可" | "予以登记" / "予以确认" | "办结" ...
    deny: str  # "不予许可" | "不予登记" | "不予办理" ...
    grant_title: str  # instrument title: "准予行政许可决定书" | "准予登记通知书" | ...
    deny_title: str  # "不予行政许可决定书" | "不予登记决定书" | "不予办理通知书" ...


_LICENCE = DecisionWords("准予许可", "不予许可", "准予行政许可决定书", "不予行政许可决定书")
_CONFIRMATION = DecisionWords("予以登记", "不予登记", "准予登记通知书", "不予登记决定书")
_SERVICE = DecisionWords("办结", "不予办理", "办结通知书", "不予办理通知书")
_OTHER = DecisionWords("准予办理", "不予办理", "准予办理决定书", "不予办理决定书")

_BY_TYPE = {
    "行政许可": _LICENCE,
    "行政确认": _CONFIRMATION,
    "公共服务": _SERVICE,
    "行政给付": DecisionWords("予以给付", "不予给付", "给付决定书", "不予给付决定书"),
    "行政奖励": DecisionWords("予以奖励", "不予奖励", "奖励决定书", "不予奖励决定书"),
    "行政裁决": DecisionWords("予以裁决", "不予裁决", "行政裁决书", "不予裁决决定书"),
    "其他行政权力": _OTHER,
}


def decision_words(item_type: str) -> DecisionWords:
    """The words for an item of `item_type` (ItemRecord.type); unknown: 准予办理/不予办理."""
    return _BY_TYPE.get(item_type, _OTHER)
