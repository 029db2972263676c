"""办件查询: anyone holding a case number and its query code (printed on the 收件凭证), or
the last 6 characters of the applicant's ID number, sees the case's progress and dates.

What it shows is public by design (一码贯通): the theme, the status, each step with its
department and dates — never names, numbers, answers, reasons or files. Guessing is
throttled by the rate limiter (views/portal.py); a wrong code and an unknown number get the
same answer, so the query never tells which case numbers exist.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases.models import Case, CaseStatus
from webapp.cases.progress import item_progress
from webapp.themes.published import published_theme

# No 0/O, 1/I/L: the code is read off paper and typed on a phone.
QUERY_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
QUERY_CODE_LENGTH = 6
# The answers that hold the applicant's own ID number (field dictionary keys), in order.
APPLICANT_ID_KEYS = ("applicant.id_number", "legal_rep.id_number")
ID_TAIL_LENGTH = 6


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


@dataclass(frozen=True)
class PublicProgress:
    """What the public query shows of a case."""

    case_no: str
    theme_name: str
    status_label: str
    submitted_at: dt.datetime
    accepted_at: dt.datetime | None
    promised_at: dt.datetime | None
    completed_at: dt.datetime | None
    steps: list[dict]  # name, department, label, state, completed_at, due_at


def find_case(session: Session, case_no: str, code: str) -> Case | None:
    """The case when `code` opens it, else None (unknown number or wrong code alike)."""
    case = session.scalars(select(Case).where(Case.case_no == case_no.strip())).one_or_none()
    if case is None or not _opens(case, code):
        return None
    return case


def _opens(case: Case, code: str) -> bool:
    given = code.strip().upper()
    if len(given) != QUERY_CODE_LENGTH:
        return False
    candidates = [case.query_code or ""]
    for key in APPLICANT_ID_KEYS:
        value = case.answers.get(key)
        if isinstance(value, str) and len(value) >= ID_TAIL_LENGTH:
            candidates.append(value[-ID_TAIL_LENGTH:].upper())
    # Compared in constant time: the answer's timing must not tell how close a guess was.
    return any(c and hmac.compare_digest(c.encode(), given.encode()) for c in candidates)


def public_progress(case: Case) -> PublicProgress:
    steps = [
        {k: s[k] for k in ("name", "department", "label", "state", "completed_at", "due_at")}
        for s in item_progress(case)
    ]
    return PublicProgress(
        case_no=case.case_no,
        theme_name=published_theme(case.theme_version).name,
        status_label=CaseStatus(case.status).label,
        submitted_at=case.submitted_at,
        accepted_at=case.accepted_at,
        promised_at=case.promised_at,
        completed_at=case.completed_at,
        steps=steps,
    )
