"""Clerks' notes on a case (内部备注): visible to clerks who can see the case, audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from webapp import access_policy
from webapp.accounts.models import User
from webapp.audit import trail
from webapp.cases.models import Case, CaseComment
from webapp.clock import now
from webapp.domain_errors import NotFound


def add_comment(session: Session, author: User, case: Case, body: str) -> CaseComment:
    if not access_policy.can_comment(author, case):
        raise NotFound("办件不存在")
    comment = CaseComment(case=case, author_id=author.id, body=body.strip(), created_at=now())
    session.add(comment)
    session.flush()
    trail.record(session, author, "comment.added", case=case, after={"comment_id": comment.id})
    return comment
