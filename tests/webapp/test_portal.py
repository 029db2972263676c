"""The public face: the hall's catalog and guidance previews without login, and 办件查询 by
case number and query code — progress and dates only, never personal data, throttled."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from webapp.models import Case

from .conftest import LEGAL_REP_ID, enterprise_answers

# What a case holds about people: none of it may reach a public page.
APPLICANT_ANSWERS = enterprise_answers()
PERSONAL = [
    APPLICANT_ANSWERS["applicant.id_number"],
    APPLICANT_ANSWERS["legal_rep.id_number"],
    APPLICANT_ANSWERS["legal_rep.mobile"],
    APPLICANT_ANSWERS["legal_rep.name"],
    "张三",  # the applicant's account
]


def _text(response) -> str:
    return response.get_data(as_text=True)


def _csrf(client) -> str:
    page = _text(client.get("/query"))
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _query(client, case_no, code, **kw):
    return client.post(
        "/query", data={"no": case_no, "code": code, "csrf_token": _csrf(client)}, **kw
    )


def test_the_home_page_is_the_catalog_for_anyone(app, db):
    client = app.test_client()
    response = client.get("/")
    assert response.status_code == 200
    page = _text(response)
    # 个人 and 法人, each by event, each theme by its "我要…" name, linked to its guide.
    personal = page.split('data-audience="个人"')[1].split("</section>")[0]
    business = page.split('data-audience="法人"')[1].split("</section>")[0]
    assert "我要办理新生儿出生登记" in personal and "我要买卖二手房" in personal
    assert "我要开办企业" in business and "我要开餐馆" in business
    assert "企业开办" in business and "出生" in personal  # the events
    assert 'href="/themes/enterprise-opening"' in page
    assert 'href="/notice/enterprise-opening"' in page
    assert 'href="/query"' in page and 'href="/login"' in page


def test_search_finds_themes_by_what_people_type(app, db):
    client = app.test_client()
    page = _text(client.get("/?q=餐"))
    assert "我要开餐馆" in page and "我要开办企业" not in page
    # An item's name finds its theme too (公章刻制 is part of 企业开办 and of the restaurant).
    page = _text(client.get("/?q=公章"))
    assert "我要开办企业" in page and "我要买卖二手房" not in page
    page = _text(client.get("/?q=火星移民"))
    assert 'id="no-match"' in page and "火星移民" in page
    assert client.get("/?q=" + "长" * 51).status_code == 200  # too long: told, not a 500


def test_a_theme_preview_shows_items_questions_and_materials(app, db):
    page = _text(app.test_client().get("/themes/enterprise-opening"))
    assert "我要开办企业" in page and "企业开办一件事" in page
    assert "企业设立登记" in page and "市场监管局" in page and "视情形办理" in page
    questions = page.split('id="guide-questions"')[1].split("</ol>")[0]
    assert "住房公积金" in questions and "是 / 否" in questions
    assert "公司章程" in page.split('id="guide-materials"')[1]
    assert 'href="/notice/enterprise-opening" id="notice-link"' in page
    assert "登录后在线申请" in page
    assert app.test_client().get("/themes/no-such-theme").status_code == 404


def test_logged_in_users_still_find_their_own_home(login, db):
    page = _text(login("zhangsan").get("/"))
    assert 'href="/applicant/" id="own-home"' in page
    page = _text(login("window").get("/"))
    assert 'href="/clerk/" id="own-home"' in page


def test_the_query_shows_progress_and_dates_and_nothing_personal(app, session, submit_case):
    case_no = submit_case()["case_no"]
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    client = app.test_client()
    form = _text(client.get(f"/query?no={case_no}"))
    assert f'value="{case_no}"' in form  # the QR code's link brings the number along
    response = _query(client, case_no, case.query_code.lower())  # typed in small letters
    assert response.status_code == 200
    page = _text(response)
    result = page.split('id="query-result"')[1]
    assert "企业开办一件事" in result and "已提交" in result
    assert "综合受理" in result and "企业设立登记" in result and "市场监管局" in result
    for personal in PERSONAL:
        assert personal not in page
    # The applicant's ID number's last 6 open it too (the legal representative's here).
    assert _query(client, case_no, LEGAL_REP_ID[-6:]).status_code == 200


def test_a_wrong_code_and_an_unknown_number_read_the_same(app, session, submit_case):
    case_no = submit_case()["case_no"]
    client = app.test_client()
    wrong = _query(client, case_no, "ZZZZZZ")
    unknown = _query(client, "YJS-19990101-000001", "ZZZZZZ")
    assert wrong.status_code == unknown.status_code == 404
    assert "未找到该办件，或查询码不正确" in _text(wrong)
    assert 'id="query-result"' not in _text(wrong)
    assert _query(client, case_no, "").status_code == 422


def test_guessing_codes_is_throttled_per_case_number(app, session, submit_case):
    case_no = submit_case()["case_no"]
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    # Guesses from many addresses: the case number is locked after ten wrong codes.
    for i in range(10):
        address = {"REMOTE_ADDR": f"10.0.0.{i + 1}"}
        assert _query(app.test_client(), case_no, "ZZZZZZ", environ_base=address).status_code == 404
    locked = _query(
        app.test_client(), case_no, case.query_code, environ_base={"REMOTE_ADDR": "10.0.1.1"}
    )
    assert locked.status_code == 429
    assert "错误次数过多" in _text(locked)
    assert 'id="query-result"' not in _text(locked)


def test_one_address_asking_too_often_is_throttled(app, session, submit_case):
    case_no = submit_case()["case_no"]
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    client = app.test_client()
    address = {"REMOTE_ADDR": "10.9.9.9"}
    for _ in range(30):
        assert _query(client, case_no, case.query_code, environ_base=address).status_code == 200
    refused = _query(client, case_no, case.query_code, environ_base=address)
    assert refused.status_code == 429 and "查询过于频繁" in _text(refused)
    # Another address is not held back by this one.
    other = _query(client, case_no, case.query_code, environ_base={"REMOTE_ADDR": "10.9.9.10"})
    assert other.status_code == 200


@pytest.mark.parametrize("url", ["/", "/themes/newborn", "/query", "/notice/newborn"])
def test_public_pages_answer_without_login(app, db, url):
    response = app.test_client().get(url)
    assert response.status_code == 200
    assert "登录" in _text(response)
