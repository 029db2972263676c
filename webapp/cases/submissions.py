"""One submission of the one form makes at most one case.

The form carries a random submission token (a hidden field, new each time the form is
shown). A browser's back button and a second click post the same token again: that post
gets the case the first one made, never a second case. The token is kept in the audit
trail (event `case.submission_token` of the case; staff-only), so no table changes.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.accounts.models import User
from webapp.audit import trail
from webapp.audit.models import AuditEvent
from webapp.cases.models import Case

SUBMISSION_EVENT = "case.submission_token"
SUBMISSION_KEY_FORMAT = r"^[A-Za-z0-9_-]{16,64}$"
# A repeated post comes seconds or minutes after the first: looking at the applicant's
# newest cases is enough, and keeps the look-up small however many cases they have.
RECENT_CASES = 20


def new_token() -> str:
    return secrets.token_urlsafe(24)


def case_submitted_with(session: Session, applicant: User, token: str | None) -> Case | None:
    """The applicant's case made by a post carrying `token`, if any.

    Locks the applicant's row first, so two posts of one token at the same moment run one
    after the other and the second finds the first one's case (PostgreSQL; SQLite runs
    one writer at a time anyway).
    """
    if not token:
        return None
    session.execute(select(User.id).where(User.id == applicant.id).with_for_update())
    recent = (
        select(Case.id)
        .where(Case.applicant_id == applicant.id)
        .order_by(Case.id.desc())
        .limit(RECENT_CASES)
    )
    stmt = select(AuditEvent).where(
        AuditEvent.case_id.in_(recent), AuditEvent.action == SUBMISSION_EVENT
    )
    for event in session.scalars(stmt):
        if (event.after or {}).get("token") == token:
            return session.get(Case, event.case_id)
    return None


def remember(session: Session, applicant: User, case: Case, token: str | None) -> None:
    """Keep the token of the post that made `case`."""
    if token:
        trail.record(session, applicant, SUBMISSION_EVENT, case=case, after={"token": token})
