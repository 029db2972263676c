"""JSON API under /api/, documented at /api/openapi.json (flask-smorest + marshmallow)."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate

from forms.field_values import CONTROL_CHARACTERS, has_control_characters
from webapp.access_policy import Function
from webapp.applications import drafts
from webapp.cases.lookup import case_for, task_for
from webapp.cases.models import CaseStatus
from webapp.cases.progress import item_progress
from webapp.db import db_session
from webapp.domain_errors import Invalid, NotFound
from webapp.json_bodies import ArgumentsParser
from webapp.themes import publishing
from webapp.themes.lookup import get_theme, latest_version
from webapp.themes.lookup import list_themes as all_themes
from webapp.themes.models import ThemeDraft
from webapp.workbench import claims, inbox
from webapp.workbench.actions import ACTIONS, act_on_task, action_for

from .guards import requires
from .inputs import (
    ACTION_INPUTS,
    ActionChoice,
    AssignInput,
    InboxQuery,
    StrictSchema,
    Text,
    load_or_errors,
)
from .notice import notice_document


class ApiBlueprint(Blueprint):
    """Reads JSON bodies as `request.get_json` does (json_bodies.py): a deeply nested
    body is a 400, not a RecursionError."""

    ARGUMENTS_PARSER = ArgumentsParser()


themes_bp = ApiBlueprint(
    "api_themes", __name__, url_prefix="/api/themes", description="主题（一件事）与流程图版本"
)
cases_bp = ApiBlueprint("api_cases", __name__, url_prefix="/api/cases", description="办件")
tasks_bp = ApiBlueprint("api_tasks", __name__, url_prefix="/api/tasks", description="待办任务")
blueprints = [themes_bp, cases_bp, tasks_bp]


class ThemeOut(StrictSchema):
    code = fields.String()
    name = fields.String()
    summary = fields.String()
    latest_version = fields.Integer(allow_none=True)


class ProblemOut(StrictSchema):
    element_id = fields.String(allow_none=True)
    message = fields.String()


class DraftOut(StrictSchema):
    draft_id = fields.Integer()
    valid = fields.Boolean()
    errors = fields.List(fields.Nested(ProblemOut))


class VersionOut(StrictSchema):
    theme = fields.String()
    version = fields.Integer()


class SubmitIn(StrictSchema):
    theme = Text(required=True, metadata={"description": "主题编码"})
    answers = fields.Dict(
        keys=Text(), required=True, metadata={"description": "按规范字段键填写的申请表"}
    )


class StepOut(StrictSchema):
    kind = fields.String()
    name = fields.String()
    department = fields.String()
    state = fields.String()
    label = fields.String()
    due_at = fields.DateTime(allow_none=True)
    card = fields.String(allow_none=True)


class CaseOut(StrictSchema):
    case_no = fields.String()
    theme = fields.String()
    theme_version = fields.Integer()
    status = fields.String()
    status_label = fields.String()
    promised_at = fields.DateTime(allow_none=True)
    card = fields.String()
    end_reason = fields.String(allow_none=True)
    correction = fields.Dict(allow_none=True)
    steps = fields.List(fields.Nested(StepOut))


class TaskOut(StrictSchema):
    id = fields.Integer()
    case_no = fields.String()
    name = fields.String()
    department = fields.String()
    kind = fields.String()
    status = fields.String()
    due_at = fields.DateTime(allow_none=True)
    card = fields.String()
    claimed_by = fields.String(allow_none=True)


class InboxOut(StrictSchema):
    tasks = fields.List(fields.Nested(TaskOut))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    next_after = fields.String(allow_none=True)


def _case_out(case) -> dict:
    return {
        "case_no": case.case_no,
        "theme": case.theme_version.theme.code,
        "theme_version": case.theme_version.number,
        "status": case.status,
        "status_label": CaseStatus(case.status).label,
        "promised_at": case.promised_at,
        "card": case.card,
        "end_reason": case.end_reason,
        "correction": _public_correction(case.correction),
        "steps": item_progress(case),
    }


def _public_correction(correction: dict | None) -> dict | None:
    if not correction:
        return None
    return {k: correction[k] for k in ("fields", "materials", "note", "requested_at")}


def _task_out(task) -> dict:
    return {
        "id": task.id,
        "case_no": task.case.case_no,
        "name": task.name,
        "department": task.department.name,
        "kind": task.kind,
        "status": task.status,
        "due_at": task.due_at,
        "card": task.card,
        "claimed_by": task.claimed_by.display_name if task.claimed_by else None,
    }


@themes_bp.route("/", methods=["GET"])
@requires(Function.ANY_ACCOUNT)
@themes_bp.response(200, ThemeOut(many=True))
def list_themes():
    session = db_session()
    out = []
    for theme in all_themes(session):
        version = latest_version(session, theme)
        out.append(
            {
                "code": theme.code,
                "name": theme.name,
                "summary": theme.summary,
                "latest_version": version.number if version else None,
            }
        )
    return out


@themes_bp.route("/<code>/notice", methods=["GET"])
@themes_bp.doc(
    parameters=[
        {
            "in": "query",
            "name": "answers",
            "description": (
                "导办问题的回答，按字段键传入（如 housing_fund.needed=true）；不传则为完整告知"
            ),
            "schema": {"type": "object", "additionalProperties": {"type": "string"}},
            "style": "form",
            "explode": True,
        }
    ],
)
@themes_bp.response(200)
def notice(code: str):
    """一次告知书（公开，无需登录）：办理事项、一套材料及免交理由、时限、收费。"""
    return notice_document(code, request.args)


def _xml_body(what: str, kind: str) -> str:
    """The request body as text; an empty or non-UTF-8 body is a 422 saying what was wanted."""
    try:
        xml = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid(f"{what}必须是 UTF-8 编码的 {kind} XML") from None
    if not xml.strip():
        raise Invalid(f"{what}内容为空")
    # XML allows no control character but tab and line breaks: refused, not kept as a broken
    # draft (PostgreSQL would not store a NUL anyway).
    if has_control_characters(xml, multiline=True):
        raise Invalid(f"{what}{CONTROL_CHARACTERS}")
    return xml


@themes_bp.route("/<code>/drafts", methods=["POST"])
@requires(Function.MODEL)
@themes_bp.doc(
    requestBody={
        "content": {"application/xml": {"schema": {"type": "string"}}},
        "description": "BPMN 2.0 XML",
    }
)
@themes_bp.response(201, DraftOut)
def save_draft(code: str):
    """Save a diagram as a draft; it is kept even when invalid, with its problems."""
    session = db_session()
    theme = get_theme(session, code)
    xml = _xml_body("流程图", "BPMN")
    draft = publishing.save_draft(session, current_user, theme, xml)
    session.commit()
    return {"draft_id": draft.id, "valid": draft.valid, "errors": draft.problems}


@themes_bp.route("/<code>/drafts/guidance", methods=["POST"])
@requires(Function.MODEL)
@themes_bp.doc(
    requestBody={
        "content": {"application/xml": {"schema": {"type": "string"}}},
        "description": "DMN 1.3 XML：导办决策表",
    }
)
@themes_bp.response(201, DraftOut)
def save_guidance(code: str):
    """Save an edited guidance table as a draft (with the current diagram), with its problems."""
    session = db_session()
    theme = get_theme(session, code)
    xml = _xml_body("决策表", "DMN")
    draft = publishing.save_guidance(session, current_user, theme, xml)
    session.commit()
    return {"draft_id": draft.id, "valid": draft.valid, "errors": draft.problems}


class PublishIn(StrictSchema):
    reason = Text(
        load_default=None,
        validate=validate.Length(min=2, max=500),
        metadata={"description": "发布原因（记入版本记录和审计日志）"},
    )


@themes_bp.route("/<code>/drafts/<int:draft_id>/publish", methods=["POST"])
@requires(Function.PUBLISH)
@themes_bp.arguments(PublishIn)
@themes_bp.response(201, VersionOut)
def publish(data: dict, code: str, draft_id: int):
    """Publish a valid diagram draft as the next version (the theme's definition as it
    stands; catalog drafts are published from the admin's review page)."""
    session = db_session()
    theme = get_theme(session, code)
    draft = session.get(ThemeDraft, draft_id)
    if draft is None or draft.theme_id != theme.id:
        raise NotFound("草稿不存在")
    version = publishing.publish_draft(session, current_user, draft, reason=data["reason"])
    session.commit()
    return {"theme": theme.code, "version": version.number}


@cases_bp.route("/", methods=["POST"])
@requires(Function.APPLY)
@cases_bp.arguments(SubmitIn)
@cases_bp.response(201, CaseOut)
def submit(data: dict):
    session = db_session()
    theme = get_theme(session, data["theme"])
    case = drafts.submit(session, current_user, theme, data["answers"])
    session.commit()
    return _case_out(case)


@cases_bp.route("/<case_no>", methods=["GET"])
@requires(Function.ANY_ACCOUNT)
@cases_bp.response(200, CaseOut)
def get_case(case_no: str):
    """The case's progress, for its applicant and the clerks who may see it."""
    case = case_for(db_session(), current_user, case_no)
    return _case_out(case)


@tasks_bp.route("/", methods=["GET"])
@requires(Function.WORKBENCH)
@tasks_bp.arguments(InboxQuery, location="query")
@tasks_bp.response(200, InboxOut)
def inbox_list(query: dict):
    """The open tasks of the clerk's departments, earliest due first; `next_after` pages on."""
    page = inbox.inbox(
        db_session(),
        current_user,
        view=query["view"],
        theme_code=query["theme"],
        after=inbox.parse_cursor(query["after"]),
    )
    return {
        "tasks": [_task_out(t) for t in page.tasks],
        "counts": page.counts,
        "next_after": page.next_after,
    }


@tasks_bp.route("/<int:task_id>/complete", methods=["POST"])
@requires(Function.WORKBENCH)
@tasks_bp.doc(
    requestBody={
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": f"#/components/schemas/{schema.__name__}"}
                        for schema in ACTION_INPUTS.values()
                    ]
                }
            }
        },
        "description": "`action` 选择操作（省略为默认办结操作），其余字段见各操作的接口",
    }
)
@tasks_bp.response(200, TaskOut)
def complete(task_id: int):
    """Act on a task: 受理/容缺受理/补正/不予受理, 准予/不予许可, or 统一出件 (`action`)."""
    session = db_session()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid("请求体应为 JSON 对象")
    choice, errors = load_or_errors(ActionChoice(), body)
    if errors:
        raise Invalid("操作无效", details=errors)
    task = task_for(session, current_user, task_id)
    action = action_for(task, choice["action"])
    return _act(session, task_id, action.name, body)


def _act(session, task_id: int, action: str, body: dict) -> dict:
    schema = ACTION_INPUTS[action]()
    try:
        values = schema.load(body)
    except ValidationError as exc:
        raise Invalid("提交的内容有误", details=exc.messages) from None
    task = act_on_task(session, current_user, task_id, action, values)
    session.commit()
    return _task_out(task)


def _register_action(name: str) -> None:
    """POST /api/tasks/<id>/actions/<name>, documented with the action's own schema."""
    action = ACTIONS[name]

    def view(data: dict, task_id: int):
        session = db_session()
        task = act_on_task(session, current_user, task_id, name, data)
        session.commit()
        return _task_out(task)

    view.__name__ = f"action_{name}"
    view.__doc__ = f"{action.verb}（{action.kind.label}任务）"
    view = tasks_bp.response(200, TaskOut)(view)
    view = tasks_bp.arguments(ACTION_INPUTS[name])(view)
    view = requires(Function.WORKBENCH)(view)
    tasks_bp.route(f"/<int:task_id>/actions/{name}", methods=["POST"])(view)


for _name in ACTIONS:
    _register_action(_name)


@tasks_bp.route("/<int:task_id>/claim", methods=["POST"])
@requires(Function.WORKBENCH)
@tasks_bp.response(200, TaskOut)
def claim(task_id: int):
    session = db_session()
    task = claims.claim(session, current_user, task_id)
    session.commit()
    return _task_out(task)


@tasks_bp.route("/<int:task_id>/unclaim", methods=["POST"])
@requires(Function.WORKBENCH)
@tasks_bp.response(200, TaskOut)
def unclaim(task_id: int):
    session = db_session()
    task = claims.unclaim(session, current_user, task_id)
    session.commit()
    return _task_out(task)


@tasks_bp.route("/<int:task_id>/assign", methods=["POST"])
@requires(Function.WORKBENCH)
@tasks_bp.arguments(AssignInput)
@tasks_bp.response(200, TaskOut)
def assign(data: dict, task_id: int):
    session = db_session()
    task = claims.assign(session, current_user, task_id, data["assignee"])
    session.commit()
    return _task_out(task)
