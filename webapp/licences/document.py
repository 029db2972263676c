"""The e-licence as a document (电子证照 PDF), issued through the instruments framework.

Once per licence: numbered like every instrument of its case (`<case number>-ZZ01`),
rendered once and kept unchanged, issuing audited; its QR code and URL lead to the public
证照核验 with the licence number (never to the case). A 撤销 later does not touch it: the
check answers 已撤销, and the wallet no longer offers the download.

- `issue_document(session, actor, licence, item_name)`: at the grant, in its transaction.
- `document_of(session, licence)`: the licence's instrument, None before one was issued.
- `ensure_document(session, actor, licence)`: the instrument, issuing it first for a
  licence granted before licences had one.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.accounts.models import User
from webapp.cases.models import Case
from webapp.instruments import issuing
from webapp.instruments.models import Instrument
from webapp.licences import wallet
from webapp.licences.models import ELicence
from webapp.themes.published import published_theme

KIND = "licence"


def issue_document(
    session: Session, actor: User | None, licence: ELicence, item_name: str
) -> Instrument:
    case = session.get(Case, licence.case_id)
    facts = {
        "licence_id": licence.id,
        "name": licence.name,
        "number": licence.number,
        "holder": wallet.holder_name(licence),
        "department": licence.department.name,
        "issued_at": licence.issued_at.isoformat(),
        "item": item_name,
        "check_code": licence.check_code,
    }
    return issuing.issue(
        session, actor, case, KIND, facts,
        title=licence.name, office=licence.department.name,
        public_url=wallet.verify_url(licence.number),
    )  # fmt: skip


def document_of(session: Session, licence: ELicence) -> Instrument | None:
    # A case issues few licences: its licence instruments are read and matched by id.
    stmt = select(Instrument).where(Instrument.case_id == licence.case_id, Instrument.kind == KIND)
    return next((i for i in session.scalars(stmt) if i.facts.get("licence_id") == licence.id), None)


def ensure_document(session: Session, actor: User | None, licence: ELicence) -> Instrument:
    found = document_of(session, licence)
    if found is not None:
        return found
    case = session.get(Case, licence.case_id)
    item = next(
        (i.name for i in published_theme(case.theme_version).items if i.code == licence.item_code),
        licence.item_code,
    )
    return issue_document(session, actor, licence, item)
