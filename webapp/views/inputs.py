"""marshmallow schemas for every input the web pages and the API accept."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate


class StrictSchema(Schema):
    class Meta:
        unknown = EXCLUDE


class LoginInput(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    next = fields.String(load_default=None)


class GapInput(StrictSchema):
    material = fields.String(required=True, validate=validate.Length(min=1, max=64))
    promised_date = fields.Date(required=True, metadata={"description": "承诺补齐日期"})


class TaskActionInput(StrictSchema):
    """Every workbench action on a task; which fields matter depends on `action`."""

    action = fields.String(
        load_default=None,
        validate=validate.OneOf(
            ["accept", "accept_with_gap", "correct", "refuse", "grant", "deny", "deliver"]
        ),
        metadata={"description": "操作；省略时为任务的默认办结操作（受理/准予/出件）"},
    )
    opinion = fields.String(load_default="", validate=validate.Length(max=500))
    reason = fields.String(load_default="", validate=validate.Length(max=500))
    result_no = fields.String(load_default="", validate=validate.Length(max=64))
    fields_ = fields.List(
        fields.String(validate=validate.Length(max=128)),
        data_key="fields",
        attribute="fields",
        load_default=list,
        validate=validate.Length(max=100),
    )
    materials = fields.List(
        fields.String(validate=validate.Length(max=64)),
        load_default=list,
        validate=validate.Length(max=100),
    )
    note = fields.String(load_default="", validate=validate.Length(max=1000))
    gaps = fields.List(fields.Nested(GapInput), load_default=list, validate=validate.Length(max=20))
    method = fields.String(
        load_default="", validate=validate.OneOf(["", "window", "post", "electronic"])
    )
    tracking_no = fields.String(load_default="", validate=validate.Length(max=64))


class AssignInput(StrictSchema):
    assignee = fields.Integer(required=True, metadata={"description": "转交给的人员 id"})


class MaterialUploadInput(StrictSchema):
    material = fields.String(required=True, validate=validate.Length(min=1, max=64))


class WithdrawInput(StrictSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class CommentInput(StrictSchema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class InboxQuery(StrictSchema):
    view = fields.String(
        load_default="all",
        validate=validate.OneOf(["all", "mine", "unclaimed", "due_soon", "yellow", "red"]),
    )
    theme = fields.String(load_default=None, validate=validate.Length(max=64))
    after = fields.String(load_default=None, validate=validate.Length(max=80))


def task_action_from_form(form) -> dict:
    """The HTML forms post flat fields; gather them into TaskActionInput's shape."""
    data = {k: form.get(k) for k in form if k not in ("fields", "materials", "gap")}
    data["fields"] = form.getlist("fields")
    data["materials"] = form.getlist("materials")
    data["gaps"] = [
        {"material": code, "promised_date": form.get(f"gap_date_{code}", "")}
        for code in form.getlist("gap")
    ]
    return data


def load_or_errors(schema: Schema, data) -> tuple[dict | None, dict | None]:
    """(values, None) or (None, field → messages); messages in Chinese."""
    try:
        return schema.load(data), None
    except ValidationError as exc:
        return None, {
            k: "请填写此项"
            if "required" in str(v).lower() or "Missing" in str(v)
            else "内容不符合要求"
            for k, v in exc.messages.items()
        }
