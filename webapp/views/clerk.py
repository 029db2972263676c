"""The clerks' workbench: front desk (综合窗口) and back-office approvers (后台审批).

Every handler: load (the loader asks the access policy) → act through one service → render;
services flush, the handler commits once. Templates get the policy's answers as flags.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.cases import element_progress
from webapp import access_policy
from webapp.access_policy import Function
from webapp.accounts.models import Role
from webapp.audit import trail
from webapp.back_office import panel
from webapp.cases import comments
from webapp.cases.case_forms import (
    case_form,
    case_licences,
    visible_materials,
    visible_sections,
)
from webapp.cases.engine_state import restore_workflow
from webapp.cases.lookup import staff_case_for, task_for
from webapp.cases.models import Case, CaseTask, TaskKind, TaskStatus
from webapp.cases.progress import item_progress
from webapp.clock import now
from webapp.db import db_session
from webapp.domain_errors import Conflict, Invalid, NotFound
from webapp.front_desk import acceptance, delivery
from webapp.front_desk.models import MaterialGap
from webapp.http_headers import xml_document
from webapp.instruments import issuing
from webapp.licences import revocation, wallet
from webapp.licences.models import ELicence
from webapp.materials import files as material_files
from webapp.materials import hand_in
from webapp.parties import case_parties
from webapp.ratings import service as ratings
from webapp.service_network import case_facts
from webapp.supervision import urging
from webapp.themes.lookup import list_themes
from webapp.themes.published import published_theme
from webapp.workbench import claims, inbox
from webapp.workbench.actions import ACTIONS, act_on_task, action_for

from .guards import requires
from .inputs import (
    AssignInput,
    CommentInput,
    InboxQuery,
    RevokeLicenceInput,
    action_input_from_form,
    gap_errors_by_material,
    load_or_errors,
)

bp = Blueprint("clerk", __name__, url_prefix="/clerk")


@bp.get("/", endpoint="inbox")
@requires(Function.WORKBENCH)
def inbox_page():
    query, errors = load_or_errors(InboxQuery(), request.args)
    if errors:
        query = InboxQuery().load({})
    session = db_session()
    page = inbox.inbox(
        session,
        current_user,
        view=query["view"],
        theme_code=query["theme"],
        after=inbox.parse_cursor(query["after"]),
    )
    return render_template(
        "clerk/inbox.html",
        page=page,
        view=query["view"],
        theme=query["theme"],
        filters=inbox.filters_for(current_user),
        desk_point=current_user.service_point(Role.FRONT_DESK),
        themes=list_themes(session),
    )


@bp.get("/tasks/<int:task_id>")
@requires(Function.WORKBENCH)
def task_page(task_id: int):
    task = task_for(db_session(), current_user, task_id)
    return _render_case(task.case, task, errors={}, status=200)


@bp.get("/cases/<case_no>")
@requires(Function.WORKBENCH)
def case_page(case_no: str):
    case = staff_case_for(db_session(), current_user, case_no)
    mine = [
        t
        for t in case.tasks
        if t.status == TaskStatus.OPEN and access_policy.can_see_task(current_user, t)
    ]
    return _render_case(case, mine[0] if mine else None, errors={}, status=200)


def _render_case(case: Case, task: CaseTask | None, errors: dict, status: int):
    session = db_session()
    form = case_form(case)
    rights = access_policy.task_rights(current_user, task) if task else None
    files = material_files.visible_files(session, current_user, case)
    theme = published_theme(case.theme_version)
    return render_template(
        "clerk/case.html",
        case=case,
        theme=theme,
        words=theme.words(task.item_code if task else None),
        task=task,
        kind=task.kind if task else None,
        rights=rights,
        errors=errors,
        sections=visible_sections(current_user, case),
        whole_case=access_policy.sees_whole_case(current_user, case),
        joint_sides=case_parties.joint_sides(case),
        steps=item_progress(case),
        timeline=trail.case_timeline(session, case, current_user),
        instruments=issuing.instruments_of(session, case)
        if access_policy.can_see_instruments(current_user, case)
        else [],
        highlight=element_progress(restore_workflow(case)),
        materials=visible_materials(current_user, case),
        files=files,
        material_states=hand_in.case_states(
            session, case, visible_materials(current_user, case), files
        ),
        missing=hand_in.missing_for_acceptance(session, case)
        if task is not None and task.kind == TaskKind.ACCEPTANCE
        else [],
        form_fields=[(f.key, f.label) for f in form.fields if not f.question],
        colleagues=claims.colleagues(session, current_user, task)
        if rights and rights.assign
        else [],
        results=delivery.case_results(case),
        open_gaps=acceptance.open_gaps(case),
        may_record_received=access_policy.can_record_material_received(current_user, case),
        actions=ACTIONS,
        delivery_methods=delivery.DELIVERY_METHODS,
        delivery_choice=delivery.delivery_choice(case),
        rating_targets=ratings.rating_targets(session, case)
        if access_policy.can_see_ratings(current_user, case)
        else [],
        rectify_fields=ratings.RECTIFY_FIELDS,
        licences=[
            (lic, access_policy.can_see_licence_as_issuer(current_user, lic))
            for lic in case_licences(session, case)
        ],
        network=case_facts.case_network(session, current_user, case),
        urges=urging.urges_of(session, [task.id]) if task else {},
        back_office=panel.item_panel(session, case, task),
    ), status


@bp.post("/tasks/<int:task_id>")
@requires(Function.WORKBENCH)
def act(task_id: int):
    session = db_session()
    task = task_for(session, current_user, task_id)
    action = action_for(task, request.form.get("action"))
    schema, data = action_input_from_form(action.name, request.form)
    values, errors = load_or_errors(schema, data)
    if errors:
        errors = {**errors, **gap_errors_by_material(schema, data)}
        return _render_case(task.case, task, {"form": "请检查标出的内容", **errors}, 422)
    try:
        act_on_task(session, current_user, task_id, action.name, values)
    except Invalid as exc:
        session.rollback()
        task = task_for(session, current_user, task_id)
        details = {d["field"]: d["message"] for d in exc.details or []}
        return _render_case(task.case, task, {"form": exc.message, **details}, 422)
    session.commit()
    verb = action.verb
    if task.kind == TaskKind.ITEM:  # the item's own words: 准予许可, 予以登记, 办结 …
        words = published_theme(task.case.theme_version).words(task.item_code)
        verb = words.grant if action.name == "grant" else words.deny
    flash(f"{task.case.case_no}：{verb}")
    return redirect(url_for("clerk.inbox"))


@bp.post("/tasks/<int:task_id>/claim")
@requires(Function.WORKBENCH)
def claim(task_id: int):
    session = db_session()
    task = claims.claim(session, current_user, task_id)
    session.commit()
    flash(f"已认领：{task.case.case_no} {task.name}")
    return redirect(url_for("clerk.task_page", task_id=task_id))


@bp.post("/tasks/<int:task_id>/unclaim")
@requires(Function.WORKBENCH)
def unclaim(task_id: int):
    session = db_session()
    claims.unclaim(session, current_user, task_id)
    session.commit()
    flash("已取消认领")
    return redirect(url_for("clerk.task_page", task_id=task_id))


@bp.post("/tasks/<int:task_id>/assign")
@requires(Function.WORKBENCH)
def assign(task_id: int):
    session = db_session()
    values, errors = load_or_errors(AssignInput(), request.form)
    if errors:
        raise Invalid("请选择转交人员")
    task = claims.assign(session, current_user, task_id, values["assignee"])
    session.commit()
    flash(f"已转交给{task.claimed_by.display_name}")
    return redirect(url_for("clerk.inbox"))


@bp.post("/cases/<case_no>/comments")
@requires(Function.WORKBENCH)
def comment(case_no: str):
    session = db_session()
    case = staff_case_for(session, current_user, case_no)
    values, errors = load_or_errors(CommentInput(), request.form)
    if errors:
        raise Invalid("备注内容不能为空，且不超过 1000 字", details=errors)
    comments.add_comment(session, current_user, case, values["body"])
    session.commit()
    flash("备注已添加")
    return redirect(url_for("clerk.case_page", case_no=case_no))


@bp.post("/gaps/<int:gap_id>/received")
@requires(Function.FRONT_DESK)
def gap_received(gap_id: int):
    session = db_session()
    gap = session.get(MaterialGap, gap_id)
    if gap is None:
        raise NotFound("容缺记录不存在")
    case_no = gap.case.case_no
    acceptance.receive_material(session, current_user, gap_id)
    session.commit()
    flash(f"{case_no}：容缺材料已补齐")
    return redirect(url_for("clerk.case_page", case_no=case_no))


@bp.get("/cases/<case_no>/diagram.bpmn")
@requires(Function.WORKBENCH)
def diagram(case_no: str):
    case = staff_case_for(db_session(), current_user, case_no)
    return xml_document(case.theme_version.bpmn_xml, f"{case.case_no}.bpmn")


# --- 撤销 of an e-licence by the department that issued it ---------------------------


REVOKE_ERRORS = {"reason": "请填写撤销理由（不超过 500 字）", "confirm": "请勾选确认撤销"}


def _issued_licence(licence_id: int) -> ELicence:
    licence = db_session().get(ELicence, licence_id)
    # Another department's licence is not revealed (nor that the id exists).
    if licence is None or not access_policy.can_see_licence_as_issuer(current_user, licence):
        raise NotFound("未找到该证照")
    return licence


def _render_revoke(licence: ELicence, values: dict, errors: dict, status: int):
    case = db_session().get(Case, licence.case_id)
    return render_template(
        "clerk/revoke_licence.html",
        lic=licence,
        case=case,
        holder=wallet.holder_name(licence),
        values=values,
        errors=errors,
        may_revoke=access_policy.can_revoke_licence(current_user, licence),
        reason=revocation.reason_of(db_session(), licence),
    ), status


@bp.get("/licences/<int:licence_id>/revoke")
@requires(Function.REVOKE_LICENCE)
def revoke_licence_form(licence_id: int):
    """The licence as issued, and the 撤销 form: a reason and a confirmation."""
    return _render_revoke(_issued_licence(licence_id), {}, {}, 200)


@bp.post("/licences/<int:licence_id>/revoke")
@requires(Function.REVOKE_LICENCE)
def revoke_licence(licence_id: int):
    session = db_session()
    licence = _issued_licence(licence_id)
    values, errors = load_or_errors(RevokeLicenceInput(), request.form)
    if errors:
        errors = {k: REVOKE_ERRORS.get(k, v) for k, v in errors.items()}
        return _render_revoke(licence, request.form, errors, 422)
    if not access_policy.can_revoke_licence(current_user, licence):
        raise Conflict("该电子证照已撤销，不能重复撤销")
    try:
        revocation.revoke(session, current_user, licence, values["reason"], now())
    except Invalid as exc:  # a reason of blanks only
        session.rollback()
        return _render_revoke(
            _issued_licence(licence_id), request.form, {"reason": exc.message}, 422
        )
    session.commit()
    flash(f"电子证照《{licence.name}》（证号 {licence.number}）已撤销，持证人已收到通知")
    return redirect(url_for("clerk.revoke_licence_form", licence_id=licence.id))
