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

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.util import identity_key

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


# Cases this session holds locked in its current transaction (forgotten at every commit
# and rollback, savepoints included): a second look under the same lock reads nothing new.
_LOCKED = "cases_locked"


def lock_task(session: Session, actor: User, task_id: int) -> tuple[Case, CaseTask]:
    """Lock the task's case and read its tasks afresh; 404 unless `actor` may see the task.

    Two statements: the case locked (found through the task), then all its tasks read
    under that lock (the step syncs them all anyway). Asked again in the same transaction
    (the workbench locks before it dispatches, the action locks as it starts), none."""
    locked = session.info.get(_LOCKED, set())
    known = session.identity_map.get(identity_key(CaseTask, task_id))
    if known is not None and known.case_id in locked:
        case, task = known.case, known
    else:
        owner = select(CaseTask.case_id).where(CaseTask.id == task_id).scalar_subquery()
        stmt = (
            select(Case)
            .where(Case.id == owner)
            .with_for_update(of=Case)
            .options(selectinload(Case.tasks))
            .execution_options(populate_existing=True)
        )
        case = session.scalars(stmt).one_or_none()
        task = next((t for t in case.tasks if t.id == task_id), None) if case else None
        if task is not None:
            session.info.setdefault(_LOCKED, set()).add(case.id)
    if task is None or not access_policy.can_see_task(actor, task):
        raise NotFound("任务不存在")
    return case, task


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_locks(session: Session, *_args) -> None:
    session.info.pop(_LOCKED, None)


def lock_for_action(session: Session, actor: User, task_id: int) -> tuple[Case, CaseTask]:
    """Lock the task's case, then reload its tasks: whoever comes second sees the first's
    work; then refuse what may not be done to the task now, each with its reason."""
    case, task = lock_task(session, actor, task_id)
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
