"""证照夹: a granted e-licence in its holder's wallet, printable, and verifiable by anyone."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from webapp import clock
from webapp.domain_errors import Conflict, Invalid
from webapp.licences import revocation
from webapp.models import AuditEvent, Case, ELicence, User
from webapp.parties import case_parties
from webapp.parties.models import Capacity

from .conftest import form_fields
from .test_case_workflow import _accept, _act, _task
from .test_guidance import RESTAURANT_APPLY, restaurant_answers

USCC = "91441322MA4X0001X8"
COMPANY = "博罗县青禾餐饮管理有限公司"


def _granted(login, submit_case, session) -> tuple[str, ELicence]:
    case_no = submit_case("zhangsan", housing_fund=False)["case_no"]
    _accept(login, case_no)
    samr = login("samr")
    _act(
        samr,
        _task(samr, case_no)["id"],
        {"action": "grant", "opinion": "同意", "result_no": USCC},
    )
    session.expire_all()
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    (licence,) = session.scalars(select(ELicence).where(ELicence.case_id == case.id))
    return case_no, licence


def _rows(page: str) -> list[str]:
    return re.findall(r"<tr data-status=\"\w+\">(.*?)</tr>", page, re.S)


def test_the_applicant_finds_the_licence_in_the_wallet_and_prints_it(login, submit_case, session):
    case_no, licence = _granted(login, submit_case, session)
    zhangsan = login("zhangsan")
    page = zhangsan.get("/applicant/licences").get_data(as_text=True)
    (row,) = _rows(page)
    for shown in ("营业执照", USCC, COMPANY, "市场监管局", "有效", case_no):
        assert shown in row, shown
    # The 营业执照 is the company's: its number is the company's USCC.
    assert licence.party.number == USCC and licence.party.name == COMPANY
    sheet = zhangsan.get(f"/applicant/licences/{licence.id}")
    assert sheet.status_code == 200
    text = sheet.get_data(as_text=True)
    assert licence.check_code in text and "打印" in text and "<svg" in text
    assert "/licences/verify?no=" + USCC in text
    # Someone else's wallet neither lists nor opens it.
    lisi = login("lisi")
    assert USCC not in lisi.get("/applicant/licences").get_data(as_text=True)
    assert lisi.get(f"/applicant/licences/{licence.id}").status_code == 404
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "licence.issued")).all()[
        -1
    ]
    assert event.after["holder"] == "博罗*******有限公司"


def test_every_account_acting_for_the_company_sees_its_licence(login, submit_case, session):
    _, licence = _granted(login, submit_case, session)
    lisi = login("lisi")
    assert lisi.get(f"/applicant/licences/{licence.id}").status_code == 404
    user = session.scalars(select(User).where(User.username == "lisi")).one()
    case_parties.link_account(session, None, licence.party, user, Capacity.AGENT)
    session.commit()
    (row,) = _rows(lisi.get("/applicant/licences").get_data(as_text=True))
    assert USCC in row and "有效" in row
    assert lisi.get(f"/applicant/licences/{licence.id}").status_code == 200


def test_a_revoked_licence_says_so_in_the_wallet_and_at_the_check(login, submit_case, session):
    _, licence = _granted(login, submit_case, session)
    revocation.revoke(session, None, licence, "核查发现虚假承诺", clock.now())
    session.commit()
    zhangsan = login("zhangsan")
    (row,) = _rows(zhangsan.get("/applicant/licences").get_data(as_text=True))
    assert "已撤销" in row
    assert "本证照已撤销" in zhangsan.get(f"/applicant/licences/{licence.id}").get_data(
        as_text=True
    )
    checked = _check(login("lisi"), USCC, licence.check_code)
    assert checked.status_code == 200
    assert "已撤销" in checked.get_data(as_text=True)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "licence.revoked")).one()
    assert event.detail == "核查发现虚假承诺"
    with pytest.raises(Conflict):
        revocation.revoke(session, None, licence, "再次撤销", clock.now())
    with pytest.raises(Invalid):
        revocation.revoke(session, None, licence, "  ", clock.now())


def _check(client, number: str, code: str):
    return client.post_form("/licences/verify", data={"no": number, "code": code})


def test_anyone_verifies_a_licence_by_number_and_check_code(app, login, submit_case, session):
    _, licence = _granted(login, submit_case, session)
    visitor = app.test_client()
    form = visitor.get(f"/licences/verify?no={USCC}").get_data(as_text=True)
    assert USCC in form
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', form).group(1)

    def check(number, code):
        return visitor.post(
            "/licences/verify", data={"no": number, "code": code, "csrf_token": csrf}
        )

    found = check(USCC, licence.check_code.lower())
    assert found.status_code == 200
    text = found.get_data(as_text=True)
    assert "核验通过：该证照真实有效" in text and "营业执照" in text and "有效" in text
    # No personal data: the holder's name masked, no ID number, no case.
    assert "博罗*******有限公司" in text and COMPANY not in text
    assert "441302199203050028" not in text and "张三" not in text and "YJS-" not in text
    wrong = check(USCC, "ZZZZZZ")
    unknown = check("91441322MA4X0009XX", licence.check_code)
    assert wrong.status_code == unknown.status_code == 404
    message = "未核验到该证照：证照编号或核验码不正确"
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert "核验通过" not in wrong.get_data(as_text=True)


def test_guessing_check_codes_locks_the_number(app, login, submit_case, session):
    _, licence = _granted(login, submit_case, session)
    lisi = login("lisi")
    for _ in range(10):
        assert _check(lisi, USCC, "ZZZZZZ").status_code == 404
    locked = _check(lisi, USCC, licence.check_code)
    assert locked.status_code == 429
    assert "错误次数过多" in locked.get_data(as_text=True)
    assert "核验通过" not in locked.get_data(as_text=True)


# --- reuse: a held licence replaces the material it is ----------------------------------


def _restaurant(registered_as: str) -> list[tuple[str, str]]:
    answers = restaurant_answers()
    answers.update({"enterprise.registered": True, "enterprise.uscc": registered_as})
    return form_fields(answers)


def _yyzz(page: str) -> str:
    return page.split('data-material="CL-YYZZ"')[1].split('data-material="')[0]


def test_a_held_business_licence_is_called_up_instead_of_asked(login, submit_case, session):
    _, licence = _granted(login, submit_case, session)
    zhangsan = login("zhangsan")
    # At form time: the one form says the licence is called up, nothing to upload.
    form = zhangsan.post_form(f"{RESTAURANT_APPLY}/draft", data=_restaurant(USCC))
    assert form.status_code == 302
    page = zhangsan.get(form.headers["Location"]).get_data(as_text=True)
    assert f"免提交：已调用电子证照《营业执照》（证号 {USCC}）" in _yyzz(page)
    # Submitted without it: the case's material set and the front desk say the same.
    submitted = zhangsan.post_form(RESTAURANT_APPLY, data=_restaurant(USCC))
    assert submitted.status_code == 302, submitted.get_data(as_text=True)[:500]
    case_no = re.search(r"YJS-\d{8}-\d{6}", submitted.headers["Location"]).group(0)
    case_page = zhangsan.get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    assert f"已调用电子证照《营业执照》（证号 {USCC}）" in _yyzz(case_page)
    desk = login("window").get(f"/clerk/cases/{case_no}").get_data(as_text=True)
    assert f"免提交：已调用电子证照《营业执照》（证号 {USCC}）" in _yyzz(desk)

    # Revoked: it no longer replaces anything, and the form asks for the 营业执照 again.
    licence.status = "revoked"
    session.commit()
    again = zhangsan.post_form(RESTAURANT_APPLY, data=_restaurant(USCC))
    assert again.status_code == 422
    part = _yyzz(again.get_data(as_text=True))
    assert "免提交" not in part and "上传" in part


def test_someone_else_s_licence_exempts_nothing(login, submit_case, session):
    _granted(login, submit_case, session)
    lisi = login("lisi")
    refused = lisi.post_form(RESTAURANT_APPLY, data=_restaurant(USCC))
    assert refused.status_code == 422
    assert "免提交" not in _yyzz(refused.get_data(as_text=True))


# --- prefill (智能填报) ------------------------------------------------------------------


def _form_page(client, registered: bool, operator_form: str = "enterprise") -> str:
    query = (
        "step=form&restaurant.floor_area=120&restaurant.seats=40&restaurant.outdoor_sign=false"
        f"&enterprise.registered={'true' if registered else 'false'}&operator.form={operator_form}"
    )
    page = client.get(f"{RESTAURANT_APPLY}?{query}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _value(page: str, key: str) -> str | None:
    found = re.search(rf'<input name="{re.escape(key)}" value="([^"]*)"', page)
    return found.group(1) if found else None


def test_the_form_fills_in_the_company_from_the_held_business_licence(login, submit_case, session):
    _granted(login, submit_case, session)
    zhangsan = login("zhangsan")
    page = _form_page(zhangsan, registered=True)
    assert _value(page, "enterprise.name") == COMPANY
    assert _value(page, "enterprise.uscc") == USCC
    note = page.split('id="licence-prefill"')[1].split("</p>")[0]
    assert f"已从电子证照《营业执照》（证号 {USCC}）填入：企业名称、统一社会信用代码" in note

    # Not registered yet: this case issues a 营业执照 for a new company; nothing is taken
    # from the one held.
    fresh = _form_page(zhangsan, registered=False)
    assert _value(fresh, "enterprise.name") in (None, "") and 'id="licence-prefill"' not in fresh
    # Someone holding no 营业执照 gets an empty form.
    other = _form_page(login("lisi"), registered=True)
    assert _value(other, "enterprise.uscc") in (None, "") and 'id="licence-prefill"' not in other


def test_a_revoked_licence_fills_in_nothing(login, submit_case, session):
    _, licence = _granted(login, submit_case, session)
    licence.status = "revoked"
    session.commit()
    page = _form_page(login("zhangsan"), registered=True)
    assert _value(page, "enterprise.uscc") in (None, "") and 'id="licence-prefill"' not in page
