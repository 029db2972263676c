"""The HTML pages people use: the one form with inline errors, the clerk's task page,
the case page; plus /healthz, the OpenAPI document and masking in logs."""

from __future__ import annotations

import io
import logging
import re

from sqlalchemy import func, select

from webapp.models import Case

from .conftest import LEGAL_REP_ID, enterprise_answers, form_fields


def test_guidance_then_one_form_then_case_page(login):
    applicant = login("zhangsan")
    guide = applicant.get("/applicant/apply/enterprise-opening").get_data(as_text=True)
    assert 'name="housing_fund.needed"' in guide  # the question comes first

    without = applicant.get("/applicant/apply/enterprise-opening?step=form").get_data(as_text=True)
    with_fund = applicant.get(
        "/applicant/apply/enterprise-opening?step=form&housing_fund.needed=true"
    ).get_data(as_text=True)
    assert 'name="housing_fund.rate"' not in without
    assert 'name="housing_fund.rate"' in with_fund
    # A shared field is asked once even though several items need it.
    assert with_fund.count('name="enterprise.name"') == 1

    answers = enterprise_answers()
    answers["legal_rep.id_number"] = LEGAL_REP_ID[:-1] + ("1" if LEGAL_REP_ID[-1] != "1" else "2")
    answers["contact.mobile"] = "12345"
    bad = applicant.post_form(
        "/applicant/apply/enterprise-opening",
        data=form_fields(answers) + [("csrf_token", applicant.csrf)],
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "法定代表人身份证号校验位错误" in page
    assert "申请表有 2 处需要修改" in page
    assert "博罗县青禾餐饮管理有限公司" in page  # what was typed is kept

    good = applicant.post_form(
        "/applicant/apply/enterprise-opening",
        data=form_fields(enterprise_answers()) + [("csrf_token", applicant.csrf)],
    )
    assert good.status_code == 302
    case_page = applicant.get(good.headers["Location"]).get_data(as_text=True)
    case_no = re.search(r"YJS-\d{8}-\d{6}", case_page).group(0)
    assert "综合受理" in case_page and "公章刻制备案" in case_page
    assert LEGAL_REP_ID not in case_page  # personal data masked on the overview
    assert LEGAL_REP_ID[:6] + "********" + LEGAL_REP_ID[-4:] in case_page
    assert case_no in applicant.get("/applicant/").get_data(as_text=True)


def test_approver_sees_only_their_items_fields(login, submit_case):
    case_no = submit_case()["case_no"]
    window, samr, psb = login("window"), login("samr"), login("psb")
    accept = next(
        t for t in window.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no
    )
    page = window.get(f"/clerk/tasks/{accept['id']}").get_data(as_text=True)
    assert "受理" in page and "bpmn-viewer" in page
    assert window.post_form(f"/clerk/tasks/{accept['id']}", data={}).status_code == 302
    registration = next(
        t for t in samr.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no
    )
    granted = samr.post_json(
        f"/api/tasks/{registration['id']}/complete",
        {"opinion": "同意", "result_no": "91441322MA5XXXXXX2"},
    )
    assert granted.status_code == 200, granted.get_json()

    seal = next(t for t in psb.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no)
    page = psb.get(f"/clerk/tasks/{seal['id']}").get_data(as_text=True)
    assert "印章种类" in page or "刻章" in page
    assert "参保" not in page.split("办理进度")[0]  # 人社局's data is not shown to 公安局
    assert "公积金缴存比例" not in page

    # Granting without an opinion is refused inline; with one it goes through.
    refused = psb.post_form(f"/clerk/tasks/{seal['id']}", data={"opinion": ""})
    assert refused.status_code == 422
    done = psb.post_form(f"/clerk/tasks/{seal['id']}", data={"opinion": "准予备案"})
    assert done.status_code == 302
    assert psb.get(f"/clerk/tasks/{seal['id']}").status_code == 200


def test_healthz_and_openapi(app, db):
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    spec = client.get("/api/openapi.json").get_json()
    assert spec["info"]["title"] == "YJS 一件事 API"
    assert {"/api/cases/", "/api/tasks/{task_id}/complete", "/api/themes/{code}/drafts"} <= set(
        spec["paths"]
    )


def test_oversized_upload_is_refused(login, app):
    analyst = login("analyst")
    big = "<x>" + "a" * (app.config["MAX_CONTENT_LENGTH"] + 1) + "</x>"
    response = analyst.post_xml("/api/themes/enterprise-opening/drafts", big)
    assert response.status_code == 413
    assert response.get_json()["message"] == "上传内容过大"


def test_logs_never_carry_full_id_numbers_or_phones(app, caplog):
    logger = logging.getLogger("webapp.test")
    with caplog.at_level(logging.INFO):
        logger.info("申请人 %s 手机 %s", LEGAL_REP_ID, "13812345678")
    text = caplog.text
    assert LEGAL_REP_ID not in text and "13812345678" not in text
    assert "138****5678" in text


def test_logged_exceptions_and_stacks_are_masked_too(app):
    # A plain handler with the standard formatter, as a server's log file has: the
    # traceback text is what it writes, not only the message.
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("webapp.test.tracebacks")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        try:
            raise ValueError(f"身份证号 {LEGAL_REP_ID} 与手机 13812345678 不符")
        except ValueError:
            logger.exception("提交失败")
        logger.info("查验 %s", "ok", stack_info=True)  # 441322198906120038 13812345678
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert "ValueError: 身份证号 441322********0038 与手机 138****5678 不符" in text
    assert "Stack (most recent call last)" in text and "# 441322********0038 138****5678" in text
    assert LEGAL_REP_ID not in text and "13812345678" not in text


def test_rows_beyond_the_forms_cap_are_an_error_not_a_silent_cut(login, session):
    # 企业开办 allows 50 shareholders; the page used to drop the 51st and register the
    # company without it.
    answers = enterprise_answers()
    founder = answers["shareholders"][0]
    answers["shareholders"] = [{**founder, "capital": "1"} for _ in range(51)]
    before = session.scalar(select(func.count()).select_from(Case))
    response = login("zhangsan").post_form(
        "/applicant/apply/enterprise-opening", data=form_fields(answers)
    )
    assert response.status_code == 422
    assert "股东（发起人）出资情况最多填写50项" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Case)) == before
