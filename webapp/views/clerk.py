"""The clerks' workbench: front desk (综合窗口) and back-office approvers (后台审批).

Every handler: load → check access → act; services flush, the handler commits once.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.cases import element_progress

from ..db import db_session
from ..models import Case, CaseTask, MaterialGap, Role, TaskStatus
from ..services import (
    approvals,
    audit,
    cases,
    comments,
    front_desk,
    inbox,
    material_files,
    theme_forms,
    themes,
)
from ..services.case_engine import restore_workflow
from ..services.case_forms import case_form, case_materials
from ..services.case_tasks import task_for
from ..services.errors import Invalid, NotFound
from ..services.task_actions import ACTION_LABELS, act_on_task
from .access import roles_required
from .inputs import (
    AssignInput,
    CommentInput,
    InboxQuery,
    TaskActionInput,
    load_or_errors,
    task_action_from_form,
)

bp = Blueprint("clerk", __name__, url_prefix="/clerk")
CLERKS = (Role.FRONT_DESK, Role.APPROVER)


@bp.get("/", endpoint="inbox")
@roles_required(*CLERKS)
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
        filters=inbox.FILTERS,
        themes=themes.list_themes(session),
    )


def _load_task(task_id: int) -> CaseTask:
    return task_for(db_session(), current_user, task_id)


@bp.get("/tasks/<int:task_id>")
@roles_required(*CLERKS)
def task_page(task_id: int):
    task = _load_task(task_id)
    return _render_case(task.case, task, errors={}, status=200)


@bp.get("/cases/<case_no>")
@roles_required(Role.FRONT_DESK, Role.APPROVER, Role.ADMIN)
def case_page(case_no: str):
    case = cases.get_case_for(db_session(), current_user, case_no)
    mine = [
        t
        for t in case.tasks
        if t.status == TaskStatus.OPEN and t.department_id == current_user.department_id
    ]
    return _render_case(case, mine[0] if mine else None, errors={}, status=200)


def _visible_sections(case: Case, task: CaseTask | None) -> list[dict]:
    """Front desk and admins see the whole form; an approver only their items' fields."""
    if current_user.has_role(Role.FRONT_DESK, Role.ADMIN):
        return theme_forms.display_sections(case_form(case), case.answers)
    own = task or next(
        (t for t in case.tasks if t.department_id == current_user.department_id and t.item_code),
        None,
    )
    if own is None:
        return []
    return theme_forms.view_for_task(case.theme_version, case, own, "item")


def _visible_materials(case: Case) -> list[dict]:
    """An approver sees the materials of their own department's items only."""
    materials = case_materials(case)
    if current_user.has_role(Role.FRONT_DESK, Role.ADMIN):
        return materials
    own = {t.item_code for t in case.tasks if t.department_id == current_user.department_id}
    return [m for m in materials if own & set(m["asked_by"])]


def _render_case(case: Case, task: CaseTask | None, errors: dict, status: int):
    session = db_session()
    kind = cases.task_kind(case.theme_version.definition, task.bpmn_id) if task else None
    form = case_form(case)
    return render_template(
        "clerk/case.html",
        case=case,
        task=task,
        kind=kind,
        errors=errors,
        sections=_visible_sections(case, task),
        steps=cases.item_progress(case),
        timeline=audit.case_timeline(session, case),
        highlight=element_progress(restore_workflow(case)),
        materials=_visible_materials(case),
        files=material_files.visible_files(session, current_user, case),
        form_fields=[(f.key, f.label) for f in form.fields if not f.question],
        colleagues=approvals.colleagues(session, current_user) if task else [],
        results=front_desk.case_results(case),
        open_gaps=front_desk.open_gaps(case),
        action_labels=ACTION_LABELS,
        delivery_methods=front_desk.DELIVERY_METHODS,
    ), status


@bp.post("/tasks/<int:task_id>")
@roles_required(*CLERKS)
def act(task_id: int):
    session = db_session()
    task = _load_task(task_id)
    values, errors = load_or_errors(TaskActionInput(), task_action_from_form(request.form))
    if errors:
        return _render_case(task.case, task, errors, 422)
    try:
        act_on_task(session, current_user, task_id, values)
    except Invalid as exc:
        session.rollback()
        task = _load_task(task_id)
        details = {d["field"]: d["message"] for d in exc.details or []}
        return _render_case(task.case, task, {"form": exc.message, **details}, 422)
    session.commit()
    action = values.get("action") or "done"
    flash(f"{task.case.case_no}：{ACTION_LABELS.get(action, '已办理')}")
    return redirect(url_for("clerk.inbox"))


@bp.post("/tasks/<int:task_id>/claim")
@roles_required(*CLERKS)
def claim(task_id: int):
    session = db_session()
    task = approvals.claim(session, current_user, task_id)
    session.commit()
    flash(f"已认领：{task.case.case_no} {task.name}")
    return redirect(url_for("clerk.task_page", task_id=task_id))


@bp.post("/tasks/<int:task_id>/unclaim")
@roles_required(*CLERKS)
def unclaim(task_id: int):
    session = db_session()
    approvals.unclaim(session, current_user, task_id)
    session.commit()
    flash("已取消认领")
    return redirect(url_for("clerk.task_page", task_id=task_id))


@bp.post("/tasks/<int:task_id>/assign")
@roles_required(*CLERKS)
def assign(task_id: int):
    session = db_session()
    values, errors = load_or_errors(AssignInput(), request.form)
    if errors:
        raise Invalid("请选择转交人员")
    task = approvals.assign(session, current_user, task_id, values["assignee"])
    session.commit()
    flash(f"已转交给{task.claimed_by.display_name}")
    return redirect(url_for("clerk.inbox"))


@bp.post("/cases/<case_no>/comments")
@roles_required(Role.FRONT_DESK, Role.APPROVER, Role.ADMIN)
def comment(case_no: str):
    session = db_session()
    case = cases.get_case_for(session, current_user, case_no)
    values, errors = load_or_errors(CommentInput(), request.form)
    if errors:
        raise Invalid("备注内容不能为空，且不超过 1000 字")
    comments.add_comment(session, current_user, case, values["body"])
    session.commit()
    flash("备注已添加")
    return redirect(url_for("clerk.case_page", case_no=case_no))


@bp.post("/gaps/<int:gap_id>/received")
@roles_required(Role.FRONT_DESK)
def gap_received(gap_id: int):
    session = db_session()
    gap = session.get(MaterialGap, gap_id)
    if gap is None:
        raise NotFound("容缺记录不存在")
    case_no = gap.case.case_no
    front_desk.receive_material(session, current_user, gap_id)
    session.commit()
    flash(f"{case_no}：容缺材料已补齐")
    return redirect(url_for("clerk.case_page", case_no=case_no))


@bp.get("/cases/<case_no>/diagram.bpmn")
@roles_required(Role.FRONT_DESK, Role.APPROVER, Role.ADMIN)
def diagram(case_no: str):
    case = cases.get_case_for(db_session(), current_user, case_no)
    return Response(case.theme_version.bpmn_xml, mimetype="application/xml")
