"""Clerks' notes on a case (内部备注): visible to clerks who can see the case, audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import Case, CaseComment, Role, User
from . import audit
from .case_tasks import now
from .errors import Forbidden


def add_comment(session: Session, author: User, case: Case, body: str) -> CaseComment:
    if not author.has_role(Role.FRONT_DESK, Role.APPROVER, Role.ADMIN):
        raise Forbidden("只有办理人员可以添加备注")
    comment = CaseComment(case=case, author_id=author.id, body=body.strip(), created_at=now())
    session.add(comment)
    session.flush()
    audit.record(session, author, "comment.added", case=case, after={"comment_id": comment.id})
    return comment
