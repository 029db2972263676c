"""Locking a case while its engine steps run.

Three protections, each tested on its own (tests/webapp/test_locking.py):
- `SELECT … FOR UPDATE` on PostgreSQL: a second request on the same case waits for the
  first to commit, then sees its work.
- `cases.row_version` (SQLAlchemy's version counter) on every database: a writer whose
  snapshot is stale (SQLite has no FOR UPDATE) fails its UPDATE instead of overwriting.
- The status re-check after the lock: a task done (or suspended) meanwhile is refused
  with a clear 409, whatever the engine would say.
Use `lock_for_action`, then `cases.steps.engine_step` for the engine work: lock → steps →
store reads as one step in every service.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import access_policy
from webapp.accounts.models import User
from webapp.cases.models import Case, CaseTask, TaskStatus
from webapp.domain_errors import Conflict, Forbidden, NotFound

TAKEN = "该任务已由他人办理，请刷新后查看最新状态"


def lock_case(session: Session, case_id: int) -> Case:
    stmt = (
        select(Case)
        .where(Case.id == case_id)
        .with_for_update(of=Case)
        .execution_options(populate_existing=True)
    )
    case = session.scalars(stmt).one_or_none()
    if case is None:
        raise NotFound("办件不存在")
    return case


def lock_for_action(session: Session, actor: User, task_id: int) -> tuple[Case, CaseTask]:
    """Lock the task's case, then reload the task: whoever comes second sees the first's work."""
    case_id = session.scalar(select(CaseTask.case_id).where(CaseTask.id == task_id))
    if case_id is None:
        raise NotFound("任务不存在")
    case = lock_case(session, case_id)
    task = session.scalars(
        select(CaseTask).where(CaseTask.id == task_id).execution_options(populate_existing=True)
    ).one()
    if not access_policy.can_see_task(actor, task):
        raise NotFound("任务不存在")
    if task.status == TaskStatus.SUSPENDED:
        raise Conflict("该办件正等待申请人补正，补正提交后才能继续办理")
    if task.status != TaskStatus.OPEN:
        raise Conflict(TAKEN)
    blocker = access_policy.blocking_claimant(actor, task)
    if blocker is not None:
        raise Conflict(f"该任务已由{blocker.display_name}认领，请勿重复办理")
    if not access_policy.holds_task(actor, task):
        # An approval level (or a 延期 for the head) is another role's to act on.
        roles = "、".join(r.label for r in access_policy.holder_roles(task))
        raise Forbidden(f"该任务当前由{roles}办理")
    return case, task
