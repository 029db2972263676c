"""The one-time notice (一次告知书): items, one material set with exemptions, totals."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from forms import ItemResult, Material, load_catalog, load_theme_definition
from forms.items import Fee
from forms.notice import NoticeItem, NoticeSource, build_notice, notice_source

REPO = Path(__file__).resolve().parents[2]

ID_CARD = Material(
    code="CL-SFZ", name="申请人身份证明", source="e_licence", e_licence_type="居民身份证"
)
LICENCE = Material(
    code="CL-YYZZ",
    name="营业执照",
    source="theme",
    produced_by="A-REG",
    e_licence_type="营业执照",
    original_or_copy="复印件",
)
LEASE = Material(
    code="CL-ZL", name="租赁合同", source="applicant", original_or_copy="原件和复印件", copies=2
)
PROXY = Material(
    code="CL-WTS",
    name="授权委托书",
    source="applicant",
    required=False,
    tolerance=True,
    note="委托代理人办理时提供",
)
FLOOR_PLAN = Material(
    code="CL-PMT", name="经营场所平面图", source="applicant", copies=0, tolerance=True
)


def _item(code: str, name: str, legal: str, promised: str, **kw) -> NoticeItem:
    defaults = {
        "department": "SAMR",
        "department_name": "市场监管局",
        "type": "行政许可",
        "kind": "承诺件" if Decimal(promised) else "即办件",
        "delivery": ("窗口领取", "电子送达"),
        "place": "县政务服务中心一楼",
        "phone": "12315",
        "complaint_phone": "12345",
        "conditions": ("申请人具有完全民事行为能力",),
    }
    return NoticeItem(
        code=code,
        name=name,
        legal_days=Decimal(legal),
        promised_days=Decimal(promised),
        **{**defaults, **kw},
    )


REGISTRATION = _item(
    "A-REG",
    "营业执照办理",
    "3",
    "1",
    result=ItemResult("营业执照", "证照", True),
    materials=(ID_CARD, LEASE, PROXY),
)
FOOD = _item(
    "B-FOOD",
    "食品经营许可",
    "10",
    "5",
    result=ItemResult("食品经营许可证", "证照", True),
    materials=(ID_CARD, LICENCE, FLOOR_PLAN),
)
SIGN = _item(
    "C-SIGN",
    "户外招牌设置",
    "5",
    "0.5",
    department="URBAN",
    department_name="城管局",
    fees=(Fee("招牌审核费", Decimal("50.00"), "《某省行政事业性收费目录》第12项"),),
    result=ItemResult("户外招牌设置许可", "批文", False),
    materials=(ID_CARD, LICENCE, PROXY),
)
SOURCE = NoticeSource(
    theme_code="shop-opening",
    theme_name="开办小店一件事",
    lead_department="SAMR",
    lead_department_name="市场监管局",
    summary="一次告知、一表申请。",
    items=(REGISTRATION, FOOD, SIGN),
)
SIGN_REASON = "计划设置户外招牌的，须办理户外招牌设置"


def _notice(selected, **kw):
    return build_notice(
        SOURCE,
        selected,
        conditional=("C-SIGN",),
        reasons={"C-SIGN": [SIGN_REASON]},
        **kw,
    ).to_dict()


def test_only_the_selected_items_are_told_with_their_facts():
    notice = _notice(["A-REG", "B-FOOD"], answers=[("是否设置户外招牌", "否")])
    assert notice["title"] == "开办小店一件事一次告知书"
    assert notice["theme"]["lead_department"] == "市场监管局"
    assert notice["answers"] == [{"question": "是否设置户外招牌", "answer": "否"}]
    assert [i["code"] for i in notice["items"]] == ["A-REG", "B-FOOD"]
    registration = notice["items"][0]
    assert registration["selection_text"] == "必办"
    assert registration["department"] == "市场监管局"
    assert registration["time_limit"] == "承诺件；法定时限 3 个工作日，承诺时限 1 个工作日"
    assert registration["fee_text"] == "免费"
    assert registration["result_text"] == "营业执照（证照，同时发放电子证照）"
    assert registration["delivery"] == ["窗口领取", "电子送达"]
    assert registration["place"] == "县政务服务中心一楼"
    assert (registration["phone"], registration["complaint_phone"]) == ("12315", "12345")
    assert registration["conditions"] == ["申请人具有完全民事行为能力"]


def test_an_item_not_selected_is_listed_with_when_it_would_be_needed():
    notice = _notice(["A-REG", "B-FOOD"])
    assert notice["not_selected"] == [
        {
            "code": "C-SIGN",
            "name": "户外招牌设置",
            "department": "城管局",
            "status_text": "根据您的回答，本次无需办理",
            "when_needed": [SIGN_REASON],
        }
    ]


def test_a_selected_conditional_item_says_why():
    notice = _notice(["A-REG", "B-FOOD", "C-SIGN"])
    sign = notice["items"][2]
    assert sign["selection_text"] == "根据您的回答需办理"
    assert sign["reasons"] == [SIGN_REASON]
    assert sign["fee_text"] == "招牌审核费 50.00 元（依据：《某省行政事业性收费目录》第12项）"
    assert sign["result_text"] == "户外招牌设置许可（批文）"
    assert notice["not_selected"] == []


def test_each_material_once_with_form_copies_and_tolerance():
    notice = _notice(["A-REG", "B-FOOD", "C-SIGN"])
    materials = {m["code"]: m for m in notice["materials"]}
    assert list(materials) == ["CL-ZL", "CL-WTS", "CL-PMT"]  # theme order, each once
    assert materials["CL-ZL"]["form_text"] == "原件和复印件各 2 份"
    assert materials["CL-ZL"]["required_text"] == "必需"
    assert materials["CL-ZL"]["tolerance_text"] == ""
    proxy = materials["CL-WTS"]
    assert proxy["required_text"] == "视情形提交"
    assert proxy["note"] == "委托代理人办理时提供"
    assert proxy["tolerance_text"] == "可容缺受理（受理后限期补交）"
    assert [a["name"] for a in proxy["asked_by"]] == ["营业执照办理", "户外招牌设置"]
    assert materials["CL-PMT"]["form_text"] == "原件（核验后退还，不留存）"


def test_every_exemption_has_its_reason():
    notice = _notice(["A-REG", "B-FOOD"])
    reasons = {m["code"]: m["reason"] for m in notice["exemptions"]}
    assert reasons == {
        "CL-SFZ": "可调用电子证照“居民身份证”，无需提交",
        "CL-YYZZ": "由本主题“营业执照办理”办理后生成，无需提交",
    }
    assert "CL-YYZZ" not in {m["code"] for m in notice["materials"]}


def test_without_the_producing_item_the_licence_is_exempt_as_an_e_licence():
    # An applicant already registered: nothing in this case produces the licence.
    notice = build_notice(SOURCE, ["B-FOOD"]).to_dict()
    licence = next(m for m in notice["exemptions"] if m["code"] == "CL-YYZZ")
    assert licence["reason"] == "可调用电子证照“营业执照”，无需提交"


def test_totals_give_the_sum_and_the_longest_time_and_say_what_they_mean():
    totals = _notice(["A-REG", "B-FOOD", "C-SIGN"])["totals"]
    assert (totals["promised_days_sum"], totals["promised_days_max"]) == (6.5, 5)
    assert (totals["legal_days_sum"], totals["legal_days_max"]) == (18, 10)
    assert "先后办理" in totals["explanations"]["promised_days_sum"]
    assert "并联办理" in totals["explanations"]["promised_days_max"]
    assert totals["fee_total"] == "50.00"
    assert totals["fee_text"] == "合计 50.00 元"
    assert (totals["item_count"], totals["materials_to_submit"], totals["materials_exempted"]) == (
        3,
        3,
        2,
    )


def test_free_themes_say_so():
    totals = _notice(["A-REG", "B-FOOD"])["totals"]
    assert totals["fee_text"] == "全部免费"


def test_on_the_spot_items_have_no_waiting_time():
    quick = _item("D-QUICK", "参保登记", "0", "0", materials=(ID_CARD,))
    source = NoticeSource(
        theme_code="t",
        theme_name="主题",
        lead_department="SAMR",
        lead_department_name="市场监管局",
        items=(quick,),
    )
    item = build_notice(source, ["D-QUICK"]).to_dict()["items"][0]
    assert item["time_limit"] == "即办件；法定时限 当场办结，承诺时限 当场办结"


def test_the_complete_notice_lists_every_item_and_marks_the_conditional_ones():
    notice = _notice(None)
    assert notice["complete"] is True
    assert [i["code"] for i in notice["items"]] == ["A-REG", "B-FOOD", "C-SIGN"]
    sign = notice["items"][2]
    assert sign["selection_text"] == "视情形办理"
    assert sign["reasons"] == [SIGN_REASON]
    assert notice["not_selected"] == []
    assert "完整告知" in notice["scope"]


def test_an_unknown_item_is_refused():
    with pytest.raises(ValueError, match="X-NONE"):
        build_notice(SOURCE, ["A-REG", "X-NONE"])


def test_the_notice_is_plain_json():
    text = json.dumps(_notice(["A-REG", "B-FOOD", "C-SIGN"]), ensure_ascii=False)
    assert "营业执照办理" in text
    assert json.loads(text)["totals"]["fee_total"] == "50.00"


def test_the_source_survives_being_stored_as_json():
    stored = json.loads(json.dumps(SOURCE.to_dict(), ensure_ascii=False))
    assert NoticeSource.from_dict(stored) == SOURCE


def test_an_unknown_snapshot_format_is_refused():
    with pytest.raises(ValueError, match="格式版本"):
        NoticeSource.from_dict({**SOURCE.to_dict(), "format": 99})


@pytest.fixture(scope="module")
def enterprise():
    catalog = load_catalog(REPO / "processes/catalog")
    theme = load_theme_definition(REPO / "processes/themes/enterprise-opening", catalog)
    return theme, notice_source(theme, catalog)


def test_the_enterprise_notice_from_the_catalog(enterprise):
    theme, source = enterprise
    assert source.lead_department_name == "市场监管局"
    assert source.item_codes == theme.item_codes
    unconditional = [c for c in theme.item_codes if c not in theme.conditional_items]
    notice = build_notice(source, unconditional, conditional=theme.conditional_items).to_dict()
    exempt = {m["name"]: m["reason"] for m in notice["exemptions"]}
    assert exempt["营业执照"] == "由本主题“企业设立登记”办理后生成，无需提交"
    assert "公司章程" in {m["name"] for m in notice["materials"]}
    assert [s["name"] for s in notice["not_selected"]] == ["住房公积金单位缴存登记"]
    # Every item of the catalog tells where to go and whom to call.
    for item in notice["items"]:
        assert item["place"] and item["phone"] and item["complaint_phone"], item["code"]
