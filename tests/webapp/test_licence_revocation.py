"""撤销 by the issuing department, the licence PDF (an instrument), and what a revoked
licence changes for the holder's next application."""

from __future__ import annotations

import re

from sqlalchemy import select

from webapp.models import AuditEvent, Case, ELicence, Instrument, OutboxMessage, User

from .test_guidance import RESTAURANT_APPLY
from .test_instruments import pdf_text
from .test_licence_wallet import COMPANY, USCC, _granted, _restaurant, _yyzz

CALLED_UP = f"已调用电子证照《营业执照》（证号 {USCC}）"
NOTICE = "/notice/restaurant-opening?restaurant.floor_area=120&restaurant.seats=40" + (
    "&restaurant.outdoor_sign=false&enterprise.registered=true&operator.form=enterprise"
)


def _revoke(client, licence_id: int, **form):
    return client.post_form(f"/clerk/licences/{licence_id}/revoke", data=form)


def test_the_issuing_department_revokes_with_a_reason_and_the_holder_is_told(
    login, submit_case, session
):
    case_no, licence = _granted(login, submit_case, session)
    samr = login("samr")
    # The case page of the department that issued it offers the 撤销.
    desk = samr.get(f"/clerk/cases/{case_no}").get_data(as_text=True)
    assert f"/clerk/licences/{licence.id}/revoke" in desk
    form = samr.get(f"/clerk/licences/{licence.id}/revoke").get_data(as_text=True)
    assert USCC in form and COMPANY in form and "确认撤销" in form

    # No reason, or no confirmation: refused with the reason why, nothing changed.
    no_reason = _revoke(samr, licence.id, reason=" ", confirm="true")
    assert no_reason.status_code == 422 and "请填写撤销理由" in no_reason.get_data(as_text=True)
    unconfirmed = _revoke(samr, licence.id, reason="以欺骗手段取得许可")
    assert unconfirmed.status_code == 422
    assert "请勾选确认撤销" in unconfirmed.get_data(as_text=True)
    session.expire_all()
    assert session.get(ELicence, licence.id).status == "valid"

    done = _revoke(samr, licence.id, reason="以欺骗手段取得许可", confirm="true")
    assert done.status_code == 302
    session.expire_all()
    revoked = session.get(ELicence, licence.id)
    assert revoked.status == "revoked" and revoked.revoked_at is not None
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "licence.revoked")).one()
    actor = session.get(User, event.actor_id)
    assert actor.username == "samr" and event.detail == "以欺骗手段取得许可"
    told = session.scalars(
        select(OutboxMessage).where(OutboxMessage.event == "licence_revoked")
    ).all()
    zhangsan = session.scalars(select(User).where(User.username == "zhangsan")).one()
    assert {m.user_id for m in told} == {zhangsan.id}
    assert any("以欺骗手段取得许可" in m.body and USCC in m.body for m in told)
    assert all("以欺骗" not in m.body for m in told if m.channel == "sms")

    # Once is all: the page says so, a second post is refused.
    again = samr.get(f"/clerk/licences/{licence.id}/revoke").get_data(as_text=True)
    assert "已撤销" in again and "revoke-button" not in again and "以欺骗手段取得许可" in again
    sheet = login("zhangsan").get(f"/applicant/licences/{licence.id}").get_data(as_text=True)
    assert "本证照已撤销" in sheet and "撤销理由：以欺骗手段取得许可" in sheet
    assert _revoke(samr, licence.id, reason="再撤", confirm="true").status_code == 409


def test_only_the_issuing_department_s_approvers_revoke(login, submit_case, session):
    _, licence = _granted(login, submit_case, session)
    # 公安局 approves in the same case, but did not issue the 营业执照: nothing revealed.
    assert login("psb").get(f"/clerk/licences/{licence.id}/revoke").status_code == 404
    assert _revoke(login("psb"), licence.id, reason="x", confirm="true").status_code == 404
    # The window is no approver; the holder is no clerk.
    assert login("window").get(f"/clerk/licences/{licence.id}/revoke").status_code == 403
    assert login("zhangsan").get(f"/clerk/licences/{licence.id}/revoke").status_code == 403
    session.expire_all()
    assert session.get(ELicence, licence.id).status == "valid"


def test_revocation_makes_the_material_required_again(login, submit_case, session):
    _, licence = _granted(login, submit_case, session)
    zhangsan = login("zhangsan")
    # Held: the form and the applicant's 一次告知书 both say it is called up.
    draft = zhangsan.post_form(f"{RESTAURANT_APPLY}/draft", data=_restaurant(USCC))
    page = zhangsan.get(draft.headers["Location"]).get_data(as_text=True)
    assert f"免提交：{CALLED_UP}" in _yyzz(page)
    notice = zhangsan.get(NOTICE).get_data(as_text=True)
    assert CALLED_UP in notice.split('data-exempt="CL-YYZZ"')[1].split("</tr>")[0]
    # The public notice (nobody logged in) names nobody's licence.
    public = login("lisi").get(NOTICE).get_data(as_text=True)
    assert USCC not in public and 'data-material="CL-YYZZ"' in public
    # A case submitted while it was held called it up, and keeps it so.
    submitted = zhangsan.post_form(RESTAURANT_APPLY, data=_restaurant(USCC))
    assert submitted.status_code == 302
    earlier_case = re.search(r"YJS-\d{8}-\d{6}", submitted.headers["Location"]).group(0)

    assert _revoke(login("samr"), licence.id, reason="吊销", confirm="true").status_code == 302
    zhangsan = login("zhangsan")
    draft = zhangsan.post_form(f"{RESTAURANT_APPLY}/draft", data=_restaurant(USCC))
    page = zhangsan.get(draft.headers["Location"]).get_data(as_text=True)
    part = _yyzz(page)
    assert "免提交" not in part and "上传" in part
    notice = zhangsan.get(NOTICE).get_data(as_text=True)
    assert 'data-exempt="CL-YYZZ"' not in notice and 'data-material="CL-YYZZ"' in notice
    # Submitting without it is refused now, naming the material.
    refused = zhangsan.post_form(RESTAURANT_APPLY, data=_restaurant(USCC))
    assert refused.status_code == 422
    assert "营业执照" in _yyzz(refused.get_data(as_text=True))
    # Not retroactively: the case submitted before still had it called up, for the applicant
    # and at the window alike.
    case_page = zhangsan.get(f"/applicant/cases/{earlier_case}").get_data(as_text=True)
    assert CALLED_UP in _yyzz(case_page)
    desk = login("window").get(f"/clerk/cases/{earlier_case}").get_data(as_text=True)
    assert f"免提交：{CALLED_UP}" in _yyzz(desk)


def test_the_licence_downloads_as_a_numbered_pdf_issued_once(app, login, submit_case, session):
    case_no, licence = _granted(login, submit_case, session)
    (document,) = session.scalars(select(Instrument).where(Instrument.kind == "licence")).all()
    assert document.number == f"{case_no}-ZZ01" and document.title == "营业执照"
    verify = f"{app.config['PUBLIC_URL']}/licences/verify?no={USCC}"
    assert verify in document.html and f"/query?no={case_no}" not in document.html
    zhangsan = login("zhangsan")
    wallet_page = zhangsan.get("/applicant/licences").get_data(as_text=True)
    assert f"/applicant/licences/{licence.id}/pdf" in wallet_page and "下载PDF" in wallet_page

    pdf = zhangsan.get(f"/applicant/licences/{licence.id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert f"{document.number}.pdf" in pdf.headers["Content-Disposition"]
    text = pdf_text(pdf.data)
    for shown in ("营业执照", USCC, COMPANY, licence.check_code, "市场监管局", document.number):
        assert shown in text, shown
    assert "/licences/verify" in text
    # Downloaded again: the same document, never a second one.
    zhangsan.get(f"/applicant/licences/{licence.id}/pdf")
    assert len(session.scalars(select(Instrument).where(Instrument.kind == "licence")).all()) == 1
    assert login("lisi").get(f"/applicant/licences/{licence.id}/pdf").status_code == 404

    # Revoked: no longer offered; the check says why.
    _revoke(login("samr"), licence.id, reason="吊销", confirm="true")
    zhangsan = login("zhangsan")
    assert zhangsan.get(f"/applicant/licences/{licence.id}/pdf").status_code == 409
    assert "下载PDF" not in zhangsan.get("/applicant/licences").get_data(as_text=True)


def test_a_licence_granted_before_documents_gets_one_at_its_first_download(
    login, submit_case, session
):
    case_no, licence = _granted(login, submit_case, session)
    # As the wallet held licences before they were issued as instruments: none kept.
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    legacy = ELicence(
        holder_id=licence.holder_id, party_id=licence.party_id, case_id=case.id,
        item_code=licence.item_code, name="食品经营许可证", number="JY14413220000001",
        department_id=licence.department_id, check_code="QWE234",
    )  # fmt: skip
    session.add(legacy)
    session.commit()
    pdf = login("zhangsan").get(f"/applicant/licences/{legacy.id}/pdf")
    assert pdf.status_code == 200
    assert "JY14413220000001" in pdf_text(pdf.data)
    numbers = session.scalars(
        select(Instrument.number).where(Instrument.kind == "licence").order_by(Instrument.id)
    ).all()
    assert numbers == [f"{case_no}-ZZ01", f"{case_no}-ZZ02"]
    assert re.search(r"-ZZ02$", numbers[-1])
