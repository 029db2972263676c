"""Parties (当事人) and the joint 二手房 application (不动产登记暂行条例 §14).

The shipped sample: 李国强 and 王秀兰 sell to 陈志明 and 刘丽. The buyer 陈志明 submits with
his own real-name account; the sellers' side must confirm with its own account before the
front desk may accept; each side sees the case, and nobody sees the other's other cases.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from webapp.db import make_engine
from webapp.models import Case, User
from webapp.parties import case_parties
from webapp.parties.models import Capacity, Party

from .conftest import enterprise_answers, housing_answers

BUYER = ("陈志明", "441322199305170114", "13902345678")
SELLER = ("李国强", "441322198903140519", "13620451234")
CO_SELLER = ("王秀兰", "44132219900722062X", "13725673456")


def _submit_housing(client) -> str:
    response = client.post_json(
        "/api/cases/", {"theme": "second-hand-housing", "answers": housing_answers()}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["case_no"]


def _acceptance_task(window, case_no: str) -> int:
    tasks = window.get("/api/tasks/").get_json()["tasks"]
    return next(t["id"] for t in tasks if t["case_no"] == case_no)


def _my_case_numbers(client) -> set[str]:
    page = client.get("/applicant/").get_data(as_text=True)
    return {n for n in _numbers(page)}


def _numbers(page: str) -> list[str]:
    import re

    return re.findall(r"/applicant/cases/([^\"/]+)\"", page)


def test_joint_application_both_sides_see_it_and_the_desk_waits_for_both(register, login):
    buyer = register(*BUYER)
    seller = register(*SELLER)
    case_no = _submit_housing(buyer)

    # Both sides find the case in their own account.
    assert case_no in _my_case_numbers(buyer)
    assert case_no in _my_case_numbers(seller)
    page = seller.get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    assert "确认共同申请" in page and "卖方" in page
    # The seller reads it but may not withdraw it: that is the submitter's.
    assert seller.post_form(f"/applicant/cases/{case_no}/withdraw").status_code == 404

    # The front desk sees who has confirmed, and cannot accept before both sides have.
    window = login("window")
    desk = window.get(f"/clerk/cases/{case_no}").get_data(as_text=True)
    assert 'data-role="buyer" data-confirmed="yes"' in desk
    assert 'data-role="seller" data-confirmed="no"' in desk
    task = _acceptance_task(window, case_no)
    refused = window.post_json(f"/api/tasks/{task}/complete", {})
    assert refused.status_code == 409
    assert "尚未确认：卖方" in refused.get_json()["message"]

    confirmed = seller.post_form(f"/applicant/cases/{case_no}/confirm")
    assert confirmed.status_code == 302
    again = seller.post_form(f"/applicant/cases/{case_no}/confirm")
    assert again.status_code == 409  # once is enough
    desk = window.get(f"/clerk/cases/{case_no}").get_data(as_text=True)
    assert 'data-role="seller" data-confirmed="yes"' in desk
    accepted = window.post_json(f"/api/tasks/{task}/complete", {})
    assert accepted.status_code == 200, accepted.get_json()


def test_the_buyer_cannot_see_another_case_of_the_seller(register):
    buyer = register(*BUYER)
    seller = register(*SELLER)
    joint = _submit_housing(buyer)
    own = seller.post_json(
        "/api/cases/", {"theme": "enterprise-opening", "answers": enterprise_answers()}
    )
    assert own.status_code == 201, own.get_json()
    sellers_own = own.get_json()["case_no"]

    assert {joint, sellers_own} <= _my_case_numbers(seller)
    assert joint in _my_case_numbers(buyer)
    assert sellers_own not in _my_case_numbers(buyer)
    assert buyer.get(f"/applicant/cases/{sellers_own}").status_code == 404
    assert buyer.get(f"/api/cases/{sellers_own}").status_code == 404


def test_a_party_who_registers_later_finds_the_case_and_confirms_it(register, login):
    buyer = register(*BUYER)
    case_no = _submit_housing(buyer)
    co_seller = register(*CO_SELLER)  # after the submission, with that ID number and mobile
    assert case_no in _my_case_numbers(co_seller)
    assert co_seller.post_form(f"/applicant/cases/{case_no}/confirm").status_code == 302
    window = login("window")
    task = _acceptance_task(window, case_no)
    assert window.post_json(f"/api/tasks/{task}/complete", {}).status_code == 200


def test_an_id_number_alone_does_not_open_the_case(register):
    """Someone registering with the seller's ID number but another mobile (the form gave
    the seller's own) sees nothing of the seller's case."""
    buyer = register(*BUYER)
    case_no = _submit_housing(buyer)
    impostor = register("李国强", SELLER[1], "13811112222")
    assert case_no not in _my_case_numbers(impostor)
    assert impostor.get(f"/applicant/cases/{case_no}").status_code == 404
    assert impostor.post_form(f"/applicant/cases/{case_no}/confirm").status_code == 404


def test_an_account_without_a_side_cannot_make_the_desk_accept(register, login):
    """Submitted by someone who is neither seller nor buyer: both sides must confirm."""
    case_no = _submit_housing(login("zhangsan"))
    window = login("window")
    task = _acceptance_task(window, case_no)
    message = window.post_json(f"/api/tasks/{task}/complete", {}).get_json()["message"]
    assert "卖方、买方" in message
    assert login("lisi").get(f"/applicant/cases/{case_no}").status_code == 404


def test_a_company_is_represented_by_its_linked_accounts(register, submit_case, session):
    """法定代表人 / 经办人 accounts see the company's cases; others do not."""
    agent = register("周经办", "11010519491231002X", "13912340000")
    case_no = submit_case("zhangsan")["case_no"]
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    company = case_parties.company(session, "91441322MA4UMX1Q7P", "博罗县示例有限公司")
    case_parties.add_to_case(session, case, company, "applicant")
    session.commit()
    assert agent.get(f"/applicant/cases/{case_no}").status_code == 404

    user = session.scalars(select(User).where(User.username == "13912340000")).one()
    case_parties.link_account(session, None, company, user, Capacity.AGENT)
    session.commit()
    assert agent.get(f"/applicant/cases/{case_no}").status_code == 200
    assert case_no in _my_case_numbers(agent)


def test_a_corrected_application_is_confirmed_anew_by_the_other_side(register, login):
    buyer = register(*BUYER)
    seller = register(*SELLER)
    case_no = _submit_housing(buyer)
    assert seller.post_form(f"/applicant/cases/{case_no}/confirm").status_code == 302
    window = login("window")
    task = _acceptance_task(window, case_no)
    asked = window.post_json(
        f"/api/tasks/{task}/actions/correct",
        {"fields": ["transaction.price"], "materials": [], "note": "成交价与网签合同不一致"},
    )
    assert asked.status_code == 200, asked.get_json()
    # The buyer changes the price: the seller confirmed another price.
    fixed = buyer.post_form(
        f"/applicant/cases/{case_no}/correct", data={"transaction.price": "1290000.00"}
    )
    assert fixed.status_code == 302, fixed.get_data(as_text=True)[:500]
    refused = window.post_json(f"/api/tasks/{task}/complete", {})
    assert refused.status_code == 409 and "卖方" in refused.get_json()["message"]
    page = seller.get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    assert "确认共同申请" in page and "1290000" in page
    assert seller.post_form(f"/applicant/cases/{case_no}/confirm").status_code == 302
    assert window.post_json(f"/api/tasks/{task}/complete", {}).status_code == 200


def test_two_transactions_naming_one_new_company_at_once_share_its_row(database_url, is_postgres):
    """Two cases of one company decided at the same moment: the second insert of its party
    waits for the first and takes its row (no unique-constraint error, no 500)."""
    if not is_postgres:
        pytest.skip("SQLite serialises whole writes: the race needs PostgreSQL's row locks")
    engine = make_engine(database_url)
    uscc = "91441322MA5RACE01X"
    try:
        with Session(engine) as first, Session(engine) as second:
            made = case_parties.company(first, uscc, "并发测试有限公司")  # inserted, not committed
            found: list = []
            waiting = threading.Thread(
                target=lambda: found.append(case_parties.company(second, uscc, "并发测试有限公司"))
            )
            waiting.start()
            waiting.join(timeout=1)
            assert waiting.is_alive()  # held by the first transaction's uncommitted row
            first.commit()
            waiting.join(timeout=30)
            assert [p.id for p in found] == [made.id]
            second.commit()
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(Party).where(Party.number == uscc))
            cleanup.commit()
        engine.dispose()
