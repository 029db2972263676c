"""Application drafts (草稿): save at any time, continue from the home page, submit once."""

from __future__ import annotations

import json
import logging
import re

from sqlalchemy import func, select

from webapp.models import ApplicationDraft, AuditEvent, Case, User

from .conftest import LEGAL_REP_ID, enterprise_answers, form_fields

APPLY = "/applicant/apply/enterprise-opening"
SAVE = "/applicant/apply/enterprise-opening/draft"
DRAFT_URL = re.compile(r"/applicant/drafts/(\d+)$")


def post(client, url, answers: dict, extra: list[tuple[str, str]] = ()):
    data = form_fields(answers) + list(extra) + [("csrf_token", client.csrf)]
    return client.post_form(url, data=data)


def save(client, answers: dict) -> int:
    response = post(client, SAVE, answers)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(DRAFT_URL.search(response.headers["Location"]).group(1))


def user_id(session, username: str) -> int:
    return session.scalar(select(User.id).where(User.username == username))


def case_count(session, username: str) -> int:
    uid = user_id(session, username)
    return session.scalar(select(func.count()).select_from(Case).where(Case.applicant_id == uid))


def wrong_check_digit(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def half_filled() -> dict:
    answers = enterprise_answers()
    for key in ("enterprise.business_scope", "bank.name", "delivery.address"):
        del answers[key]
    answers["legal_rep.id_number"] = wrong_check_digit(LEGAL_REP_ID)  # still being typed
    return answers


def test_save_continue_and_submit_a_draft(login, session):
    applicant = login("zhangsan")
    draft_id = save(applicant, half_filled())

    # The home page offers the draft; continuing shows exactly what was typed, unmasked.
    home = applicant.get("/applicant/").get_data(as_text=True)
    assert "我的草稿" in home and f"/applicant/drafts/{draft_id}" in home
    page = applicant.get(f"/applicant/drafts/{draft_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'value="{wrong_check_digit(LEGAL_REP_ID)}"' in html
    assert 'value="博罗县青禾餐饮管理有限公司"' in html
    assert 'value="惠州市青禾投资有限公司"' in html  # the second 股东 row
    assert "校验位错误" not in html  # a draft is not checked

    # Saving again replaces the one draft of this theme.
    assert save(applicant, enterprise_answers()) == draft_id
    uid = user_id(session, "zhangsan")
    drafts = session.scalars(select(ApplicationDraft).where(ApplicationDraft.applicant_id == uid))
    (draft,) = list(drafts)
    assert draft.answers["enterprise.business_scope"] == "餐饮服务；餐饮管理"

    submitted = post(applicant, APPLY, enterprise_answers())
    assert submitted.status_code == 302
    case_no = re.search(r"YJS-\d{8}-\d{6}", submitted.headers["Location"]).group(0)
    session.expire_all()
    assert session.get(ApplicationDraft, draft_id) is None
    assert applicant.get(f"/applicant/drafts/{draft_id}").status_code == 404
    home = applicant.get("/applicant/").get_data(as_text=True)
    assert "我的草稿" not in home and case_no in home


def test_invalid_ids_on_submit_keep_the_draft_and_store_no_case(login, session):
    applicant = login("zhangsan")
    draft_id = save(applicant, enterprise_answers())
    saved = dict(session.get(ApplicationDraft, draft_id).answers)
    cases_before = case_count(session, "zhangsan")
    events_before = session.scalar(select(func.count()).select_from(AuditEvent))

    answers = enterprise_answers()
    answers["legal_rep.id_number"] = wrong_check_digit(LEGAL_REP_ID)
    answers["shareholders"][1]["id_code"] = wrong_check_digit("91441322MA4W3Q5K1J")
    answers["contact.mobile"] = "1371234567"
    response = post(applicant, APPLY, answers)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "申请表有 3 处需要修改" in html
    assert "法定代表人身份证号校验位错误" in html
    assert "股东（发起人）出资情况第2项身份证号或统一社会信用代码校验位错误" in html
    assert "联系人手机号格式不正确" in html
    assert f'value="{wrong_check_digit(LEGAL_REP_ID)}"' in html  # kept for fixing
    session.expire_all()
    assert case_count(session, "zhangsan") == cases_before
    assert session.get(ApplicationDraft, draft_id).answers == saved
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events_before


def test_an_applicant_only_ever_sees_their_own_drafts(login, session):
    zhangsan, lisi = login("zhangsan"), login("lisi")
    theirs = save(zhangsan, half_filled())

    assert lisi.get(f"/applicant/drafts/{theirs}").status_code == 404
    assert f"/applicant/drafts/{theirs}" not in lisi.get("/applicant/").get_data(as_text=True)
    form = lisi.get(f"{APPLY}?step=form&housing_fund.needed=true").get_data(as_text=True)
    assert "博罗县青禾餐饮管理有限公司" not in form and "继续填写草稿" not in form

    other = enterprise_answers()
    other["enterprise.name"] = "博罗县李四商贸有限公司"
    mine = save(lisi, other)
    assert mine != theirs
    session.expire_all()
    assert session.get(ApplicationDraft, theirs).answers["enterprise.name"] == (
        "博罗县青禾餐饮管理有限公司"
    )
    # Submitting lisi's application leaves zhangsan's draft alone.
    assert post(lisi, APPLY, other).status_code == 302
    session.expire_all()
    assert session.get(ApplicationDraft, theirs) is not None
    assert session.get(ApplicationDraft, mine) is None


def test_each_save_is_audited_without_the_answers(login, session, caplog):
    applicant = login("zhangsan")
    with caplog.at_level(logging.DEBUG):
        draft_id = save(applicant, enterprise_answers())
        save(applicant, enterprise_answers())
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "draft.saved")
            .where(AuditEvent.actor_id == user_id(session, "zhangsan"))
        )
    )
    assert len(events) == 2
    assert all(e.after["draft_id"] == draft_id for e in events)
    recorded = repr([(e.before, e.after, e.detail) for e in events])
    assert LEGAL_REP_ID not in recorded and "13712345678" not in recorded
    assert LEGAL_REP_ID not in caplog.text and "13712345678" not in caplog.text


def test_unknown_keys_are_dropped_and_oversized_drafts_refused(login, session):
    applicant = login("zhangsan")
    draft_id = save(applicant, {**half_filled(), "applicant.password": "secret"})
    session.expire_all()
    assert "applicant.password" not in session.get(ApplicationDraft, draft_id).answers

    too_long = post(applicant, SAVE, {**half_filled(), "enterprise.business_scope": "餐" * 5000})
    assert too_long.status_code == 422
    assert "经营范围”超过2000个字符" in too_long.get_data(as_text=True)
    session.expire_all()
    assert "enterprise.business_scope" not in session.get(ApplicationDraft, draft_id).answers


def _json_bytes(answers: dict) -> int:
    return len(json.dumps(answers, ensure_ascii=False).encode("utf-8"))


def _draft_of_bytes(size: int) -> dict:
    """Text in as many of the form's keys as it takes for the draft to be `size` bytes."""
    keys = [k for k, v in enterprise_answers().items() if not isinstance(v, list)]
    answers: dict = {}
    for key in keys:
        answers[key] = "餐" * 2000
        if _json_bytes(answers) >= size:
            break
    answers[key] = ""
    room = size - _json_bytes(answers)
    answers[key] = "餐" * (room // 3) + "x" * (room % 3)
    assert _json_bytes(answers) == size
    return answers


def test_a_draft_of_the_cap_is_kept_and_one_byte_more_is_refused(login, session):
    applicant = login("zhangsan")
    draft_id = save(applicant, _draft_of_bytes(64 * 1024))
    session.expire_all()
    assert _json_bytes(session.get(ApplicationDraft, draft_id).answers) == 64 * 1024

    refused = post(applicant, SAVE, _draft_of_bytes(64 * 1024 + 1))
    assert refused.status_code == 422
    assert "草稿内容过多" in refused.get_data(as_text=True)
    session.expire_all()
    assert _json_bytes(session.get(ApplicationDraft, draft_id).answers) == 64 * 1024


def _shareholders(count: int) -> dict:
    return {"shareholders": [{"name": f"股东{i}"} for i in range(count)]}


def test_rows_beyond_the_forms_cap_are_refused_not_cut(login, session):
    # 企业开办 allows 50 shareholders. The page used to drop every row past the 50th and
    # say the draft was saved.
    applicant = login("zhangsan")
    draft_id = save(applicant, _shareholders(50))
    session.expire_all()
    assert len(session.get(ApplicationDraft, draft_id).answers["shareholders"]) == 50

    refused = post(applicant, SAVE, {**_shareholders(51), "enterprise.name": "新名称"})
    assert refused.status_code == 422
    assert "草稿中“股东（发起人）出资情况”超过50行" in refused.get_data(as_text=True)
    session.expire_all()
    kept = session.get(ApplicationDraft, draft_id).answers
    assert len(kept["shareholders"]) == 50 and "enterprise.name" not in kept


def test_only_applicants_have_drafts(login, session):
    draft_id = save(login("zhangsan"), half_filled())
    window = login("window")
    assert window.post_form(SAVE, data=form_fields(half_filled())).status_code == 403
    assert window.get(f"/applicant/drafts/{draft_id}").status_code == 403
    assert session.scalar(select(func.count()).select_from(ApplicationDraft)) == 1


def test_submitting_through_the_api_also_turns_the_draft_into_the_case(login, session):
    client = login("zhangsan")
    save(client, half_filled())
    uid = user_id(session, "zhangsan")
    drafts = select(func.count()).select_from(ApplicationDraft)
    assert session.scalar(drafts.where(ApplicationDraft.applicant_id == uid)) == 1
    created = client.post_json(
        "/api/cases/", {"theme": "enterprise-opening", "answers": enterprise_answers()}
    )
    assert created.status_code == 201, created.get_json()
    assert session.scalar(drafts.where(ApplicationDraft.applicant_id == uid)) == 0
