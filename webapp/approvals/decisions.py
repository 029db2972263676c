"""后台分类审批: an approver's decision on their department's item.

Claiming is optional: an unclaimed task may be decided by anyone of its department (the
decision claims it); a claimed one only by its claimant (workbench/claims.py). The decision
is 准予 (with opinion and the result, issued into the applicant's e-licence wallet when the
item's result is an e-licence) or 不予 (with reason); what a denial does is the theme's
declared policy: end the case, or let the other items go on.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from forms.result_numbers import result_number_problem
from webapp.accounts.models import User
from webapp.audit import trail
from webapp.back_office import levels, promises
from webapp.cases.locking import lock_for_action
from webapp.cases.models import CaseStatus, CaseTask, TaskKind
from webapp.cases.steps import engine_step
from webapp.cases.tasks import decision_data, mark_done
from webapp.clock import now
from webapp.domain_errors import Conflict, Invalid
from webapp.instruments import case_instruments
from webapp.licences import document as licence_document
from webapp.licences import wallet
from webapp.notifications import outbox
from webapp.themes.published import published_theme


def _lock_item_task(session: Session, actor: User, task_id: int):
    case, task = lock_for_action(session, actor, task_id)
    if task.kind != TaskKind.ITEM:
        raise Conflict("此操作不适用于该任务")
    # Approval levels, 特别程序 and 补正 (back_office/): only the last level decides, and
    # never while the item's clock is stopped.
    levels.check_may_decide(session, case, task)
    return case, task


def grant(
    session: Session, actor: User, task_id: int, opinion: str, result_no: str = ""
) -> CaseTask:
    """准予: the item's result is recorded and, if it is an e-licence, issued to the wallet."""
    case, task = _lock_item_task(session, actor, task_id)
    theme = published_theme(case.theme_version)
    item = theme.item(task.item_code)
    result = item.result if item is not None else None
    e_licence = bool(result and result.e_licence)
    if e_licence and not result_no.strip():
        raise Invalid(
            f"“{result.name or '证照'}”为电子证照，请填写证照编号",
            details=[{"field": "result_no", "message": "请填写证照编号"}],
        )
    problem = result_number_problem(result.name, result_no) if result and result_no else None
    if problem:
        raise Invalid(problem, details=[{"field": "result_no", "message": problem}])
    at = now()
    outcome = {
        "decision": "granted",
        "opinion": opinion,
        "result_name": result.name if result else "",
        "result_no": result_no.strip(),
        "e_licence": e_licence,
    }
    with engine_step(session, case, at) as step:
        step.complete(task, decision_data(task, outcome))
        levels.record_decision(session, case, task, actor, outcome, at)
        before = mark_done(task, actor, outcome, at)
        # The timeline says what was decided in the item's own words (予以登记, 办结 …).
        trail.record(
            session, actor, "task.granted", case=case, task=task, before=before,
            after={"task_status": task.status, "outcome": outcome,
                   "words": theme.words(task.item_code).grant},
        )  # fmt: skip
        if e_licence:
            licence = wallet.issue(
                session, actor, case, task, outcome["result_name"], outcome["result_no"], at
            )
            licence_document.issue_document(session, actor, licence, task.name)
        outbox.notify_case(
            session, "item_decided", case, item=task.name,
            decision=theme.words(task.item_code).grant, reason="",
        )  # fmt: skip
    # 告知承诺制: a decision on a signed promise is checked afterwards (事后核查).
    promises.after_grant(session, case, task, at)
    case_instruments.issue_decision(session, actor, case, task)
    return task


def deny(session: Session, actor: User, task_id: int, reason: str) -> CaseTask:
    """不予: the theme's policy says whether the case ends or the other items go on."""
    case, task = _lock_item_task(session, actor, task_id)
    theme = published_theme(case.theme_version)
    policy = theme.on_denial
    word = theme.words(task.item_code).deny
    at = now()
    outcome = {"decision": "denied", "reason": reason, "policy": policy}
    with engine_step(session, case, at) as step:
        if policy == "continue":
            step.complete(task, decision_data(task, outcome))
        else:
            step.cancel()
        levels.record_decision(session, case, task, actor, outcome, at)
        before = mark_done(task, actor, outcome, at)
        trail.record(
            session, actor, "task.denied", case=case, task=task, before=before,
            after={"task_status": task.status, "outcome": outcome, "words": word},
        )  # fmt: skip
        outbox.notify_case(
            session, "item_decided", case, item=task.name, decision=word,
            reason=f"，理由：{reason}",
        )  # fmt: skip
        if policy != "continue":
            case.status = CaseStatus.TERMINATED
            case.end_reason = f"{task.name}：{word}（{reason}）"
            case.completed_at = at
            trail.record(
                session, actor, "case.terminated", case=case, task=task,
                before={"case_status": CaseStatus.IN_PROGRESS},
                after={"case_status": case.status, "reason": case.end_reason},
            )  # fmt: skip
    case_instruments.issue_decision(session, actor, case, task)
    return task
