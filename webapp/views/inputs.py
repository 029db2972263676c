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


class ApproveInput(StrictSchema):
    opinion = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "审批意见"},
    )
    result_no = fields.String(
        load_default="",
        validate=validate.Length(max=64),
        metadata={"description": "证照或文书编号"},
    )


class AcceptInput(StrictSchema):
    opinion = fields.String(load_default="材料齐全，予以受理", validate=validate.Length(max=500))


class DeliverInput(StrictSchema):
    method = fields.String(
        required=True, validate=validate.OneOf(["窗口领取", "邮政寄递", "电子送达"])
    )
    tracking_no = fields.String(load_default="", validate=validate.Length(max=64))


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
