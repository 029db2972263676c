"""Moving running cases to a theme's newest version (admins).

A case may move when its items are still the theme's (doing the same tasks), its answers
still pass the new version's form for its items, and the engine agrees (engine/moving.py:
waiting tasks exist with the same ids and lanes, nothing done changes meaning). Each move
locks the case like every engine step and is audited; the caller commits each case on
its own, so one refusal never undoes another case's move.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import moving as engine_moving
from forms import validate_application
from webapp import access_policy
from webapp.access_policy import Function
from webapp.accounts.models import User
from webapp.audit import trail
from webapp.cases.engine_state import restore_workflow, spec_for
from webapp.cases.locking import lock_case
from webapp.cases.models import Case, CaseStatus
from webapp.cases.steps import engine_step
from webapp.clock import now
from webapp.domain_errors import Conflict, Forbidden
from webapp.regions import region_table
from webapp.themes.models import Theme, ThemeVersion
from webapp.themes.published import published_theme

OPEN_STATUSES = [s.value for s in CaseStatus if s.is_open]


@dataclass(frozen=True)
class MoveCheck:
    """One running case and why it cannot move to the target version (empty: it can)."""

    case: Case
    problems: tuple[str, ...]

    @property
    def movable(self) -> bool:
        return not self.problems


def running_cases(session: Session, theme: Theme, target: ThemeVersion) -> list[Case]:
    """Open cases of the theme on an older version than `target`, oldest first."""
    stmt = (
        select(Case)
        .join(ThemeVersion, Case.theme_version_id == ThemeVersion.id)
        .where(
            ThemeVersion.theme_id == theme.id,
            ThemeVersion.number < target.number,
            Case.status.in_(OPEN_STATUSES),
        )
        .order_by(Case.id)
    )
    return list(session.scalars(stmt))


def check_move(case: Case, target: ThemeVersion) -> MoveCheck:
    """Whether `case` can move to `target`, with every reason it cannot."""
    problems: list[str] = []
    old, new = published_theme(case.theme_version), published_theme(target)
    for code in case.selected_items:
        before, after = old.item(code), new.item(code)
        if after is None:
            problems.append(f"事项 {code} 不在第 {target.number} 版中")
        elif before is not None and before.task != after.task:
            problems.append(f"事项“{after.name}”在第 {target.number} 版中由另一任务办理")
    if not problems:
        form = new.form.for_items(list(case.selected_items))
        errors = validate_application(form, case.answers, regions=region_table())
        problems += [f"申请数据不符合新版表单：{e.message}" for e in errors]
    if not problems:
        spec, subprocess_specs = spec_for(target)
        problems += [
            p.message
            for p in engine_moving.move_problems(restore_workflow(case), spec, subprocess_specs)
        ]
    return MoveCheck(case, tuple(problems))


def move_report(session: Session, theme: Theme, target: ThemeVersion) -> list[MoveCheck]:
    return [check_move(case, target) for case in running_cases(session, theme, target)]


def move_case(session: Session, actor: User, case_id: int, target: ThemeVersion) -> Case:
    """Lock the case, check again, and move it to `target`; raise Conflict with the reasons."""
    if not access_policy.may_use(actor, Function.PUBLISH):
        raise Forbidden("只有管理员可以迁移办件")
    case = lock_case(session, case_id)
    if case.theme_version.theme_id != target.theme_id or not case.status_is_open:
        raise Conflict(f"办件 {case.case_no} 不是该主题办理中的办件")
    if case.theme_version.number >= target.number:
        raise Conflict(f"办件 {case.case_no} 已在第 {case.theme_version.number} 版")
    check = check_move(case, target)
    if not check.movable:
        raise Conflict(f"办件 {case.case_no} 不能迁移：" + "；".join(check.problems))
    before = case.theme_version.number
    spec, subprocess_specs = spec_for(target)
    with engine_step(session, case, now()) as step:
        engine_moving.move_case(step.workflow, spec, subprocess_specs)
        case.theme_version = target
    trail.record(
        session,
        actor,
        "case.moved",
        case=case,
        before={"version": before},
        after={"version": target.number},
    )
    return case
