"""One post of the one form makes at most one case (browser back + submit again)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from webapp.models import Case, User

from .conftest import enterprise_answers, form_fields

APPLY = "/applicant/apply/enterprise-opening"


def case_count(session, username: str) -> int:
    user_id = session.scalar(select(User.id).where(User.username == username))
    return session.scalar(select(func.count(Case.id)).where(Case.applicant_id == user_id))


def token_of(page: str) -> str:
    return re.search(r'name="submission_token" value="([^"]+)"', page).group(1)


def test_posting_the_same_form_twice_makes_one_case(login, session):
    applicant = login("zhangsan")
    page = applicant.get(f"{APPLY}?step=form&housing_fund.needed=true").get_data(as_text=True)
    data = form_fields(enterprise_answers()) + [
        ("submission_token", token_of(page)),
        ("csrf_token", applicant.csrf),
    ]
    before = case_count(session, "zhangsan")
    first = applicant.post_form(APPLY, data=data)
    assert first.status_code == 302
    again = applicant.post_form(APPLY, data=data)  # back button, submit again
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert case_count(session, "zhangsan") == before + 1
    case_page = applicant.get(again.headers["Location"]).get_data(as_text=True)
    assert "未重复提交" in case_page


def test_a_form_shown_again_after_errors_keeps_its_token(login, session):
    applicant = login("zhangsan")
    page = applicant.get(f"{APPLY}?step=form&housing_fund.needed=true").get_data(as_text=True)
    token = token_of(page)
    wrong = {**enterprise_answers(), "applicant.mobile": "123"}
    shown = applicant.post_form(
        APPLY,
        data=form_fields(wrong) + [("submission_token", token), ("csrf_token", applicant.csrf)],
    )
    assert shown.status_code == 422 and token_of(shown.get_data(as_text=True)) == token
    data = form_fields(enterprise_answers()) + [
        ("submission_token", token),
        ("csrf_token", applicant.csrf),
    ]
    before = case_count(session, "zhangsan")
    assert applicant.post_form(APPLY, data=data).status_code == 302
    assert applicant.post_form(APPLY, data=data).status_code == 302
    assert case_count(session, "zhangsan") == before + 1


def test_fresh_forms_make_separate_cases(login, session):
    applicant = login("zhangsan")
    before = case_count(session, "zhangsan")
    for _ in range(2):
        page = applicant.get(f"{APPLY}?step=form&housing_fund.needed=true").get_data(as_text=True)
        data = form_fields(enterprise_answers()) + [
            ("submission_token", token_of(page)),
            ("csrf_token", applicant.csrf),
        ]
        assert applicant.post_form(APPLY, data=data).status_code == 302
    assert case_count(session, "zhangsan") == before + 2


def test_another_applicants_token_is_not_theirs(login, session):
    zhangsan, lisi = login("zhangsan"), login("lisi")
    page = zhangsan.get(f"{APPLY}?step=form&housing_fund.needed=true").get_data(as_text=True)
    token = token_of(page)
    for client in (zhangsan, lisi):
        data = form_fields(enterprise_answers()) + [
            ("submission_token", token),
            ("csrf_token", client.csrf),
        ]
        response = client.post_form(APPLY, data=data)
        assert response.status_code == 302
        assert client.get(response.headers["Location"]).status_code == 200  # their own


def test_a_malformed_token_is_refused(login):
    applicant = login("zhangsan")
    data = form_fields(enterprise_answers()) + [
        ("submission_token", "<script>"),
        ("csrf_token", applicant.csrf),
    ]
    assert applicant.post_form(APPLY, data=data).status_code == 422
