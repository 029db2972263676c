"""Finding a case or a task for a user: load, then ask the access policy.

Whatever the user may not see is "not found" (404): a case number or task id that exists
but is not theirs reveals nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import access_policy
from webapp.accounts.models import User
from webapp.cases.models import Case, CaseTask
from webapp.domain_errors import NotFound


def find_case(session: Session, case_no: str) -> Case | None:
    return session.scalars(select(Case).where(Case.case_no == case_no)).one_or_none()


def case_for(session: Session, user: User, case_no: str) -> Case:
    """The case if `user` may see it (its applicant, the front desk, an involved approver)."""
    case = find_case(session, case_no)
    if case is None or not access_policy.can_see_case(user, case):
        raise NotFound("办件不存在")
    return case


def staff_case_for(session: Session, user: User, case_no: str) -> Case:
    """The case as the workbench shows it (internal notes included): clerks only."""
    case = find_case(session, case_no)
    if case is None or not access_policy.can_see_case_as_staff(user, case):
        raise NotFound("办件不存在")
    return case


def own_case_for(session: Session, user: User, case_no: str) -> Case:
    """The case if `user` is its applicant."""
    case = find_case(session, case_no)
    if case is None or not access_policy.is_own_case(user, case):
        raise NotFound("办件不存在")
    return case


def task_for(session: Session, user: User, task_id: int) -> CaseTask:
    """The task if `user` works in its department (else 404), without locking (for pages)."""
    task = session.get(CaseTask, task_id)
    if task is None or not access_policy.can_see_task(user, task):
        raise NotFound("任务不存在")
    return task
