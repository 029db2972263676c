"""Written instruments (文书): each act issues its instrument, numbered and kept with the
case; the PDF says what the law asks it to say (read back out of the PDF as text); an
issued instrument never changes afterwards; issuing is an audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
import segno
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from webapp.audit.models import AuditEvent
from webapp.clock import today
from webapp.instruments.models import Instrument
from webapp.models import Case


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    # Lines wrap where the page ends them: the text is compared without breaks and spaces.
    text = "".join(page.extract_text() for page in reader.pages)
    return text.replace(" ", "").replace("\n", "")


def _case(session, case_no):
    return session.scalars(select(Case).where(Case.case_no == case_no)).one()


def _instruments(session, case_no):
    case = _case(session, case_no)
    stmt = select(Instrument).where(Instrument.case_id == case.id).order_by(Instrument.id)
    return list(session.scalars(stmt))


def _pdf(client, instrument):
    response = client.get(f"/instruments/{instrument.number}/pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    return pdf_text(response.data)


def test_submission_issues_a_receipt_with_the_query_code(session, submit_case, login):
    case_no = submit_case()["case_no"]
    [receipt] = _instruments(session, case_no)
    case = _case(session, case_no)
    assert receipt.kind == "receipt"
    assert receipt.number == f"{case_no}-SJ01"
    text = _pdf(login("zhangsan"), receipt)
    assert "申请材料接收凭证" in text
    assert receipt.number in text and case_no in text
    assert case.query_code and len(case.query_code) == 6
    assert case.query_code in text
    issued = today(case.submitted_at)
    assert f"{issued.year}年{issued.month}月{issued.day}日" in text
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.case_id == case.id, AuditEvent.action == "instrument.issued"
        )
    ).all()
    assert [e.after["number"] for e in events] == [receipt.number]


# --- acting through the API, as the workbench does ---------------------------------------


def _task(client, case_no):
    response = client.get("/api/tasks/?view=all")
    assert response.status_code == 200, response.get_json()
    (task,) = [t for t in response.get_json()["tasks"] if t["case_no"] == case_no]
    return task


def _act(client, case_no, payload):
    task = _task(client, case_no)
    response = client.post_json(f"/api/tasks/{task['id']}/complete", payload)
    assert response.status_code == 200, response.get_json()


def _chinese(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


RIGHTS = ("六十日内", "行政复议", "六个月内", "行政诉讼")


def _latest(session, case_no, kind):
    session.expire_all()
    return [i for i in _instruments(session, case_no) if i.kind == kind][-1]


def test_acceptance_with_a_gap_issues_the_notice_and_the_promise(session, submit_case, login):
    case_no = submit_case(housing_fund=False)["case_no"]
    window = login("window")
    # A 容缺 promise must fall within the case's committed completion (4 working days here).
    promised = today() + dt.timedelta(days=2)
    _act(
        window,
        case_no,
        {
            "action": "accept_with_gap",
            "gaps": [{"material": "CL-SQWTS", "promised_date": str(promised)}],
        },
    )
    case = _case(session, case_no)
    notice = _latest(session, case_no, "acceptance")
    assert notice.number == f"{case_no}-SL01"
    text = _pdf(window, notice)
    assert "受理通知书" in text and notice.number in text and case_no in text
    assert _chinese(today(case.accepted_at)) in text
    # The committed completion date, and the items accepted with their departments.
    assert _chinese(today(case.promised_at)) in text
    assert "企业设立登记市场监管局1个工作日" in text
    assert "单位参保登记人社局即办" in text
    promise = _latest(session, case_no, "gap_promise")
    text = _pdf(login("zhangsan"), promise)
    assert "容缺受理告知承诺书" in text and promise.number in text
    assert "授权委托书" in text and _chinese(promised) in text
    assert "暂缓出件" in text  # what happens if the promise is missed


def test_refusal_says_the_reason_the_basis_and_the_rights(session, submit_case, login):
    case_no = submit_case()["case_no"]
    window = login("window")
    _act(window, case_no, {"action": "refuse", "reason": "申请事项不属于本机关职权范围"})
    refusal = _latest(session, case_no, "refusal")
    text = _pdf(login("zhangsan"), refusal)
    assert "不予受理决定书" in text and refusal.number in text and case_no in text
    assert "申请事项不属于本机关职权范围" in text
    assert "行政许可法》第三十二条" in text
    assert all(words in text for words in RIGHTS)
    assert _chinese(today()) in text


def test_correction_notice_lists_everything_to_fix_at_once(session, submit_case, login):
    case_no = submit_case()["case_no"]
    window = login("window")
    _act(
        window,
        case_no,
        {
            "action": "correct",
            "fields": ["legal_rep.mobile", "enterprise.address.detail"],
            "materials": ["CL-GSZC"],
            "note": "住所门牌号与租赁合同不一致",
        },
    )
    notice = _latest(session, case_no, "correction")
    text = _pdf(login("zhangsan"), notice)
    assert "一次性补正告知书" in text and notice.number in text
    for asked in ("法定代表人手机号", "住所详细地址", "公司章程", "住所门牌号与租赁合同不一致"):
        assert asked in text
    assert "补正期间不计入办理时限" in text


def test_item_decisions_are_titled_by_item_type_and_a_denial_gives_rights(
    session, submit_case, login
):
    case_no = submit_case()["case_no"]
    _act(login("window"), case_no, {"action": "accept", "opinion": "予以受理"})
    samr = login("samr")
    _act(samr, case_no, {"action": "grant", "opinion": "同意", "result_no": "91441322MA4X0002X9"})
    grant = _latest(session, case_no, "grant")
    text = _pdf(samr, grant)
    # 企业设立登记 is a 行政许可 in the catalog: 准予行政许可决定书, by the department.
    assert grant.title == "准予行政许可决定书" and "准予行政许可决定书" in text
    assert "准予许可" in text and "91441322MA4X0002X9" in text and "市场监管局" in text
    psb = login("psb")
    _act(psb, case_no, {"action": "deny", "reason": "刻章企业未备案"})
    denial = _latest(session, case_no, "denial")
    text = _pdf(login("zhangsan"), denial)
    # 印章刻制备案 is 其他行政权力: the words for it, the reason, its legal basis, the rights.
    assert denial.title == "不予办理通知书" and "不予办理通知书" in text
    assert "刻章企业未备案" in text and "公安局" in text
    assert "印章管理的规定》（国发〔1999〕25号）" in text  # the item's legal basis
    assert all(words in text for words in RIGHTS)


def test_delivery_notice_says_what_was_delivered_and_how(session, submit_case, login):
    case_no = submit_case(housing_fund=False)["case_no"]
    _act(login("window"), case_no, {"action": "accept", "opinion": "予以受理"})
    _act(
        login("samr"),
        case_no,
        {"action": "grant", "opinion": "同意", "result_no": "91441322MA4X0002X9"},
    )
    for name in ("psb", "tax", "hrss"):
        _act(login(name), case_no, {"action": "grant", "opinion": "同意"})
    window = login("window")
    _act(window, case_no, {"action": "deliver", "tracking_no": "EMS1234567"})
    notice = _latest(session, case_no, "delivery")
    text = _pdf(login("zhangsan"), notice)
    assert "出件通知书" in text and notice.number in text and case_no in text
    assert "邮政寄递" in text and "EMS1234567" in text
    assert "营业执照" in text and "91441322MA4X0002X9" in text
    # Every act left its instrument, each number once: receipt, acceptance, four decisions,
    # the 营业执照 itself (an e-licence), delivery.
    numbers = [i.number for i in _instruments(session, case_no)]
    assert len(numbers) == len(set(numbers)) == 1 + 1 + 4 + 1 + 1
    assert f"{case_no}-ZZ01" in numbers


def test_an_issued_instrument_never_changes_when_the_theme_changes(session, submit_case, login):
    case_no = submit_case()["case_no"]
    receipt = _latest(session, case_no, "receipt")
    applicant = login("zhangsan")
    html_before = applicant.get(f"/instruments/{receipt.number}").get_data(as_text=True)
    pdf_before = _pdf(applicant, receipt)
    assert "企业开办一件事" in pdf_before and "企业设立登记" in pdf_before
    # The theme is renamed and its items' names change (a new catalog reaching the very
    # version of this case: other content, other digest, as caches key on it).
    case = _case(session, case_no)
    version = case.theme_version
    definition = dict(version.definition)
    definition["name"] = "新名称的主题"
    definition["items"] = [{**i, "name": "改名后的事项"} for i in definition["items"]]
    version.definition = definition
    version.digest = "renamed-after-issue"
    version.theme.name = "新名称的主题"
    session.commit()
    # What is issued from now on says the new names ...
    _act(login("window"), case_no, {"action": "accept", "opinion": "予以受理"})
    acceptance = _latest(session, case_no, "acceptance")
    assert "改名后的事项" in _pdf(applicant, acceptance)
    # ... what was issued says what it said, to the byte.
    assert applicant.get(f"/instruments/{receipt.number}").get_data(as_text=True) == html_before
    assert _pdf(applicant, receipt) == pdf_before
    session.expire_all()
    kept = _latest(session, case_no, "receipt")
    assert hashlib.sha256(kept.html.encode()).hexdigest() == kept.digest


def test_the_case_pages_list_the_instruments(session, submit_case, login):
    case_no = submit_case()["case_no"]
    receipt = _latest(session, case_no, "receipt")
    for who, url in (
        ("zhangsan", f"/applicant/cases/{case_no}"),
        ("window", f"/clerk/cases/{case_no}"),
    ):
        page = login(who).get(url).get_data(as_text=True)
        assert "申请材料接收凭证" in page and receipt.number in page
        assert f"/instruments/{receipt.number}/pdf" in page
    # Someone else's instrument is not found, not forbidden: nothing is revealed.
    assert login("lisi").get(f"/instruments/{receipt.number}").status_code == 404
    assert login("lisi").get(f"/instruments/{receipt.number}/pdf").status_code == 404


def test_the_qr_code_encodes_the_public_query_of_the_case(app, session, submit_case, login):
    case_no = submit_case()["case_no"]
    receipt = _latest(session, case_no, "receipt")
    html = login("zhangsan").get(f"/instruments/{receipt.number}").get_data(as_text=True)
    url = f"{app.config['PUBLIC_URL']}/query?no={case_no}"
    assert url in html  # printed under the code
    png = io.BytesIO()
    # The SVG in the document, drawn by the browser in the e2e test; here: the same code.
    segno.make(url, error="m").save(png, kind="png", scale=4)
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.getvalue())))
    assert found.text == url
    assert "<svg" in html


@pytest.mark.postgres
def test_postgres_refuses_to_change_or_remove_an_issued_instrument(
    session, is_postgres, submit_case
):
    if not is_postgres:
        pytest.skip("the trigger is PostgreSQL's; SQLite relies on the app never updating")
    case_no = submit_case()["case_no"]
    receipt = _latest(session, case_no, "receipt")
    for sql in (
        "UPDATE instruments SET html = 'forged' WHERE id = :id",
        "DELETE FROM instruments WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="immutable"), session.begin_nested():
            session.execute(text(sql), {"id": receipt.id})
