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


class PasswordChangeInput(StrictSchema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    confirm_password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class GapInput(StrictSchema):
    material = fields.String(required=True, validate=validate.Length(min=1, max=64))
    promised_date = fields.Date(required=True, metadata={"description": "承诺补齐日期"})


OPINION = {"description": "意见"}
REASON = {"description": "理由（申请人可见）"}


class AcceptInput(StrictSchema):
    """受理."""

    opinion = fields.String(load_default="", validate=validate.Length(max=500), metadata=OPINION)


class AcceptWithGapInput(StrictSchema):
    """容缺受理: the materials accepted missing, each with the applicant's promised date."""

    opinion = fields.String(load_default="", validate=validate.Length(max=500), metadata=OPINION)
    gaps = fields.List(
        fields.Nested(GapInput), required=True, validate=validate.Length(min=1, max=20)
    )


class CorrectInput(StrictSchema):
    """一次性告知补正: the fields to fix and the materials to add, with a note."""

    fields_ = fields.List(
        fields.String(validate=validate.Length(max=128)),
        data_key="fields",
        attribute="fields",
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"description": "需修改的字段键"},
    )
    materials = fields.List(
        fields.String(validate=validate.Length(max=64)),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"description": "需补交的材料编码"},
    )
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class RefuseInput(StrictSchema):
    """不予受理."""

    reason = fields.String(required=True, validate=validate.Length(max=500), metadata=REASON)


class GrantInput(StrictSchema):
    """准予: opinion, and the result's number (required when the result is an e-licence)."""

    opinion = fields.String(required=True, validate=validate.Length(max=500), metadata=OPINION)
    result_no = fields.String(
        load_default="", validate=validate.Length(max=64), metadata={"description": "证照/文书编号"}
    )


class DenyInput(StrictSchema):
    """不予许可."""

    reason = fields.String(required=True, validate=validate.Length(max=500), metadata=REASON)


class DeliverInput(StrictSchema):
    """统一出件: how the results are handed out."""

    method = fields.String(
        required=True,
        validate=validate.OneOf(["window", "post", "electronic"]),
        metadata={"description": "window 窗口领取 / post 邮政寄递 / electronic 电子送达"},
    )
    tracking_no = fields.String(
        load_default="", validate=validate.Length(max=64), metadata={"description": "邮寄运单号"}
    )
    note = fields.String(load_default="", validate=validate.Length(max=1000))


# One schema per workbench action (workbench/actions.py ACTIONS), so each one's fields are
# checked, and documented in the OpenAPI document, on their own.
ACTION_INPUTS: dict[str, type[StrictSchema]] = {
    "accept": AcceptInput,
    "accept_with_gap": AcceptWithGapInput,
    "correct": CorrectInput,
    "refuse": RefuseInput,
    "grant": GrantInput,
    "deny": DenyInput,
    "deliver": DeliverInput,
}


class ActionChoice(StrictSchema):
    """`/complete`: which action; the rest of the body is checked by that action's schema."""

    action = fields.String(
        load_default=None,
        validate=validate.OneOf(list(ACTION_INPUTS)),
        metadata={"description": "操作；省略时为任务的默认办结操作（受理/准予/出件）"},
    )


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


def action_input_from_form(action: str, form) -> tuple[Schema, dict]:
    """The action's schema and the HTML form's flat fields gathered into its shape."""
    data = {k: form.get(k) for k in form if k not in ("fields", "materials", "gap")}
    data["fields"] = form.getlist("fields")
    data["materials"] = form.getlist("materials")
    data["gaps"] = [
        {"material": code, "promised_date": form.get(f"gap_date_{code}", "")}
        for code in form.getlist("gap")
    ]
    return ACTION_INPUTS[action](), data


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
