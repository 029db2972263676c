"""The clerks' workbench: front desk (综合窗口) and back-office approvers (后台审批)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.cases import element_progress

from ..db import db_session
from ..models import CaseTask, Role
from ..services import audit, cases, theme_forms
from ..services.case_engine import restore_workflow
from ..services.errors import Invalid, NotFound
from .access import roles_required
from .inputs import AcceptInput, ApproveInput, DeliverInput, load_or_errors

bp = Blueprint("clerk", __name__, url_prefix="/clerk")

INPUT_BY_KIND = {"acceptance": AcceptInput, "item": ApproveInput, "delivery": DeliverInput}
FLASH_BY_KIND = {"acceptance": "已受理", "item": "已准予", "delivery": "已统一出件，办件办结"}


@bp.get("/")
@roles_required(Role.FRONT_DESK, Role.APPROVER)
def inbox():
    after = request.args.get("after", type=int)
    tasks = cases.inbox(db_session(), current_user, after_id=after)
    return render_template("clerk/inbox.html", tasks=tasks)


def _load_task(task_id: int) -> CaseTask:
    task = db_session().get(CaseTask, task_id)
    if task is None:
        raise NotFound("任务不存在")
    cases.check_task_access(current_user, task)
    return task


@bp.get("/tasks/<int:task_id>")
@roles_required(Role.FRONT_DESK, Role.APPROVER)
def task_page(task_id: int):
    task = _load_task(task_id)
    return _render_task(task, errors={}, status=200)


def _render_task(task: CaseTask, errors: dict, status: int):
    session = db_session()
    case = task.case
    version = case.theme_version
    kind = cases.task_kind(version.definition, task.bpmn_id)
    progress = restore_workflow(case)
    return render_template(
        "clerk/task.html",
        task=task,
        case=case,
        kind=kind,
        errors=errors,
        sections=theme_forms.view_for_task(version, case, task, kind),
        steps=cases.item_progress(case),
        timeline=audit.case_timeline(session, case),
        highlight=element_progress(progress),
    ), status


@bp.post("/tasks/<int:task_id>")
@roles_required(Role.FRONT_DESK, Role.APPROVER)
def complete(task_id: int):
    session = db_session()
    task = _load_task(task_id)
    kind = cases.task_kind(task.case.theme_version.definition, task.bpmn_id)
    values, errors = load_or_errors(INPUT_BY_KIND[kind](), request.form)
    if errors:
        return _render_task(task, errors, 422)
    try:
        cases.act_on_task(session, current_user, task_id, values)
    except Invalid as exc:
        return _render_task(task, {"form": exc.message}, 422)
    session.commit()
    flash(f"{task.case.case_no}：{FLASH_BY_KIND[kind]}")
    return redirect(url_for("clerk.inbox"))


@bp.get("/tasks/<int:task_id>/diagram.bpmn")
@roles_required(Role.FRONT_DESK, Role.APPROVER)
def diagram(task_id: int):
    task = _load_task(task_id)
    return Response(task.case.theme_version.bpmn_xml, mimetype="application/xml")
