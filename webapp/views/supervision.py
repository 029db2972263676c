"""效能监督: the supervisor's dashboard, the monthly report's downloads, a case's progress
(personal data masked, no form data, files or internal notes) and 催办.

Every handler: load (inputs through marshmallow) → check access (`requires`, the policy) →
one service call → render; writes commit once, here.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp import access_policy
from webapp.access_policy import Function
from webapp.accounts.models import Department, Role
from webapp.audit import trail
from webapp.cases.lookup import find_case
from webapp.cases.models import Card, Case, CaseTask, TaskStatus
from webapp.cases.progress import item_progress
from webapp.clock import today
from webapp.db import db_session
from webapp.domain_errors import Invalid, NotFound
from webapp.notifications.templates import mask_name
from webapp.service_network import points
from webapp.supervision import escalation, figures, report, urging
from webapp.themes.lookup import list_themes

from .guards import requires
from .inputs import RowId, StrictSchema, Text, UrgeInput, load_or_errors

bp = Blueprint("supervision", __name__, url_prefix="/supervision")

# A period longer than this is refused: the dashboard is for months and a year, not decades.
LONGEST_PERIOD_DAYS = 366
RED_TASKS_SHOWN = 20


class DashboardQuery(StrictSchema):
    """The dashboard's filters; an empty value means "all" (period: this month so far)."""

    start = fields.Date(load_default=None, allow_none=True)
    end = fields.Date(load_default=None, allow_none=True)
    theme = Text(load_default="", validate=validate.Length(max=64))
    department = RowId(load_default=None, allow_none=True)
    point = RowId(load_default=None, allow_none=True)  # 服务点


def _period_error(query: dict) -> str | None:
    start, end = query.get("start"), query.get("end")
    if start and end and end < start:
        return "结束日期不能早于开始日期"
    if start and end and (end - start).days >= LONGEST_PERIOD_DAYS:
        return "统计期间最长一年"
    return None


class MonthQuery(StrictSchema):
    month = Text(load_default="", validate=validate.Length(max=7))


def _blank_to_none(args) -> dict:
    return {k: v for k, v in args.items() if v != ""}


@bp.get("/", endpoint="dashboard")
@requires(Function.SUPERVISE)
def dashboard_page():
    query, errors = load_or_errors(DashboardQuery(), _blank_to_none(request.args))
    if not errors and _period_error(query):
        errors = {"end": _period_error(query)}
    if errors:
        query = DashboardQuery().load({})
    session = db_session()
    on = today()
    filters = figures.Filters(
        start=query["start"] or on.replace(day=1),
        end=query["end"] or on,
        theme_code=query["theme"] or None,
        department_id=query["department"],
        point_id=query["point"],
    )
    board = figures.dashboard(session, filters)
    departments = list(session.scalars(select(Department).order_by(Department.id)))
    return render_template(
        "supervision/dashboard.html",
        board=board,
        filters=filters,
        errors=errors,
        themes=list_themes(session),
        departments=departments,
        points=points.all_points(session),
        red_tasks=_red_tasks(session, filters),
        chart_data=json.dumps(_chart_data(board), ensure_ascii=False),
        percent=report.percent,
        days=report.days,
        month=(on.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        if on.day < 23
        else on.strftime("%Y-%m"),
    )


def _red_tasks(session, filters: figures.Filters) -> list[CaseTask]:
    """The open red tasks longest overdue, for 催办 (theme and department filters apply)."""
    stmt = (
        select(CaseTask)
        .where(
            CaseTask.status == TaskStatus.OPEN,
            CaseTask.card == Card.RED,
            *figures.task_conditions(filters),
        )
        .order_by(CaseTask.due_at, CaseTask.id)
        .limit(RED_TASKS_SHOWN)
        # The list shows each task's case number: one join, not a query per row, and not
        # the case's large state document.
        .options(joinedload(CaseTask.case).load_only(Case.case_no))
    )
    return list(session.scalars(stmt))


def _chart_data(board: figures.Dashboard) -> dict:
    """What the charts draw: the same numbers as the tables under them."""

    def num(value):
        return None if value is None else float(value)

    cases = board.cases
    return {
        "flow": {
            "periods": [p.period for p in board.flow],
            "received": [p.received for p in board.flow],
            "accepted": [p.accepted for p in board.flow],
            "completed": [p.completed for p in board.flow],
        },
        "departments": {
            "names": [r.department for r in board.departments],
            "on_time": [num(r.on_time_rate) for r in board.departments],
            "legal_on_time": [num(r.legal_on_time_rate) for r in board.departments],
            "yellow": [r.yellow for r in board.departments],
            "red": [r.red for r in board.departments],
            "legal_overdue": [r.legal_overdue for r in board.departments],
        },
        "items": {
            "names": [i.name for i in board.items],
            "used": [num(i.average_days) for i in board.items],
            "promised": [num(i.promised_days) for i in board.items],
        },
        "rates": {
            "names": ["补正率", "容缺率", "不予受理率", "一次办成率", "网办率", "导办率"],
            "values": [
                num(cases.correction_rate),
                num(cases.gap_rate),
                num(cases.refusal_rate),
                num(cases.done_at_once_rate),
                num(cases.online_rate),
                num(board.guidance_rate),
            ],
        },
    }


@bp.get("/report.xlsx", endpoint="report_xlsx")
@requires(Function.SUPERVISE)
def report_xlsx():
    made = _monthly_report()
    return _download(
        report.write_xlsx(made),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{made.filename}.xlsx",
    )


@bp.get("/report.pdf", endpoint="report_pdf")
@requires(Function.SUPERVISE)
def report_pdf():
    made = _monthly_report()
    return _download(report.write_pdf(made), "application/pdf", f"{made.filename}.pdf")


def _monthly_report() -> report.MonthlyReport:
    values, errors = load_or_errors(MonthQuery(), request.args)
    if errors:
        raise Invalid("月份格式应为 YYYY-MM，例如 2026-11")
    return report.monthly_report(db_session(), report.Month.parse(values["month"]))


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="report{filename[filename.rfind(".") :]}"; '
        f"filename*=UTF-8''{quote(filename)}"
    )
    return response


@bp.get("/cases/<case_no>", endpoint="case_page")
@requires(Function.SUPERVISE)
def case_page(case_no: str):
    session = db_session()
    case = find_case(session, case_no)
    if case is None or not access_policy.can_supervise_case(current_user, case):
        raise NotFound("办件不存在")
    return _render_case(session, case, errors={}, status=200)


def _render_case(session, case: Case, errors: dict, status: int):
    ids = [t.id for t in case.tasks]
    return render_template(
        "supervision/case.html",
        case=case,
        applicant=mask_name(case.applicant.display_name),
        steps=item_progress(case),
        tasks=case.tasks,
        urges=urging.urges_of(session, ids),
        escalations=escalation.escalations_of(session, ids),
        may_urge={t.id: access_policy.can_urge(current_user, t) for t in case.tasks},
        timeline=[
            (event, _actor_name(event.actor))
            for event in trail.case_timeline(session, case, current_user)
        ],
        errors=errors,
    ), status


def _actor_name(actor) -> str:
    """Staff by name; an applicant (personal data) masked, as in every list."""
    if actor is None:
        return "系统"
    if actor.has_role(Role.APPLICANT):
        return mask_name(actor.display_name)
    return actor.display_name


@bp.post("/tasks/<int:task_id>/urge", endpoint="urge")
@requires(Function.SUPERVISE)
def urge(task_id: int):
    session = db_session()
    task = session.get(CaseTask, task_id)
    if task is None:
        raise NotFound("任务不存在")
    values, errors = load_or_errors(UrgeInput(), request.form)
    if errors:
        return _render_case(session, task.case, {**errors, "task_id": task_id}, 422)
    try:
        urging.urge(session, current_user, task_id, values["message"])
    except Invalid as exc:
        session.rollback()
        return _render_case(session, task.case, {"message": exc.message, "task_id": task_id}, 422)
    session.commit()
    flash(f"已催办：{task.case.case_no} {task.name}，已通知{task.department.name}")
    return redirect(url_for("supervision.case_page", case_no=task.case.case_no))
