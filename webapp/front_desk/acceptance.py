"""前台综合受理: what the window does with a submitted case.

- accept (受理): the back-office items start;
- refuse (不予受理): the case ends with a reason the applicant sees;
- request correction (补正): one list of fields and materials to fix; the clock stops and
  the case waits for the applicant, then comes back to the same desk (and clerk);
- accept with a gap (容缺受理): only materials the catalog marks eligible; the promised date
  is watched by the worker, and the result is held at 出件 until the material arrives.
Each is one transaction (the request commits) and one or more audit events.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from engine.working_calendar import Deadline
from webapp import access_policy
from webapp.accounts.models import Role, User
from webapp.audit import trail
from webapp.cases.case_forms import (
    case_form,
    case_materials,
    check_resubmission,
    materials_to_hand_in,
)
from webapp.cases.locking import lock_case, lock_for_action
from webapp.cases.lookup import own_case_for
from webapp.cases.models import Case, CaseStatus, CaseTask, TaskKind, TaskStatus
from webapp.cases.steps import engine_step
from webapp.cases.tasks import decision_data, mark_done, reschedule_open_tasks
from webapp.clock import CHINA_TZ, now, today
from webapp.deadlines import limits
from webapp.domain_errors import Conflict, Forbidden, Invalid, NotFound
from webapp.front_desk.models import MaterialGap
from webapp.instruments import case_instruments
from webapp.materials import hand_in
from webapp.materials.files import files_of
from webapp.notifications import outbox
from webapp.parties import case_parties
from webapp.service_network import transfers


def latest_gap_date(case: Case, at: dt.datetime) -> dt.date:
    """The last day a 容缺 promise may name: the case's committed completion, if accepted
    at `at`. A material promised later would hold the result past the promise to the
    applicant (the result waits for it at 出件)."""
    due = Deadline(at, limits.case_total_days(case)).due_at()
    return today(due - limits.PAST)


def lock_window_task(session: Session, actor: User, task_id: int, kind: TaskKind):
    """Lock a front-desk task of the given kind for `actor` (409 for another kind)."""
    case, task = lock_for_action(session, actor, task_id)
    if task.kind != kind:
        raise Conflict("此操作不适用于该任务")
    return case, task


def accept(
    session: Session,
    actor: User,
    task_id: int,
    opinion: str,
    gaps=(),
    paper_received: list[str] | None = None,
) -> CaseTask:
    """受理 (with `gaps` = [(material code, promised date)] it is 容缺受理).

    The clerk checks the paper at the window as they accept: `paper_received` are the
    material codes received on paper now (None: every material the applicant declared on
    paper). Raises Invalid naming each required material that is then neither uploaded,
    received on paper nor 容缺 — a case is never accepted with a material simply absent.
    """
    case, task = lock_window_task(session, actor, task_id, TaskKind.ACCEPTANCE)
    waiting = case_parties.unconfirmed_sides(case)
    if waiting:
        # 不动产登记暂行条例 §14: a joint application is the act of both sides.
        names = "、".join(s.label for s in waiting)
        raise Conflict(f"共同申请须双方各自用本人账号确认后方可受理，尚未确认：{names}")
    at = now()
    hand_in.record_paper_received(session, actor, case, paper_received, at)
    recorded = _record_gaps(session, actor, case, gaps, at) if gaps else []
    missing = hand_in.missing_for_acceptance(session, case)
    if missing:
        names = "、".join(f"“{m.name}”" for m in missing)
        raise Invalid(
            f"材料不齐，不能受理：缺少{names}。请申请人上传、在窗口核收纸质件，"
            "或对可容缺的材料容缺受理，或一次性告知补正",
            details=[
                {"field": f"material:{m.code}", "message": "未上传、未核收纸质件、未容缺"}
                for m in missing
            ],
        )
    outcome = {"decision": "accepted", "opinion": opinion}
    if recorded:
        outcome["gaps"] = [
            {"material": g.material_name, "promised_date": g.promised_date.isoformat()}
            for g in recorded
        ]
    with engine_step(session, case, at) as step:
        step.complete(task, decision_data(task, outcome))
        before = mark_done(task, actor, outcome, at)
        case.status = CaseStatus.IN_PROGRESS
        case.accepted_at = at
        point = actor.service_point(Role.FRONT_DESK)  # 同城通办: where it was accepted
        case.accepted_point_id = point.id if point else None
        case.correction = None
        limits.schedule_case(case)
        trail.record(
            session,
            actor,
            "case.accepted_with_gap" if recorded else "case.accepted",
            case=case,
            task=task,
            before=before,
            after={
                "task_status": task.status,
                "case_status": case.status,
                "outcome": outcome,
                "promised_at": case.promised_at.isoformat() if case.promised_at else None,
            },
        )
        promised = (
            case.promised_at.astimezone(CHINA_TZ).date().isoformat() if case.promised_at else "—"
        )
        outbox.notify_case(session, "accepted", case, promised=promised)
    case_instruments.issue_acceptance(session, actor, case, recorded)
    transfers.send_paper(session, actor, case, point)
    return task


def _record_gaps(session, actor, case, gaps, at) -> list[MaterialGap]:
    """Check each 容缺 material against the case's material set; all problems at once."""
    materials = materials_to_hand_in(case)
    first_day = today(at)
    last_day = latest_gap_date(case, at)
    errors, recorded, seen = [], [], set()
    for code, promised in gaps:
        material = materials.get(code)
        if material is None:
            errors.append({"field": code, "message": "该材料不在本办件的材料清单中"})
        elif not material.tolerance:
            errors.append({"field": code, "message": f"“{material.name}”不允许容缺受理"})
        elif code in seen:
            errors.append({"field": code, "message": f"“{material.name}”重复登记"})
        elif promised <= first_day or promised > last_day:
            errors.append(
                {
                    "field": code,
                    "message": f"承诺补齐日期应在今天之后，且不晚于本办件承诺办结日"
                    f"（{last_day.isoformat()}）",
                }
            )
        else:
            seen.add(code)
            recorded.append(
                MaterialGap(
                    case=case,
                    material_code=code,
                    material_name=material.name,
                    promised_date=promised,
                    recorded_by_id=actor.id,
                    recorded_at=at,
                )
            )
    if errors:
        raise Invalid("容缺登记有误", details=errors)
    for gap in recorded:
        session.add(gap)
    session.flush()
    for gap in recorded:
        trail.record(
            session,
            actor,
            "gap.recorded",
            case=case,
            after={"material": gap.material_name, "promised_date": gap.promised_date.isoformat()},
        )
    return recorded


def refuse(session: Session, actor: User, task_id: int, reason: str) -> CaseTask:
    """不予受理: the case ends here; the reason is shown to the applicant."""
    case, task = lock_window_task(session, actor, task_id, TaskKind.ACCEPTANCE)
    at = now()
    outcome = {"decision": "refused", "reason": reason}
    with engine_step(session, case, at) as step:
        step.cancel()
        before = mark_done(task, actor, outcome, at)
        case.status = CaseStatus.REFUSED
        case.end_reason = reason
        case.completed_at = at
        trail.record(
            session, actor, "case.refused", case=case, task=task, before=before,
            after={"case_status": case.status, "reason": reason},
        )  # fmt: skip
        outbox.notify_case(session, "refused", case, reason=reason)
    case_instruments.issue_refusal(session, actor, case, reason)
    return task


def request_correction(
    session: Session, actor: User, task_id: int, fields: list[str], materials: list[str], note: str
) -> CaseTask:
    """补正: the one-time list goes to the applicant, the clock stops."""
    case, task = lock_window_task(session, actor, task_id, TaskKind.ACCEPTANCE)
    if not fields and not materials:
        raise Invalid(
            "请至少选择一项需补正的内容", details=[{"field": "fields", "message": "必选"}]
        )
    form = case_form(case)
    known_materials = {m.code: m.name for m in case_materials(case)}
    errors = [{"field": f, "message": "不是本申请表的字段"} for f in fields if f not in form]
    errors += [
        {"field": m, "message": "不在本办件的材料清单中"}
        for m in materials
        if m not in known_materials
    ]
    if errors:
        raise Invalid("补正清单有误", details=errors)
    at = now()
    case.correction = {
        "fields": [{"key": f, "label": form.field(f).label} for f in fields],
        "materials": [{"code": m, "name": known_materials[m]} for m in materials],
        "note": note,
        "requested_by": actor.display_name,
        "requested_by_id": actor.id,
        "requested_at": at.isoformat(),
    }
    # Asked for again: an earlier "窗口提交纸质件" for these materials no longer answers it
    # (the applicant uploads a new file or declares the paper anew).
    hand_in.forget_declarations(session, case, materials)
    before = {"task_status": task.status, "case_status": case.status}
    task.status = TaskStatus.SUSPENDED
    # The case comes back to this clerk: they know what they asked for.
    task.claimed_by = actor
    task.claimed_at = at
    case.status = CaseStatus.CORRECTION
    trail.record(
        session, actor, "case.correction_requested", case=case, task=task, before=before,
        after={"case_status": case.status, "correction": case.correction},
    )  # fmt: skip
    limits.pause(session, case, "correction", at)
    reschedule_open_tasks(case)
    case.next_check_at = limits.next_check(case, at, None)
    asked = [f["label"] for f in case.correction["fields"]]
    asked += [m["name"] for m in case.correction["materials"]]
    outbox.notify_case(
        session, "correction_requested", case, items="、".join(asked), note=note or "无"
    )
    case_instruments.issue_correction(session, actor, case)
    return task


def resubmit(session: Session, applicant: User, case_no: str, answers: dict) -> Case:
    """The applicant's corrected application: validated in full, back to the same desk."""
    case = lock_case(session, own_case_for(session, applicant, case_no).id)
    if not access_policy.can_correct(applicant, case):
        raise Conflict("该办件当前不需要补正")
    storable, errors = check_resubmission(case, answers)
    errors += correction_materials_missing(session, case)
    if errors:
        raise Invalid("补正内容未齐，请修改后再提交", details=errors)
    at = now()
    changed = sorted(
        k for k in set(storable) | set(case.answers) if storable.get(k) != case.answers.get(k)
    )
    with engine_step(session, case, at):
        case.answers = storable
        case.status = CaseStatus.SUBMITTED
        task = next(t for t in case.tasks if t.status == TaskStatus.SUSPENDED)
        task.status = TaskStatus.OPEN
        trail.record(
            session, applicant, "case.resubmitted", case=case, task=task,
            before={"case_status": CaseStatus.CORRECTION},
            after={"case_status": case.status, "changed_fields": changed},
        )  # fmt: skip
        limits.resume(session, case, "correction", at)
        reschedule_open_tasks(case)
    if changed:
        for row in case_parties.ask_again(session, applicant, case):
            _ask_to_confirm(session, case, row)
    return case


def _ask_to_confirm(session: Session, case: Case, row) -> None:
    for user in outbox.case_recipients(session, case):
        if any(link.party_id == row.party_id for link in user.party_links):
            outbox.notify_user(
                session, "confirmation_requested", user, case=case, role=row.role_label
            )


def correction_materials_missing(session: Session, case: Case) -> list[dict]:
    """The 补正 materials not yet given again: each needs a file uploaded since the
    correction was asked for, or the applicant's declaration that it comes on paper."""
    asked = (case.correction or {}).get("materials") or []
    if not asked:
        return []
    since = dt.datetime.fromisoformat(case.correction["requested_at"])
    fresh = {f.material_code for f in files_of(session, case) if f.uploaded_at >= since}
    paper = hand_in.paper_of(session, case)
    return [
        {
            "key": f"material:{m['code']}",
            "message": f"请上传补正的“{m['name']}”，或勾选“窗口提交纸质件”",
        }
        for m in asked
        if m["code"] not in fresh
        and not (m["code"] in paper and paper[m["code"]].declared_at is not None)
    ]


def receive_material(session: Session, actor: User, gap_id: int) -> MaterialGap:
    """A 容缺 material arrived; when none is missing any more, 出件 may proceed."""
    gap = session.get(MaterialGap, gap_id)
    if gap is None:
        raise NotFound("容缺记录不存在")
    case = lock_case(session, gap.case_id)
    # Read again under the lock: a request that waited for it must see the first one's work.
    gap = session.get(MaterialGap, gap_id, populate_existing=True)
    if not access_policy.can_see_case(actor, case):
        raise NotFound("容缺记录不存在")
    if not access_policy.can_record_material_received(actor, case):
        if case.status_is_open:
            raise Forbidden("只有综合窗口可以登记补齐材料")
        raise Conflict("办件已结束，无需再登记材料")
    if gap.received_at is not None:
        raise Conflict("该材料已登记补齐")
    at = now()
    with engine_step(session, case, at):
        gap.received_at = at
        gap.received_by_id = actor.id
        trail.record(
            session, actor, "gap.received", case=case, before={"received": False},
            after={"material": gap.material_name, "received": True},
        )  # fmt: skip
        if not open_gaps(case):
            limits.resume(session, case, "gap", at)
            reschedule_open_tasks(case)
    return gap


def open_gaps(case: Case) -> list[MaterialGap]:
    return [g for g in case.gaps if g.received_at is None]
