"""Decision words follow the item type (DOMAIN.md §10)."""

from __future__ import annotations

from forms.item_types import decision_words
from forms.items import ITEM_TYPES


def test_the_law_names_the_decisions_of_licences_registrations_and_services():
    licence = decision_words("行政许可")
    assert (licence.grant, licence.deny) == ("准予许可", "不予许可")
    assert (licence.grant_title, licence.deny_title) == ("准予行政许可决定书", "不予行政许可决定书")
    assert (decision_words("行政确认").grant, decision_words("行政确认").deny) == (
        "予以登记",
        "不予登记",
    )
    assert (decision_words("公共服务").grant, decision_words("公共服务").deny) == (
        "办结",
        "不予办理",
    )


def test_every_catalog_type_has_words_and_titles():
    for item_type in (*ITEM_TYPES, "未知类型"):
        words = decision_words(item_type)
        assert words.grant and words.deny
        assert words.grant_title.endswith(("书", "通知书")) and words.deny_title.endswith("书")
