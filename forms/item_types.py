"""What a decision on an item is called, by the item's type (事项类型, the "6+1").

A 行政许可 is granted or refused (行政许可法 §38: 准予行政许可决定 / 不予行政许可决定); a
registration or other 行政确认 is made or refused (不动产登记暂行条例 §22: 不予登记); a public
service is done or not (办结 / 不予办理). Buttons, timelines, the applicant's pages and the
written instruments all take their words from here, so a 户口登记 is never "准予许可".
"""

from __future__ import annotations

from dataclasses import dataclass

from .items import ITEM_TYPES


@dataclass(frozen=True)
class DecisionWords:
    grant: str  # button/timeline word: "准予许可" | "予以登记" | "办结" ...
    deny: str  # "不予许可" | "不予登记" | "不予办理" ...
    grant_title: str  # instrument title: "准予行政许可决定书" | "准予登记通知书" | ...
    deny_title: str  # "不予行政许可决定书" | "不予登记决定书" | "不予办理通知书" ...


_SERVICE = DecisionWords("办结", "不予办理", "办结通知书", "不予办理通知书")

_WORDS: dict[str, DecisionWords] = {
    "行政许可": DecisionWords("准予许可", "不予许可", "准予行政许可决定书", "不予行政许可决定书"),
    "行政给付": DecisionWords("予以给付", "不予给付", "给付决定书", "不予给付决定书"),
    # Every 行政确认 the catalogs ship is a registration (户口登记, 不动产登记): the law's
    # word for its refusal is 不予登记.
    "行政确认": DecisionWords("予以登记", "不予登记", "准予登记通知书", "不予登记决定书"),
    "行政奖励": DecisionWords("予以奖励", "不予奖励", "奖励决定书", "不予奖励决定书"),
    "行政裁决": DecisionWords("作出裁决", "驳回申请", "行政裁决书", "驳回申请决定书"),
    # 其他行政权力 covers 备案, 计核 and the like: nothing is licensed, the matter is handled.
    "其他行政权力": _SERVICE,
    "公共服务": _SERVICE,
}
assert set(_WORDS) == set(ITEM_TYPES), "every item type has its decision words"


def decision_words(item_type: str) -> DecisionWords:
    """The words for granting and refusing an item of this type (ItemRecord.type).

    An unknown or empty type (a record the catalog loader has already reported) gets the
    public-service words: never claim a licence was granted when the type is not known.
    """
    return _WORDS.get(item_type, _SERVICE)
