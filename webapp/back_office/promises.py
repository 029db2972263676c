"""告知承诺制: items the catalog flags (`promise` in the item record) may be decided on the
applicant's signed promise instead of certain proofs, and are checked afterwards.

- The applicant signs the promise on the case page: the text as signed, who and when are
  kept (`ItemPromise`) and the 告知承诺书 is issued.
- With the promise signed, the item's first level may decide on the spot (levels.py).
- Granting it opens a 事后核查 task (outside BPMN) in the department, due after the item's
  `check_days` working days.
- The check confirms the promise, or finds it false: the decision is 撤销ed (and its
  e-licences through `licences.revocation.revoke`), a credit record is kept, the applicant
  gets the 撤销决定书. Every step is an audit event.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import access_policy
from webapp.accounts.models import User
from webapp.audit import trail
from webapp.back_office.models import CreditRecord, ItemPromise
from webapp.cases.locking import lock_case, lock_for_action
from webapp.cases.lookup import own_case_for
from webapp.cases.models import Case, CaseTask, TaskKind, TaskStatus
from webapp.cases.tasks import mark_done, open_task
from webapp.clock import CHINA_TZ, now
from webapp.deadlines import limits
from webapp.domain_errors import Conflict, Invalid
from webapp.instruments.issuing import issue
from webapp.licences.models import ELicence, LicenceStatus
from webapp.licences.revocation import revoke
from webapp.notifications import outbox
from webapp.themes.published import PublishedItem, published_theme

REVOCATION_BASIS = (
    "《国务院办公厅关于全面推行证明事项和涉企经营许可事项告知承诺制的指导意见》"
    "（国办发〔2020〕42号）；《中华人民共和国行政许可法》第六十九条"
)


def promise_items(case: Case) -> list[PublishedItem]:
    """The case's selected items under 告知承诺制."""
    theme = published_theme(case.theme_version)
    selected = set(case.selected_items or ())
    return [i for i in theme.items if i.promise is not None and i.code in selected]


def signed_promise(session: Session, case: Case, item_code: str | None) -> ItemPromise | None:
    if item_code is None:
        return None
    return session.scalars(
        select(ItemPromise).where(
            ItemPromise.case_id == case.id, ItemPromise.item_code == item_code
        )
    ).one_or_none()


def promises_of(session: Session, case: Case) -> dict[str, ItemPromise]:
    rows = session.scalars(select(ItemPromise).where(ItemPromise.case_id == case.id))
    return {p.item_code: p for p in rows}


def sign(session: Session, applicant: User, case_no: str, item_code: str) -> ItemPromise:
    """The applicant signs the item's promise (once); the 告知承诺书 is issued."""
    case = lock_case(session, own_case_for(session, applicant, case_no).id)
    if not access_policy.can_sign_promise(applicant, case):
        raise Conflict("该办件当前不能签署告知承诺书")
    item = next((i for i in promise_items(case) if i.code == item_code), None)
    if item is None:
        message = "该事项不适用告知承诺制"
        raise Invalid(message, details=[{"field": "item", "message": message}])
    if signed_promise(session, case, item_code) is not None:
        raise Conflict("该事项的告知承诺书已签署")
    decided = any(
        t.item_code == item_code and t.status == TaskStatus.COMPLETED for t in case.tasks
    )  # fmt: skip
    if decided:
        raise Conflict("该事项已作出决定，无需再签署承诺")
    at = now()
    promise = ItemPromise(
        case_id=case.id,
        item_code=item_code,
        text=item.promise.text,
        signed_by_id=applicant.id,
        signed_at=at,
    )
    session.add(promise)
    session.flush()
    trail.record(
        session, applicant, "promise.signed", case=case,
        after={"item": item.name, "text": item.promise.text, "signed_at": at.isoformat()},
    )  # fmt: skip
    issue(
        session,
        applicant,
        case,
        "promise",
        {
            "item": item.name,
            "text": item.promise.text,
            "check_days": item.promise.check_days,
            "signed_by": applicant.display_name,
            "signed_at": at.isoformat(),
            "signed_at_text": at.astimezone(CHINA_TZ).strftime("%Y年%m月%d日 %H:%M:%S"),
        },
    )
    return promise


def after_grant(session: Session, case: Case, task: CaseTask, at: dt.datetime) -> None:
    """A granted item decided on a signed promise gets its 事后核查 task."""
    item = published_theme(case.theme_version).item(task.item_code)
    if item is None or item.promise is None:
        return  # most items: no promise to look for
    promise = signed_promise(session, case, task.item_code)
    if promise is None:
        return
    open_task(
        session,
        case,
        kind=TaskKind.POST_CHECK,
        name=f"事后核查：{task.name}",
        department=task.department,
        allowed_days=Decimal(item.promise.check_days),
        at=at,
        subject={"task_id": task.id, "item_code": task.item_code, "promise_id": promise.id},
    )
    case.next_check_at = limits.next_check(case, at, case.next_timer_at)


def _close_check(session: Session, actor: User, task_id: int, values: dict, decision: str):
    """The 事后核查 task done with its finding (confirmed / refuted), audited."""
    case, check, item_task = _lock_check(session, actor, task_id)
    at = now()
    finding = values["finding"].strip()
    before = mark_done(check, actor, {"decision": decision, "finding": finding}, at)
    trail.record(
        session, actor, f"post_check.{decision}", case=case, task=check, before=before,
        after={"item": item_task.name, "finding": finding},
    )  # fmt: skip
    return case, check, item_task, finding, at


def confirm(session: Session, actor: User, task_id: int, values: dict) -> CaseTask:
    """核查属实: the promise holds; the decision stands."""
    case, check, _, _, at = _close_check(session, actor, task_id, values, "confirmed")
    case.next_check_at = limits.next_check(case, at, case.next_timer_at)
    return check


def refute(session: Session, actor: User, task_id: int, values: dict) -> CaseTask:
    """承诺不实: 撤销 of the decision and its e-licences, a credit record, the applicant told."""
    case, check, item_task, finding, at = _close_check(session, actor, task_id, values, "refuted")
    revoked = []
    licences = session.scalars(
        select(ELicence).where(
            ELicence.case_id == case.id,
            ELicence.item_code == item_task.item_code,
            ELicence.status == LicenceStatus.VALID.value,
        )
    )
    for licence in licences:
        revoke(session, actor, licence, f"告知承诺事后核查不实：{finding}", at)
        revoked.append(f"{licence.name}（{licence.number}）")
    decision = (item_task.outcome or {}).get("decision")
    item_task.outcome = {
        **(item_task.outcome or {}),
        "revoked": True,
        "revoked_at": at.isoformat(),
        "revoked_reason": finding,
    }
    trail.record(
        session, actor, "decision.revoked", case=case, task=item_task,
        before={"decision": decision}, after={"decision": decision, "revoked": True,
                                              "reason": finding, "licences": revoked},
    )  # fmt: skip
    credit = CreditRecord(
        case_id=case.id,
        item_code=item_task.item_code,
        subject_name=_subject_name(case),
        kind="false_promise",
        reason=finding,
        recorded_by_id=actor.id,
        recorded_at=at,
    )
    session.add(credit)
    session.flush()
    trail.record(
        session, actor, "credit.recorded", case=case,
        after={"kind": "虚假承诺", "item": item_task.name, "reason": finding},
    )  # fmt: skip
    words = published_theme(case.theme_version).words(item_task.item_code)
    issue(
        session,
        actor,
        case,
        "revocation",
        {
            "item": item_task.name,
            "decision": words.grant,
            "finding": finding,
            "licences": revoked,
            "revoked_at": at.isoformat(),
            "basis": REVOCATION_BASIS,
        },
        office=item_task.department.name,
    )
    outbox.notify_case(session, "decision_revoked", case, item=item_task.name, reason=finding)
    case.next_check_at = limits.next_check(case, at, case.next_timer_at)
    return check


def _lock_check(session: Session, actor: User, task_id: int):
    case, check = lock_for_action(session, actor, task_id)
    if check.kind != TaskKind.POST_CHECK:
        raise Conflict("此操作不适用于该任务")
    return case, check, session.get(CaseTask, (check.subject or {})["task_id"])


def _subject_name(case: Case) -> str:
    answers = case.answers or {}
    return str(answers.get("enterprise.name") or answers.get("applicant.name") or "")[:128]
