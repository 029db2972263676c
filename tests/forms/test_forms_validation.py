"""Checking a 企业开办 application: all errors at once, in Chinese, on the right key."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from stdnum.cn import ric, uscc

from forms import (
    AnswersInvalid,
    load_catalog,
    load_theme_definition,
    normalise_answers,
    theme_form,
    to_storable,
    validate_application,
)

REPO = Path(__file__).resolve().parents[2]


def id_number(base17: str) -> str:
    """A 身份证号 with a correct GB 11643 check digit (stdnum reads all but the last char)."""
    return base17 + ric.calc_check_digit(base17 + "0")


def credit_code(base17: str) -> str:
    return base17 + uscc.calc_check_digit(base17)


def wrong_check_digit(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


LEGAL_REP_ID = id_number("44132219890612003")  # 博罗县 (code since 1988), born 1989
APPLICANT_ID = id_number("44130219920305002")
FINANCE_ID = id_number("44132219900101004")
TAX_AGENT_ID = id_number("44132219951120005")
INVESTOR_USCC = credit_code("91441322MA4W3Q5K1")


@pytest.fixture(scope="module")
def form():
    catalog = load_catalog(REPO / "processes/catalog")
    theme = load_theme_definition(REPO / "processes/themes/enterprise-opening", catalog)
    return theme_form(theme, catalog)


@pytest.fixture
def answers():
    """A complete, valid 企业开办 application as a browser would post it."""
    return {
        "housing_fund.needed": True,
        "applicant.name": "李娜",
        "applicant.id_type": "resident_id",
        "applicant.id_number": APPLICANT_ID,
        "applicant.mobile": "13712345678",
        "enterprise.name": "博罗县青禾餐饮管理有限公司",
        "enterprise.type": "llc",
        "enterprise.registered_capital": "100",
        "enterprise.address.region": "441322",
        "enterprise.address.detail": "罗阳街道北门路18号201房",
        "enterprise.business_scope": "餐饮服务；餐饮管理；食品销售（仅销售预包装食品）",
        "legal_rep.name": "陈伟",
        "legal_rep.id_number": LEGAL_REP_ID,
        "legal_rep.mobile": "13812345678",
        "contact.name": "李娜",
        "contact.mobile": "13712345678",
        "finance_officer.name": "黄敏",
        "finance_officer.id_number": FINANCE_ID,
        "finance_officer.mobile": "15912345678",
        "tax_agent.name": "周杰",
        "tax_agent.id_number": TAX_AGENT_ID,
        "tax_agent.mobile": "18612345678",
        "shareholders": [
            {
                "name": "陈伟",
                "type": "natural_person",
                "id_code": LEGAL_REP_ID,
                "capital": "60",
                "method": "currency",
                "due_date": "2029-12-31",
            },
            {
                "name": "惠州市青禾投资有限公司",
                "type": "legal_person",
                "id_code": INVESTOR_USCC,
                "capital": "40",
                "method": "currency",
                "due_date": "2029-12-31",
            },
        ],
        "seal.kinds": ["invoice", "official", "finance"],
        "seal.maker": "博罗县诚信印章有限公司",
        "invoice.needed": True,
        "invoice.kinds": ["digital_ordinary", "paper"],
        "invoice.paper_quantity": "25",
        "insurance.employee_count": 5,
        "bank.name": "中国工商银行博罗支行",
        "bank.appointment_date": "2025-07-01",
        "housing_fund.rate": "5",
        "housing_fund.employee_count": 5,
        "delivery.method": "post",
        "delivery.address": "广东省惠州市博罗县罗阳街道北门路18号 李娜 13712345678",
    }


def messages(errors) -> dict[str, str]:
    return {e.key: e.message for e in errors}


def test_a_valid_application_passes(form, answers):
    assert validate_application(form, answers) == []


def test_wrong_id_check_digit_is_reported_as_such(form, answers):
    answers["legal_rep.id_number"] = wrong_check_digit(LEGAL_REP_ID)
    (error,) = validate_application(form, answers)
    assert (error.key, error.message, error.code) == (
        "legal_rep.id_number", "法定代表人身份证号校验位错误", "checksum",
    )  # fmt: skip


def test_wrong_id_length_is_not_a_checksum_error(form, answers):
    answers["finance_officer.id_number"] = LEGAL_REP_ID[:-1]
    assert messages(validate_application(form, answers)) == {
        "finance_officer.id_number": "财务负责人身份证号长度应为18位"
    }


def test_invalid_credit_codes(form, answers):
    answers["enterprise.uscc"] = wrong_check_digit(INVESTOR_USCC)
    answers["shareholders"][1]["id_code"] = wrong_check_digit(INVESTOR_USCC)
    # a natural person's row is checked as a 身份证号, so a credit code is wrong there
    answers["shareholders"][0]["id_code"] = INVESTOR_USCC
    id_code = "身份证号或统一社会信用代码"
    assert messages(validate_application(form, answers)) == {
        "enterprise.uscc": "统一社会信用代码校验位错误",
        "shareholders[0].id_code": f"股东（发起人）出资情况第1项{id_code}格式不正确",
        "shareholders[1].id_code": f"股东（发起人）出资情况第2项{id_code}校验位错误",
    }


def test_invalid_mobile(form, answers):
    answers["contact.mobile"] = "12812345678"
    assert messages(validate_application(form, answers)) == {
        "contact.mobile": "联系人手机号格式不正确"
    }


def test_missing_required_field(form, answers):
    del answers["enterprise.name"]
    answers["tax_agent.name"] = "   "
    assert messages(validate_application(form, answers)) == {
        "enterprise.name": "企业名称为必填项",
        "tax_agent.name": "办税人姓名为必填项",
    }


def test_all_errors_are_reported_at_once_in_form_order(form, answers):
    answers.update(
        {
            "housing_fund.needed": None,
            "legal_rep.id_number": wrong_check_digit(LEGAL_REP_ID),
            "contact.mobile": "138",
            "enterprise.type": "gmbh",
            "enterprise.registered_capital": "-1",
            "enterprise.address.region": "001234",
            "seal.kinds": ["official", "moon"],
            "invoice.paper_quantity": 500,
            "housing_fund.rate": "12.5",
        }
    )
    del answers["enterprise.business_scope"]
    answers["shareholders"][0].update(due_date="2029/12/31", capital="1.1234567")
    del answers["shareholders"][1]["method"]
    assert [(e.key, e.message) for e in validate_application(form, answers)] == [
        ("housing_fund.needed", "是否办理住房公积金缴存登记为必填项"),
        ("enterprise.type", "企业类型的取值“gmbh”不在可选范围内"),
        ("enterprise.address.region", "住所所在地的省级代码无效"),
        ("enterprise.business_scope", "经营范围为必填项"),
        ("legal_rep.id_number", "法定代表人身份证号校验位错误"),
        ("contact.mobile", "联系人手机号格式不正确"),
        ("enterprise.registered_capital", "注册资本不能小于0万元"),
        ("shareholders[0].capital", "股东（发起人）出资情况第1项认缴出资额最多保留6位小数"),
        (
            "shareholders[0].due_date",
            "股东（发起人）出资情况第1项认缴出资期限应为有效日期（YYYY-MM-DD）",
        ),
        ("shareholders[1].method", "股东（发起人）出资情况第2项出资方式为必填项"),
        ("seal.kinds", "印章种类的取值“moon”不在可选范围内"),
        ("invoice.paper_quantity", "纸质发票首次领用数量不能大于100份"),
        ("housing_fund.rate", "住房公积金缴存比例不能大于12%"),
    ]


def test_conditional_fields_are_asked_only_when_their_condition_holds(form, answers):
    answers.update({"invoice.needed": False, "delivery.method": "window"})
    del answers["delivery.address"]
    answers["invoice.kinds"] = ["no-such-kind"]  # hidden, so neither checked nor kept
    assert validate_application(form, answers) == []
    values = normalise_answers(form, answers)
    assert "invoice.kinds" not in values
    assert values["invoice.needed"] is False

    answers["invoice.needed"] = True
    del answers["invoice.kinds"]
    del answers["invoice.paper_quantity"]
    answers["delivery.method"] = "post"
    assert messages(validate_application(form, answers)) == {
        "invoice.kinds": "发票种类为必填项",
        "delivery.address": "邮寄地址为必填项",
    }
    # 数电发票 have no quantity to ask for: only paper invoices are counted out.
    answers.update({"invoice.kinds": ["digital_ordinary"], "delivery.address": "博罗县罗阳街道"})
    assert validate_application(form, answers) == []
    answers["invoice.kinds"] = ["digital_ordinary", "paper"]
    assert messages(validate_application(form, answers)) == {
        "invoice.paper_quantity": "纸质发票首次领用数量为必填项"
    }


def test_id_type_decides_how_the_applicant_number_is_checked(form, answers):
    answers.update({"applicant.id_type": "passport", "applicant.id_number": "E12345678"})
    assert validate_application(form, answers) == []
    answers["applicant.id_type"] = "resident_id"
    assert messages(validate_application(form, answers)) == {
        "applicant.id_number": "申请人证件号码长度应为18位"
    }


def test_repeating_group_limits(form, answers):
    row = answers["shareholders"][0]
    answers["shareholders"] = [dict(row) for _ in range(51)]
    assert messages(validate_application(form, answers)) == {
        "shareholders": "股东（发起人）出资情况最多填写50项"
    }
    answers["shareholders"] = []
    assert messages(validate_application(form, answers)) == {
        "shareholders": "股东（发起人）出资情况为必填项"
    }


def test_a_case_without_the_housing_fund_item_ignores_its_fields(form, answers):
    case_form = form.for_items(["SAMR-QYSLDJ", "PSB-GZKZBA", "TAX-SSSXBL", "HRSS-DWCBDJ"])
    answers.update({"housing_fund.needed": False, "housing_fund.rate": "99", "bank.name": ""})
    assert validate_application(case_form, answers) == []
    assert "housing_fund.rate" not in normalise_answers(case_form, answers)


def test_normalised_values_are_typed_and_survive_storage(form, answers):
    answers["legal_rep.id_number"] = LEGAL_REP_ID.lower()
    answers["unknown.key"] = "dropped"
    values = normalise_answers(form, answers)
    assert values["enterprise.registered_capital"] == Decimal("100")
    assert values["invoice.paper_quantity"] == 25
    assert values["shareholders"][0]["due_date"] == date(2029, 12, 31)
    assert values["seal.kinds"] == ["official", "finance", "invoice"]  # dictionary order
    assert values["legal_rep.id_number"] == LEGAL_REP_ID.upper()
    assert "unknown.key" not in values

    stored = json.loads(json.dumps(to_storable(values)))
    assert stored["enterprise.registered_capital"] == "100"
    assert stored["shareholders"][0]["due_date"] == "2029-12-31"
    assert normalise_answers(form, stored) == values


def test_normalise_refuses_invalid_answers_with_every_error(form, answers):
    answers["contact.mobile"] = "1"
    del answers["enterprise.name"]
    with pytest.raises(AnswersInvalid) as caught:
        normalise_answers(form, answers)
    assert {e.key for e in caught.value.errors} == {"contact.mobile", "enterprise.name"}


# ---------- JSON Schema ----------


def test_json_schema_is_valid_2020_12_and_agrees_on_clear_cases(form, answers):
    schema = form.to_json_schema(title="企业开办一件事")
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    stored = to_storable(normalise_answers(form, answers))
    assert list(validator.iter_errors(stored)) == []

    assert [s["title"] for s in schema["x-sections"]] == [s.title for s in form.sections]
    assert schema["properties"]["legal_rep.id_number"]["x-privacy"] == "sensitive"
    assert schema["properties"]["seal.kinds"]["x-widget"] == "checkboxes"
    assert "enterprise.name" in schema["required"]
    assert "invoice.kinds" not in schema["required"]  # required only when invoices are needed

    def invalid(**changes):
        return not validator.is_valid({**stored, **changes})

    assert invalid(**{"contact.mobile": "12812345678"})
    assert invalid(**{"enterprise.type": "gmbh"})
    assert invalid(**{"enterprise.name": "名" * 51})
    without_kinds = {k: v for k, v in stored.items() if k != "invoice.kinds"}
    assert not validator.is_valid(without_kinds)
    assert validator.is_valid({**without_kinds, "invoice.needed": False})
    rows = [dict(stored["shareholders"][0], id_code=INVESTOR_USCC)]
    assert invalid(shareholders=rows)  # a natural person's id must look like a 身份证号


@pytest.mark.parametrize(
    "base17",
    [
        "44132219850612003",  # 博罗县 has had 441322 since 1988; born 1985 there
        "50010319850612003",  # 渝中区 (Chongqing) has had 500103 since 1997; born 1985
    ],
)
def test_id_of_a_county_coded_after_the_birth_year_is_valid(form, answers, base17):
    # Numbers were re-issued when divisions were re-coded: GB 11643 validity is the check
    # digit and the birth date; the area code only warns the clerk (forms/identifiers.py).
    answers["tax_agent.id_number"] = id_number(base17)
    assert validate_application(form, answers) == []


@pytest.mark.parametrize(
    ("base17", "message"),
    [
        ("44132219850231003", "办税人身份证号中的出生日期无效"),  # 31 February
        ("44132221990612003", "办税人身份证号中的出生日期晚于今天"),
    ],
)
def test_id_with_an_impossible_or_future_birth_date_is_refused(form, answers, base17, message):
    answers["tax_agent.id_number"] = id_number(base17)
    (error,) = validate_application(form, answers)
    assert (error.key, error.message, error.code) == ("tax_agent.id_number", message, "birth_date")


def test_a_field_one_item_requires_is_required_though_another_makes_it_optional(form, answers):
    # 设立登记 asks for the 财务负责人 optionally, 税务 requires him: one item is enough.
    uses = {u.item: u.required for u in form.field("finance_officer.name").usages}
    assert uses == {"SAMR-QYSLDJ": False, "TAX-SSSXBL": True}
    del answers["finance_officer.name"]
    errors = {e.key: e.code for e in validate_application(form, answers)}
    assert errors == {"finance_officer.name": "required"}
