"""Data minimisation: approvers see their item's keys; lists and logs see masked values."""

from pathlib import Path

import pytest

from forms import (
    load_catalog,
    load_theme_definition,
    mask_answers,
    mask_id_number,
    mask_mobile,
    split_for_item,
    theme_form,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def form():
    catalog = load_catalog(REPO / "processes/catalog")
    theme = load_theme_definition(REPO / "processes/themes/enterprise-opening", catalog)
    return theme_form(theme, catalog)


def test_mask_id_number_and_mobile():
    assert mask_id_number("110101199003071234") == "110101********1234"
    assert mask_id_number("91441322MA4W3Q5K1X") == "914413********5K1X"
    assert mask_id_number("E12345678") == "E******78"
    assert mask_id_number("123") == "***"
    assert mask_mobile("13812345678") == "138****5678"


def test_mask_answers_masks_every_sensitive_field_and_nothing_else(form):
    answers = {
        "enterprise.name": "博罗县青禾餐饮管理有限公司",
        "legal_rep.name": "陈伟",
        "legal_rep.id_number": "110101199003071234",
        "legal_rep.mobile": "13812345678",
        "applicant.id_number": "E12345678",
        "shareholders": [{"name": "陈伟", "id_code": "110101199003071234", "capital": "60"}],
        "legal_rep.idnumber": "110101199003071234",  # misspelt: unknown, so hidden
    }
    assert mask_answers(form, answers) == {
        "enterprise.name": "博罗县青禾餐饮管理有限公司",
        "legal_rep.name": "陈伟",
        "legal_rep.id_number": "110101********1234",
        "legal_rep.mobile": "138****5678",
        "applicant.id_number": "E******78",
        "shareholders": [{"name": "陈伟", "id_code": "110101********1234", "capital": "60"}],
        "legal_rep.idnumber": "***",
    }
    assert answers["legal_rep.mobile"] == "13812345678"  # the caller's copy is untouched


def test_the_seal_office_sees_only_what_it_asked_for(form):
    answers = {key: f"answer:{key}" for key in form.keys}
    answers["shareholders"] = [{"name": "陈伟", "type": "natural_person", "capital": "60"}]
    own = split_for_item(form, "PSB-GZKZBA", answers)
    assert set(own) == {
        "applicant.name", "applicant.id_type", "applicant.id_number", "applicant.mobile",
        "enterprise.name", "enterprise.uscc", "legal_rep.name", "legal_rep.id_number",
        "legal_rep.mobile", "seal.kinds", "seal.maker", "delivery.method", "delivery.address",
    }  # fmt: skip
    assert own["seal.maker"] == "answer:seal.maker"
    registration = split_for_item(form, "SAMR-QYSLDJ", answers)
    assert registration["shareholders"] == [
        {
            "name": "陈伟",
            "type": "natural_person",
            "id_code": None,
            "capital": "60",
            "method": None,
            "due_date": None,
        }
    ]
    assert "tax_agent.name" not in registration
    with pytest.raises(KeyError):
        split_for_item(form, "NOPE-X", answers)
