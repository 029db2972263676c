"""Written instruments (文书): each act issues its instrument, numbered and kept with the
case; the PDF says what the law asks it to say (read back out of the PDF as text); an
issued instrument never changes afterwards; issuing is an audit event."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from webapp.audit.models import AuditEvent
from webapp.clock import today
from webapp.instruments.models import Instrument
from webapp.models import Case, TaskStatus


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages).replace(" ", "")


def _case(session, case_no):
    return session.scalars(select(Case).where(Case.case_no == case_no)).one()


def _instruments(session, case_no):
    case = _case(session, case_no)
    stmt = select(Instrument).where(Instrument.case_id == case.id).order_by(Instrument.id)
    return list(session.scalars(stmt))


def _open_task(session, case_no, kind):
    case = _case(session, case_no)
    return next(t for t in case.tasks if t.kind == kind and t.status == TaskStatus.OPEN)


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
