from __future__ import annotations

import pytest
from stdnum.cn import ric, uscc


def id_number(base17: str) -> str:
    return base17 + ric.calc_check_digit(base17 + "0")


LEGAL_REP_ID = id_number("44132219890612003")
APPLICANT_ID = id_number("44130219920305002")


def enterprise_answers(*, housing_fund: bool = True) -> dict:
    """A complete, valid 企业开办 application keyed by canonical field keys."""
    answers = {
        "housing_fund.needed": housing_fund,
        "applicant.name": "张三",
        "applicant.id_type": "resident_id",
        "applicant.id_number": APPLICANT_ID,
        "applicant.mobile": "13712345678",
        "enterprise.name": "博罗县青禾餐饮管理有限公司",
        "enterprise.type": "llc",
        "enterprise.registered_capital": "100",
        "enterprise.address.region": "441322",
        "enterprise.address.detail": "罗阳街道北门路18号201房",
        "enterprise.business_scope": "餐饮服务；餐饮管理",
        "legal_rep.name": "陈伟",
        "legal_rep.id_number": LEGAL_REP_ID,
        "legal_rep.mobile": "13812345678",
        "contact.name": "张三",
        "contact.mobile": "13712345678",
        "finance_officer.name": "黄敏",
        "finance_officer.id_number": id_number("44132219900101004"),
        "finance_officer.mobile": "15912345678",
        "tax_agent.name": "周杰",
        "tax_agent.id_number": id_number("44132219951120005"),
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
                "id_code": "91441322MA4W3Q5K1" + uscc.calc_check_digit("91441322MA4W3Q5K1"),
                "capital": "40",
                "method": "currency",
                "due_date": "2029-12-31",
            },
        ],
        "seal.kinds": ["invoice", "official", "finance"],
        "seal.maker": "博罗县诚信印章有限公司",
        "invoice.needed": True,
        "invoice.kinds": ["digital_ordinary"],
        "invoice.quantity": "25",
        "insurance.employee_count": 5,
        "bank.name": "中国工商银行博罗支行",
        "bank.appointment_date": "2027-07-01",
        "housing_fund.rate": "5",
        "housing_fund.employee_count": 5,
        "delivery.method": "post",
        "delivery.address": "广东省惠州市博罗县罗阳街道北门路18号 张三 13712345678",
    }
    if not housing_fund:
        for key in ("housing_fund.rate", "housing_fund.employee_count"):
            answers.pop(key)
    return answers


@pytest.fixture
def answers():
    return enterprise_answers()


@pytest.fixture
def submit_case(login):
    """Submit a valid 企业开办 application as `username`; returns the case JSON."""

    def _submit(username: str = "zhangsan", housing_fund: bool = True) -> dict:
        client = login(username)
        response = client.post_json(
            "/api/cases/",
            {
                "theme": "enterprise-opening",
                "answers": enterprise_answers(housing_fund=housing_fund),
            },
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return _submit
