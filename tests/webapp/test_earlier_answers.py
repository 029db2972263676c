"""智能填报 from earlier cases: the applicant's own shared fields come back on the next form,
marked with the case they came from; an e-licence wins over them; nothing of anyone else."""

from __future__ import annotations

import re

from .conftest import enterprise_answers
from .test_licence_wallet import COMPANY, USCC, _form_page, _granted, _value

ADDRESS = "罗阳街道北门路18号201房"  # the shipped 企业开办 sample's


def _note(page: str) -> str:
    return page.split('id="earlier-prefill"')[1].split("</p>")[0]


def test_the_next_form_starts_from_the_applicant_s_last_case(login, submit_case):
    case_no = submit_case("zhangsan")["case_no"]
    zhangsan = login("zhangsan")
    page = _form_page(zhangsan, registered=True)
    # The applicant's own identity and contact, and their company's facts.
    assert _value(page, "applicant.name") == "张三"
    assert _value(page, "applicant.mobile") == "13712345678"
    assert _value(page, "enterprise.name") == COMPANY
    assert _value(page, "enterprise.address.detail") == ADDRESS
    note = _note(page)
    assert f"已根据您以往的申请预填（办件 {case_no}）" in note
    assert "申请人姓名" in note and "企业名称" in note and "如有变化请直接修改" in note
    # Another person named in that case (the legal representative) is not carried over.
    assert _value(page, "legal_rep.name") in (None, "")
    assert "陈伟" not in page and "441322198906120038" not in page
    # Nothing of zhangsan's reaches another account.
    other = _form_page(login("lisi"), registered=True)
    assert 'id="earlier-prefill"' not in other and "张三" not in other and ADDRESS not in other


def test_a_held_licence_wins_over_earlier_answers(login, submit_case, session):
    case_no, _ = _granted(login, submit_case, session)
    page = _form_page(login("zhangsan"), registered=True)
    assert _value(page, "enterprise.uscc") == USCC and _value(page, "enterprise.name") == COMPANY
    licence_note = page.split('id="licence-prefill"')[1].split("</p>")[0]
    assert "企业名称" in licence_note
    # The earlier case still fills what the licence does not carry; it no longer claims
    # the fields the licence filled.
    note = _note(page)
    assert f"办件 {case_no}" in note and "申请人姓名" in note
    assert "企业名称" not in note and "统一社会信用代码" not in note


def test_a_new_company_is_not_filled_with_the_earlier_one(login, submit_case):
    submit_case("zhangsan")
    zhangsan = login("zhangsan")
    # Not registered yet: this case forms a company, the old company's facts stay out.
    page = _form_page(zhangsan, registered=False)
    assert _value(page, "enterprise.name") in (None, "")
    assert _value(page, "enterprise.address.detail") in (None, "")
    assert _value(page, "applicant.name") == "张三"
    assert "企业名称" not in _note(page)


def test_the_applicant_changes_a_prefilled_answer_and_the_next_form_has_the_new_one(
    login, submit_case
):
    submit_case("zhangsan")
    zhangsan = login("zhangsan")
    page = _form_page(zhangsan, registered=True)
    field = re.search(r'<input name="applicant.mobile"[^>]*>', page).group(0)
    assert "readonly" not in field and "disabled" not in field
    answers = enterprise_answers(housing_fund=False)
    answers["applicant.mobile"] = "13900001111"
    newer = zhangsan.post_json("/api/cases/", {"theme": "enterprise-opening", "answers": answers})
    assert newer.status_code == 201
    page = _form_page(zhangsan, registered=True)
    assert _value(page, "applicant.mobile") == "13900001111"
    assert f"办件 {newer.get_json()['case_no']}" in _note(page)
