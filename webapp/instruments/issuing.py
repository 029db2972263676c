"""Issuing an instrument: numbered, rendered once, kept with the case, audited.

Services call `issue` in the transaction of the act the instrument records (and only
flush): if the act rolls back, so does the instrument and its number.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.accounts.models import User
from webapp.audit import trail
from webapp.cases.models import Case
from webapp.clock import now
from webapp.themes.published import published_theme

from .documents import render_html
from .kinds import kind as kind_of
from .models import Instrument

# Who issues the window's instruments unless the act names a department (a decision is
# issued by the item's department).
SERVICE_CENTRE = "政务服务中心综合受理窗口"


def issue(
    session: Session,
    actor: User | None,
    case: Case,
    kind_code: str,
    facts: dict[str, Any],
    *,
    title: str | None = None,
    office: str | None = None,
    public_url: str | None = None,
) -> Instrument:
    """Issue one instrument of `kind_code` for `case` saying `facts` (JSON-ready);
    `public_url`, when given, is what its QR code leads to instead of the 办件查询."""
    kind = kind_of(kind_code)
    at = now()
    number = _next_number(session, case, kind.code, kind.letters)
    title = title or kind.title
    office = office or SERVICE_CENTRE
    html = render_html(
        kind,
        number=number,
        title=title,
        case_no=case.case_no,
        theme_name=published_theme(case.theme_version).name,
        office=office,
        issued_at=at,
        facts=facts,
        public_url=public_url,
    )
    instrument = Instrument(
        case_id=case.id,
        kind=kind.code,
        number=number,
        title=title,
        issued_at=at,
        issued_by_id=actor.id if actor else None,
        facts=facts,
        html=html,
        digest=hashlib.sha256(html.encode("utf-8")).hexdigest(),
    )
    session.add(instrument)
    session.flush()
    trail.record(
        session,
        actor,
        "instrument.issued",
        case=case,
        after={"kind": kind.code, "number": number, "title": title, "digest": instrument.digest},
    )
    return instrument


def _next_number(session: Session, case: Case, kind_code: str, letters: str) -> str:
    # The case is locked (or new) while anything is issued for it: counting is enough.
    count = session.scalar(
        select(func.count(Instrument.id)).where(
            Instrument.case_id == case.id, Instrument.kind == kind_code
        )
    )
    return f"{case.case_no}-{letters}{count + 1:02d}"


def instruments_of(session: Session, case: Case) -> list[Instrument]:
    """The case's instruments, oldest first (without their documents)."""
    stmt = select(Instrument).where(Instrument.case_id == case.id).order_by(Instrument.id)
    return list(session.scalars(stmt))


def find(session: Session, number: str) -> Instrument | None:
    return session.scalars(select(Instrument).where(Instrument.number == number)).one_or_none()
