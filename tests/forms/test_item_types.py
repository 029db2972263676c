"""Decision words follow the item type (DOMAIN.md §10); the shipped items carry the right type."""

from pathlib import Path

import pytest

from forms import load_catalog
from forms.item_types import DecisionWords, decision_words
from forms.items import ITEM_TYPES

CATALOG = Path(__file__).resolve().parents[2] / "processes" / "catalog"


@pytest.mark.parametrize(
    ("item_type", "grant", "deny", "grant_title", "deny_title"),
    [
        ("行政许可", "准予许可", "不予许可", "准予行政许可决定书", "不予行政许可决定书"),
        ("行政确认", "予以登记", "不予登记", "准予登记通知书", "不予登记决定书"),
        ("公共服务", "办结", "不予办理", "办结通知书", "不予办理通知书"),
        ("其他行政权力", "办结", "不予办理", "办结通知书", "不予办理通知书"),
    ],
)
def test_words_by_type(item_type, grant, deny, grant_title, deny_title):
    assert decision_words(item_type) == DecisionWords(grant, deny, grant_title, deny_title)


def test_every_type_has_words_and_only_licences_speak_of_licences():
    for item_type in ITEM_TYPES:
        words = decision_words(item_type)
        assert all((words.grant, words.deny, words.grant_title, words.deny_title))
        assert ("许可" in words.grant) == (item_type == "行政许可"), item_type
        assert ("许可" in words.deny_title) == (item_type == "行政许可"), item_type


def test_unknown_type_never_claims_a_licence():
    assert decision_words("") == decision_words("公共服务")
    assert decision_words("不存在的类型").grant == "办结"


def test_words_are_frozen():
    with pytest.raises(AttributeError):
        decision_words("行政许可").grant = "准予"  # type: ignore[misc]


# What each shipped item is, by the item's legal nature: registrations of persons and
# property are 行政确认, utility transfers and insurance enrolments public services.
SHIPPED_TYPES = {
    "PSB-CSDJ": "行政确认",  # 户口登记 (出生登记)
    "REALTY-ZYDJ": "行政确认",  # 不动产转移登记
    "HRSS-DWCBDJ": "公共服务",  # 单位参保登记
    "HSA-CXJMCB": "公共服务",  # 城乡居民医保参保登记
    "WATERWORKS-GSGH": "公共服务",
    "POWER-YDGH": "公共服务",
    "GAS-RQGH": "公共服务",
    "TELECOM-KDGH": "公共服务",
    "SAMR-SPJYXK": "行政许可",  # 食品经营许可
    "FIRE-GZJHCS": "行政许可",  # 消防法 §15
    "WATER-PSXK": "行政许可",  # 城镇排水与污水处理条例 §21
}


@pytest.mark.parametrize(("code", "item_type"), sorted(SHIPPED_TYPES.items()))
def test_shipped_item_types(code, item_type):
    item = load_catalog(CATALOG).items[code]
    assert item.type == item_type
    licence = "许可" in decision_words(item.type).grant
    assert licence == (item_type == "行政许可")
