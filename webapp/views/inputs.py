"""marshmallow schemas for every input the web pages and the API accept."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from forms.field_values import CONTROL_CHARACTERS, has_control_characters
from webapp.back_office.special_procedures import KINDS as SPECIAL_KINDS
from webapp.back_office.special_procedures import MAX_EXPECTED_DAYS
from webapp.cases.submissions import SUBMISSION_KEY_FORMAT
from webapp.db import MAX_ROW_ID
from webapp.ratings.models import BAD_TAGS, GOOD_TAGS, LEVEL_LABELS


class StrictSchema(Schema):
    class Meta:
        unknown = EXCLUDE


class Text(fields.String):
    """Every text input: one line, no control characters (PostgreSQL refuses NUL, and the
    others hide or disguise what a clerk reads)."""

    multiline = False
    default_error_messages = {"control": CONTROL_CHARACTERS}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if has_control_characters(text, multiline=self.multiline):
            raise self.make_error("control")
        return text


class MultilineText(Text):
    """Text typed in a textarea: tabs and line breaks are part of it."""

    multiline = True


class RowId(fields.Integer):
    """An id given in a body or query: one the database can hold, else a 422."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Range(min=1, max=MAX_ROW_ID), **kwargs)


class LoginInput(StrictSchema):
    username = Text(required=True, validate=validate.Length(min=1, max=64))
    password = Text(required=True, validate=validate.Length(min=1, max=256))
    next = Text(load_default=None)


class PasswordChangeInput(StrictSchema):
    current_password = Text(required=True, validate=validate.Length(min=1, max=256))
    new_password = Text(required=True, validate=validate.Length(min=1, max=256))
    confirm_password = Text(required=True, validate=validate.Length(min=1, max=256))


class GapInput(StrictSchema):
    material = Text(required=True, validate=validate.Length(min=1, max=64))
    promised_date = fields.Date(required=True, metadata={"description": "承诺补齐日期"})


OPINION = {"description": "意见"}
REASON = {"description": "理由（申请人可见）"}


PAPER_RECEIVED = {
    "description": "窗口当面核收的纸质材料编码；省略时为申请人声明窗口提交的全部纸质材料"
}


def paper_received_field():
    return fields.List(
        Text(validate=validate.Length(min=1, max=64)),
        load_default=None,
        validate=validate.Length(max=100),
        metadata=PAPER_RECEIVED,
    )


class AcceptInput(StrictSchema):
    """受理: every required material must be uploaded, received on paper now, or 容缺."""

    opinion = MultilineText(load_default="", validate=validate.Length(max=500), metadata=OPINION)
    paper_received = paper_received_field()


class AcceptWithGapInput(StrictSchema):
    """容缺受理: the materials accepted missing, each with the applicant's promised date."""

    opinion = MultilineText(load_default="", validate=validate.Length(max=500), metadata=OPINION)
    gaps = fields.List(
        fields.Nested(GapInput), required=True, validate=validate.Length(min=1, max=20)
    )
    paper_received = paper_received_field()


class CorrectInput(StrictSchema):
    """一次性告知补正: the fields to fix and the materials to add, with a note."""

    fields_ = fields.List(
        Text(validate=validate.Length(max=128)),
        data_key="fields",
        attribute="fields",
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"description": "需修改的字段键"},
    )
    materials = fields.List(
        Text(validate=validate.Length(max=64)),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"description": "需补交的材料编码"},
    )
    note = MultilineText(load_default="", validate=validate.Length(max=1000))


class RefuseInput(StrictSchema):
    """不予受理."""

    reason = MultilineText(required=True, validate=validate.Length(max=500), metadata=REASON)


class GrantInput(StrictSchema):
    """准予: opinion, and the result's number (required when the result is an e-licence)."""

    opinion = MultilineText(required=True, validate=validate.Length(max=500), metadata=OPINION)
    result_no = Text(
        load_default="", validate=validate.Length(max=64), metadata={"description": "证照/文书编号"}
    )


class DenyInput(StrictSchema):
    """不予许可."""

    reason = MultilineText(required=True, validate=validate.Length(max=500), metadata=REASON)


class DeliverInput(StrictSchema):
    """统一出件: how the results are handed out (by default as the applicant chose)."""

    method = Text(
        load_default=None,
        validate=validate.OneOf(["window", "post", "electronic"]),
        metadata={
            "description": "window 窗口领取 / post 邮政寄递 / electronic 电子送达；"
            "省略时按申请人在申请表中选择的方式"
        },
    )
    reason = MultilineText(
        load_default="",
        validate=validate.Length(max=500),
        metadata={"description": "不按申请人选择的方式送达时的原因（此时必填）"},
    )
    tracking_no = Text(
        load_default="", validate=validate.Length(max=64), metadata={"description": "邮寄运单号"}
    )
    note = MultilineText(load_default="", validate=validate.Length(max=1000))


class RectifyInput(StrictSchema):
    """差评整改: how the applicant was contacted, what was found, what was corrected, the
    reply the applicant reads."""

    contact = MultilineText(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "与申请人沟通情况（时间、方式）"},
    )
    finding = MultilineText(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "核实情况"},
    )
    correction = MultilineText(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "整改措施"},
    )
    reply = MultilineText(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "给申请人的答复（申请人可见）"},
    )


class UrgeReplyInput(StrictSchema):
    """催办回复: what the department has done about the urged task."""

    reply = MultilineText(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "办理情况说明（效能监督可见）"},
    )


class UrgeInput(StrictSchema):
    """催办: the supervisor's message to the task's department."""

    message = MultilineText(
        required=True,
        validate=validate.Length(min=1, max=500, error="催办意见为 1–500 字"),
        metadata={"description": "催办意见"},
    )


class RatingInput(StrictSchema):
    """好差评: one scope (an item code, or "case" for the whole case), a level, tags, comment."""

    scope = Text(required=True, validate=validate.Length(min=1, max=64))
    level = Text(required=True, validate=validate.OneOf(list(LEVEL_LABELS)))
    tags = fields.List(
        Text(validate=validate.OneOf([*GOOD_TAGS, *BAD_TAGS])),
        load_default=list,
        validate=validate.Length(max=len(GOOD_TAGS) + len(BAD_TAGS)),
    )
    comment = MultilineText(load_default="", validate=validate.Length(max=500))


class SubmitLevelInput(StrictSchema):
    """上报: this level's proposal (拟准予 / 拟不予) and opinion, to the next level."""

    proposal = Text(
        required=True,
        validate=validate.OneOf(["grant", "deny"]),
        metadata={"description": "grant 拟准予 / deny 拟不予"},
    )
    opinion = MultilineText(
        required=True, validate=validate.Length(min=1, max=500), metadata=OPINION
    )


class SendBackInput(StrictSchema):
    """退回: to the level below, with the reason."""

    reason = MultilineText(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "退回理由"},
    )


class StartSpecialInput(StrictSchema):
    """特别程序 (行政许可法 §45): kind, reason, expected working days."""

    kind = Text(required=True, validate=validate.OneOf(list(SPECIAL_KINDS)))
    reason = MultilineText(required=True, validate=validate.Length(min=1, max=500))
    expected_days = fields.Integer(
        required=True, strict=False, validate=validate.Range(1, MAX_EXPECTED_DAYS)
    )


class EndSpecialInput(StrictSchema):
    result = MultilineText(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "特别程序的结果（如现场勘查结论）"},
    )


class RequestExtensionInput(StrictSchema):
    """延期 (§42): working days asked for and why; the setting bounds the days."""

    days = fields.Integer(required=True, strict=False, validate=validate.Range(1, 100))
    reason = MultilineText(required=True, validate=validate.Length(min=1, max=500))


class ApproveExtensionInput(StrictSchema):
    opinion = MultilineText(load_default="", validate=validate.Length(max=500))


class RejectExtensionInput(StrictSchema):
    reason = MultilineText(required=True, validate=validate.Length(min=1, max=500))


class RequestSupplementInput(StrictSchema):
    """退回补正 during review: the materials, all at once, and a note."""

    materials = fields.List(
        Text(validate=validate.Length(max=64)),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"description": "需补交的材料编码"},
    )
    note = MultilineText(load_default="", validate=validate.Length(max=1000))


class SupplementReceivedInput(StrictSchema):
    on_paper = fields.Boolean(load_default=False, metadata={"description": "已在窗口核收纸质件"})


class PromiseInput(StrictSchema):
    """告知承诺书: the item whose promise the applicant signs."""

    item = Text(required=True, validate=validate.Length(min=1, max=64))


class PostCheckInput(StrictSchema):
    """事后核查: what was found (the reason of a 撤销 when the promise was false)."""

    finding = MultilineText(required=True, validate=validate.Length(min=1, max=1000))


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
    "rectify": RectifyInput,
    "reply_urge": UrgeReplyInput,
    "submit_level": SubmitLevelInput,
    "send_back": SendBackInput,
    "start_special": StartSpecialInput,
    "end_special": EndSpecialInput,
    "request_extension": RequestExtensionInput,
    "approve_extension": ApproveExtensionInput,
    "reject_extension": RejectExtensionInput,
    "request_supplement": RequestSupplementInput,
    "supplement_received": SupplementReceivedInput,
    "confirm_promise": PostCheckInput,
    "refute_promise": PostCheckInput,
}


class ActionChoice(StrictSchema):
    """`/complete`: which action; the rest of the body is checked by that action's schema."""

    action = Text(
        load_default=None,
        validate=validate.OneOf(list(ACTION_INPUTS)),
        metadata={"description": "操作；省略时为任务的默认办结操作（受理/准予/出件）"},
    )


class AssignInput(StrictSchema):
    assignee = RowId(required=True, metadata={"description": "转交给的人员 id"})


class MaterialUploadInput(StrictSchema):
    material = Text(required=True, validate=validate.Length(min=1, max=64))
    # Where the applicant came from: the case page or the 补正 page.
    back = Text(load_default="case", validate=validate.OneOf(["case", "correct"]))


class PaperDeclarationInput(StrictSchema):
    """窗口提交纸质件 for one material of a case: declared (on) or withdrawn."""

    material = Text(required=True, validate=validate.Length(min=1, max=64))
    on_paper = fields.Boolean(load_default=False)
    back = Text(load_default="case", validate=validate.OneOf(["case", "correct"]))


class DraftMaterialInput(StrictSchema):
    """The one form's 上传 (a material code) or 删除 (a file id) button."""

    upload = Text(load_default=None, validate=validate.Length(min=1, max=64))
    remove = RowId(load_default=None)


class CollectionPointInput(StrictSchema):
    """同城通办: the service point where the applicant collects the results (optional)."""

    collection_point = fields.Integer(
        load_default=None, allow_none=True, strict=False, validate=validate.Range(1, 2**31 - 1)
    )


class AssistanceInput(StrictSchema):
    """帮办代办: how staff act and for whom (the one form's answers are checked by its rules)."""

    mode = Text(
        required=True,
        validate=validate.OneOf(["help", "proxy"], error="请选择帮办或代办"),
    )
    party_kind = Text(
        required=True,
        validate=validate.OneOf(["person", "company"], error="请选择当事人类型"),
    )
    party_number = Text(
        required=True, validate=validate.Length(min=1, max=32, error="请填写证件号码")
    )
    party_name = Text(
        required=True, validate=validate.Length(min=1, max=64, error="请填写当事人名称")
    )
    party_mobile = Text(
        load_default="",
        validate=validate.Regexp(r"^(1[3-9]\d{9})?$", error="手机号码应为 11 位"),
    )
    consent = fields.Boolean(load_default=False)


class TransferReceiptInput(StrictSchema):
    """签收 a 材料流转单: an optional note (e.g. what did not match the list)."""

    note = Text(load_default="", validate=validate.Length(max=200))


class ServicePointInput(StrictSchema):
    code = Text(
        required=True,
        validate=validate.Regexp(r"^[A-Z0-9-]{2,32}$", error="编码为 2–32 位大写字母、数字或-"),
    )
    name = Text(required=True, validate=validate.Length(min=2, max=64, error="名称为 2–64 个字"))
    level = Text(
        required=True,
        validate=validate.OneOf(["county", "town", "village"], error="请选择服务点层级"),
    )
    parent_id = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(1, 2**31 - 1)
    )
    address = Text(required=True, validate=validate.Length(min=2, max=200, error="请填写地址"))
    hours = Text(required=True, validate=validate.Length(min=2, max=100, error="请填写办公时间"))
    phone = Text(
        required=True,
        validate=validate.Regexp(r"^[0-9-]{5,20}$", error="电话号码只含数字和-，5–20 位"),
    )
    active = fields.Boolean(load_default=True)

    @pre_load
    def _blank_parent(self, data, **kwargs):
        if isinstance(data, dict) and data.get("parent_id") in ("", None):
            data = {**data, "parent_id": None}
        return data


class PlaceStaffInput(StrictSchema):
    username = Text(required=True, validate=validate.Length(min=1, max=64, error="请填写用户名"))


class SubmissionInput(StrictSchema):
    """The one form's own hidden field (the answers are checked by the form's rules)."""

    submission_token = Text(
        load_default=None,
        validate=validate.Regexp(SUBMISSION_KEY_FORMAT),
        metadata={"description": "提交凭据：同一凭据重复提交时返回首次提交生成的办件"},
    )


class WithdrawInput(StrictSchema):
    reason = Text(load_default="", validate=validate.Length(max=200))


class RevokeLicenceInput(StrictSchema):
    """撤销 of an e-licence: the reason (printed on the record, told to the holder) and the
    clerk's confirmation that the licence shown is the one meant."""

    reason = MultilineText(required=True, validate=validate.Length(min=1, max=500))
    confirm = fields.Boolean(required=True, validate=validate.Equal(True))


class CommentInput(StrictSchema):
    body = MultilineText(required=True, validate=validate.Length(min=1, max=1000))


class CalendarNoticeInput(StrictSchema):
    """One year of the State Council's holiday notice, as lines of dates (working_calendar)."""

    year = fields.Integer(required=True, strict=False, validate=validate.Range(2000, 2100))
    notice = Text(load_default="", validate=validate.Length(max=200))
    holidays = MultilineText(required=True, validate=validate.Length(min=1, max=5000))
    workdays = MultilineText(load_default="", validate=validate.Length(max=5000))


class InboxQuery(StrictSchema):
    view = Text(
        load_default="all",
        validate=validate.OneOf(
            ["all", "point", "pool", "mine", "unclaimed", "due_soon", "yellow", "red"]
        ),
    )
    theme = Text(load_default=None, validate=validate.Length(max=64))
    after = Text(load_default=None, validate=validate.Length(max=80))


def action_input_from_form(action: str, form) -> tuple[Schema, dict]:
    """The action's schema and the HTML form's flat fields gathered into its shape."""
    data = {
        k: form.get(k) for k in form if k not in ("fields", "materials", "gap", "paper_received")
    }
    if form.get("paper_form"):
        # The page lists the paper materials as checkboxes: what is ticked is what the
        # clerk received (none ticked is an answer too, unlike the API's omission).
        data.pop("paper_form")
        data["paper_received"] = form.getlist("paper_received")
    data["fields"] = form.getlist("fields")
    data["materials"] = form.getlist("materials")
    data["gaps"] = [
        {"material": code, "promised_date": form.get(f"gap_date_{code}", "")}
        for code in form.getlist("gap")
    ]
    return ACTION_INPUTS[action](), data


def gap_errors_by_material(schema: Schema, data: dict) -> dict[str, str]:
    """A 容缺 row's problems keyed by its material code, so the page shows each one next to
    that material's date input (the schema reports them by row number)."""
    try:
        schema.load(data)
    except ValidationError as exc:
        rows = exc.messages.get("gaps")
        if not isinstance(rows, dict):
            return {}
        gaps = data.get("gaps") or []
        return {
            gaps[i]["material"]: "请填写承诺补齐日期"
            if "promised_date" in problems and not gaps[i]["promised_date"]
            else "承诺补齐日期格式有误"
            for i, problems in rows.items()
            if isinstance(i, int) and i < len(gaps) and isinstance(problems, dict)
        }
    return {}


def load_or_errors(schema: Schema, data) -> tuple[dict | None, dict | None]:
    """(values, None) or (None, field → message); messages in Chinese."""
    try:
        return schema.load(data), None
    except ValidationError as exc:
        return None, {k: _chinese(v) for k, v in exc.messages.items()}


def _chinese(messages) -> str:
    # marshmallow's own messages are English: a message of ours (already Chinese) is shown
    # as it is, the others by kind.
    text = str(messages)
    if CONTROL_CHARACTERS in text:
        return CONTROL_CHARACTERS
    if "required" in text.lower() or "Missing" in text:
        return "请填写此项"
    return "内容不符合要求"


class CatalogSearchInput(Schema):
    """The public catalog's search box (query string); other arguments are ignored."""

    class Meta:
        unknown = EXCLUDE

    q = Text(load_default="", validate=validate.Length(max=50))


class LicenceCheckInput(Schema):
    """证照核验: the licence number and the check code printed on the licence."""

    class Meta:
        unknown = EXCLUDE

    no = Text(load_default="", validate=validate.Length(max=64))
    code = Text(load_default="", validate=validate.Length(max=16))


class CaseQueryInput(Schema):
    """办件查询 (query string): the case number and the query code (or the ID's last 6)."""

    class Meta:
        unknown = EXCLUDE

    no = Text(load_default="", validate=validate.Length(max=32))
    code = Text(load_default="", validate=validate.Length(max=16))


# --- applicants' own accounts (registration, password reset, notification channels) ---

MOBILE = validate.Regexp(r"^1[3-9]\d{9}$", error="请填写 11 位中国大陆手机号")


class RegisterCodeInput(StrictSchema):
    name = Text(required=True, validate=validate.Length(min=1, max=32))
    id_number = Text(required=True, validate=validate.Length(min=15, max=18))
    mobile = Text(required=True, validate=MOBILE)


class RegisterInput(RegisterCodeInput):
    code = Text(required=True, validate=validate.Regexp(r"^\d{6}$", error="验证码为 6 位数字"))
    password = Text(required=True, validate=validate.Length(min=1, max=256))
    confirm_password = Text(required=True, validate=validate.Length(min=1, max=256))


class ResetCodeInput(StrictSchema):
    mobile = Text(required=True, validate=MOBILE)


class ResetInput(ResetCodeInput):
    code = Text(required=True, validate=validate.Regexp(r"^\d{6}$", error="验证码为 6 位数字"))
    new_password = Text(required=True, validate=validate.Length(min=1, max=256))
    confirm_password = Text(required=True, validate=validate.Length(min=1, max=256))


class ChannelsInput(StrictSchema):
    channels = fields.List(Text(validate=validate.OneOf(["in_app", "sms"])), load_default=list)


def channels_form(form) -> dict:
    return {"channels": form.getlist("channels")}


class PublicationInput(StrictSchema):
    """An admin confirms a publication or a rollback, saying why."""

    reason = MultilineText(required=True, validate=validate.Length(min=2, max=500))


class MoveCasesInput(StrictSchema):
    """One case by its number, or every movable case when none is given."""

    case_no = Text(load_default=None, validate=validate.Length(min=1, max=32))


class FeeInput(StrictSchema):
    # Only typed here: what a fee must be is checked by the catalog's own rules (forms).
    name = Text(load_default="", validate=validate.Length(max=200))
    amount = Text(load_default="", validate=validate.Length(max=20))
    basis = Text(load_default="", validate=validate.Length(max=500))


class FieldUseInput(StrictSchema):
    key = Text(load_default="", validate=validate.Length(max=128))  # blank: row dropped
    required = fields.Boolean(load_default=False)


class MaterialEditInput(StrictSchema):
    code = Text(load_default="", validate=validate.Length(max=64))  # blank: row dropped
    name = Text(load_default="", validate=validate.Length(max=200))
    source = Text(load_default="", validate=validate.Length(max=32))
    original_or_copy = Text(load_default="", validate=validate.Length(max=16))
    copies = Text(load_default="", validate=validate.Length(max=4))
    required = fields.Boolean(load_default=False)
    tolerance = fields.Boolean(load_default=False)
    produced_by = Text(load_default=None, validate=validate.Length(max=64))
    e_licence_type = Text(load_default=None, validate=validate.Length(max=100))
    shared_from = Text(load_default=None, validate=validate.Length(max=200))
    note = Text(load_default=None, validate=validate.Length(max=500))


class ItemEditInput(StrictSchema):
    """The catalog editor's form, rows already gathered (views/catalog_form.py)."""

    legal_days = Text(required=True, validate=validate.Length(min=1, max=10))
    promised_days = Text(required=True, validate=validate.Length(min=1, max=10))
    legal_basis = MultilineText(load_default="", validate=validate.Length(max=5000))
    result_name = Text(load_default="", validate=validate.Length(max=200))
    result_type = Text(load_default="", validate=validate.Length(max=16))
    result_e_licence = fields.Boolean(load_default=False)
    delivery = fields.List(Text(validate=validate.Length(max=16)), load_default=list)
    fees = fields.List(fields.Nested(FeeInput), load_default=list)
    fields_ = fields.List(fields.Nested(FieldUseInput), data_key="fields", load_default=list)
    materials = fields.List(fields.Nested(MaterialEditInput), load_default=list)
