"""好差评: the applicant rates; a 差评 opens a 整改 task for the theme's lead department;
its reply goes back to the applicant, who may rate once more.

Ratings are never changed nor deleted: there is no service for it. Every rating and every
整改 is an audit event on the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import access_policy
from webapp.accounts.models import User
from webapp.audit import trail
from webapp.cases.locking import lock_for_action
from webapp.cases.models import Case, CaseStatus, CaseTask, TaskKind, TaskStatus
from webapp.cases.tasks import mark_done, open_task
from webapp.clock import now
from webapp.deadlines import limits
from webapp.domain_errors import Conflict, Invalid, NotFound
from webapp.notifications import outbox
from webapp.ratings.models import CASE_SCOPE, FIRST, RE_RATING, Rating, RatingLevel

# 整改 is due this many working days after the 差评 (setting YJS_RECTIFICATION_DAYS).
DEFAULT_RECTIFICATION_DAYS = 15
FINISHED = (CaseStatus.COMPLETED, CaseStatus.TERMINATED)


@dataclass(frozen=True)
class RatingTarget:
    """What can be rated in a case: the whole case once it is 办结, each item once decided."""

    scope: str
    label: str
    ratings: tuple[Rating, ...]

    @property
    def first(self) -> Rating | None:
        return next((r for r in self.ratings if r.round == FIRST), None)

    @property
    def rerating(self) -> Rating | None:
        return next((r for r in self.ratings if r.round == RE_RATING), None)

    @property
    def rectification(self) -> CaseTask | None:
        return self.first.rectification if self.first else None

    @property
    def replied(self) -> bool:
        task = self.rectification
        return task is not None and task.status == TaskStatus.COMPLETED

    @property
    def next_round(self) -> int | None:
        """FIRST when not yet rated; RE_RATING once the 整改 is replied; else None."""
        if self.first is None:
            return FIRST
        if self.rerating is None and self.replied:
            return RE_RATING
        return None


def rating_targets(session: Session, case: Case) -> list[RatingTarget]:
    """The case's ratable scopes, items in their order, then the whole case."""
    rows = session.scalars(select(Rating).where(Rating.case_id == case.id).order_by(Rating.id))
    by_scope: dict[str, list[Rating]] = {}
    for row in rows:
        by_scope.setdefault(row.scope, []).append(row)
    targets = [
        RatingTarget(task.item_code, task.name, tuple(by_scope.get(task.item_code, ())))
        for task in case.tasks
        if task.kind == TaskKind.ITEM and task.status == TaskStatus.COMPLETED and task.item_code
    ]
    if case.status in FINISHED:
        whole = tuple(by_scope.get(CASE_SCOPE, ()))
        targets.append(RatingTarget(CASE_SCOPE, "整体服务（一件事）", whole))
    return targets


def rate(
    session: Session,
    actor: User,
    case: Case,
    scope: str,
    level: str,
    tags: list[str],
    comment: str,
) -> Rating:
    """The applicant's rating of `scope` (the case locked by the caller). A first 差评 opens
    the lead department's 整改; a re-rating is possible only after its reply."""
    if not access_policy.can_rate(actor, case):
        raise NotFound("办件不存在")
    target = next((t for t in rating_targets(session, case) if t.scope == scope), None)
    if target is None:
        raise Invalid("该事项尚未办结，暂不能评价", details=[{"field": "scope", "message": "无效"}])
    round_ = target.next_round
    if round_ is None:
        if target.first is not None and target.first.is_bad and not target.replied:
            raise Conflict("您的差评正在整改，收到整改答复后可再评价一次")
        raise Conflict("该事项已评价，不能重复评价")
    grade = RatingLevel(level)
    comment = comment.strip()
    if grade.is_bad and not tags and not comment:
        message = "差评请选择问题标签或填写意见，便于部门整改"
        raise Invalid(message, details=[{"field": "comment", "message": message}])
    at = now()
    rating = Rating(
        case_id=case.id,
        scope=scope,
        round=round_,
        level=grade.value,
        tags=list(dict.fromkeys(tags)),
        comment=comment,
        rater_id=actor.id,
        created_at=at,
    )
    session.add(rating)
    session.flush()
    trail.record(
        session,
        actor,
        "rating.given",
        case=case,
        after={
            "rating_id": rating.id,
            "scope": scope,
            "target": target.label,
            "round": round_,
            "level": grade.value,
            "level_label": grade.label,
            "tags": rating.tags,
            "comment": comment,
        },
    )
    if grade.is_bad and round_ == FIRST:
        rating.rectification = _open_rectification(session, case, target, rating, at)
    return rating


def _open_rectification(session, case: Case, target: RatingTarget, rating: Rating, at):
    department = case.theme_version.theme.lead_department
    if department is None:
        raise Conflict("本主题未设牵头部门，无法派发差评整改")
    days = Decimal(current_app.config.get("RECTIFICATION_DAYS", DEFAULT_RECTIFICATION_DAYS))
    task = open_task(
        session,
        case,
        kind=TaskKind.RECTIFICATION,
        name=f"差评整改：{target.label}",
        department=department,
        allowed_days=days,
        at=at,
        subject={"rating_id": rating.id, "scope": target.scope, "target": target.label},
    )
    # A finished case is looked at again for this task's cards.
    case.next_check_at = limits.next_check(case, at, case.next_timer_at)
    return task


def rectify(session: Session, actor: User, task_id: int, values: dict) -> CaseTask:
    """The lead department's 整改: contacted the applicant, found, corrected, replied."""
    case, task = lock_for_action(session, actor, task_id)
    if task.kind != TaskKind.RECTIFICATION:
        raise Conflict("此操作不适用于该任务")
    outcome = {"decision": "rectified"}
    for key, label in RECTIFY_FIELDS.items():
        value = (values.get(key) or "").strip()
        if not value:
            raise Invalid(f"请填写{label}", details=[{"field": key, "message": f"请填写{label}"}])
        outcome[key] = value
    at = now()
    before = mark_done(task, actor, outcome, at)
    trail.record(
        session,
        actor,
        "rating.rectified",
        case=case,
        task=task,
        before=before,
        after={"task_status": task.status, "target": (task.subject or {}).get("target", ""),
               "reply": outcome["reply"]},
    )  # fmt: skip
    case.next_check_at = limits.next_check(case, at, case.next_timer_at)
    outbox.notify_case(
        session,
        "rating_replied",
        case,
        target=(task.subject or {}).get("target", ""),
        reply=outcome["reply"],
    )
    return task


RECTIFY_FIELDS = {
    "contact": "与申请人沟通情况",
    "finding": "核实情况",
    "correction": "整改措施",
    "reply": "给申请人的答复",
}
