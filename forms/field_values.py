"""Reading one answer as the value its field type promises, or saying why it is not one.

Answers arrive from HTML forms (strings) or JSON (numbers, booleans, lists); each type
accepts both and returns one Python type: str, int, Decimal, date, datetime, bool, or a
list of option values. 身份证号 and 统一社会信用代码 are checked as forms/identifiers.py says
(python-stdnum's GB 11643 and GB 32100 check digits, never by hand).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol

from stdnum import exceptions as stdnum_errors

from .constraints import Constraints
from .identifiers import BirthDateInFuture, validate_credit_code, validate_resident_id
from .regions import NOT_A_COUNTY, region_problem

if TYPE_CHECKING:
    from .regions import RegionTable

MOBILE_PATTERN = r"^1[3-9]\d{9}$"
ID_NUMBER_PATTERN = r"^\d{17}[\dXx]$"
USCC_PATTERN = r"^\d{8}[0-9A-HJ-NPQRTUWXY]{10}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
DATETIME_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$"

# Control characters (Unicode Cc: C0, DEL, C1) are never part of an answer: they hide or
# disguise text, and PostgreSQL refuses NUL in text. Lone surrogates have no UTF-8 form at
# all. Multi-line text keeps its tabs and line breaks.
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_IN_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_CHARACTERS = "不能包含控制字符或无效字符"

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?\d+(\.\d+)?")
_DATE = re.compile(DATE_PATTERN)
_DATETIME = re.compile(DATETIME_PATTERN)
_MOBILE = re.compile(MOBILE_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)

_STDNUM_SUFFIX = {
    stdnum_errors.InvalidLength: ("length", "长度应为18位"),
    stdnum_errors.InvalidFormat: ("format", "格式不正确"),
    stdnum_errors.InvalidChecksum: ("checksum", "校验位错误"),
    # The area code never refuses a number (forms/identifiers.py): only the birth date.
    stdnum_errors.InvalidComponent: ("birth_date", "中的出生日期无效"),
    BirthDateInFuture: ("birth_date", "中的出生日期晚于今天"),
}


class FieldLike(Protocol):
    type: str
    constraints: Constraints
    multiple: bool
    unit: str | None


class InvalidValue(ValueError):
    """Why an answer is not a value of its field; `suffix` follows the field's label."""

    def __init__(self, code: str, suffix: str):
        self.code = code
        self.suffix = suffix
        super().__init__(suffix)


def has_control_characters(text: str, *, multiline: bool = False) -> bool:
    """Whether `text` holds a control character; tab, CR and LF count only on one line."""
    return (_CONTROL_IN_LINES if multiline else _CONTROL_IN_LINE).search(text) is not None


def is_blank(raw: Any) -> bool:
    return raw is None or raw == [] or (isinstance(raw, str) and not raw.strip())


def parse_value(
    field: FieldLike,
    raw: Any,
    as_type: str | None = None,
    regions: RegionTable | None = None,
) -> Any:
    """The typed value of a non-blank answer; raises InvalidValue.

    `as_type` checks a string field as an identifier type too (see CheckedAs). `regions`
    is the division table a `region` answer must name a county of; without it only the
    code's shape is checked.
    """
    return value_parser(field)(raw, as_type, regions)


Parser = Callable[[Any, "str | None", "RegionTable | None"], Any]


def value_parser(field: FieldLike) -> Parser:
    """`parse_value` for one field, with what depends on the field alone (its type, its
    constraints, the control-character rule) decided once: validation builds one parser
    per field of a form and calls it for every application."""
    type_ = field.type
    c = field.constraints
    refuse = _control_check(multiline=type_ == "text")
    if type_ in ("string", "text"):
        max_length, min_length = c.max_length, c.min_length
        search = (_CONTROL_IN_LINES if type_ == "text" else _CONTROL_IN_LINE).search

        def parse_text(raw: Any, as_type: str | None = None, regions: Any = None) -> Any:
            if not isinstance(raw, str):
                refuse(raw)
                raise InvalidValue("type", "应为文本")
            value = raw.strip()
            if search(value) is not None:
                raise InvalidValue("control", CONTROL_CHARACTERS)
            if max_length is not None and len(value) > max_length:
                raise InvalidValue("max_length", f"不能超过{max_length}个字符")
            if min_length is not None and len(value) < min_length:
                raise InvalidValue("min_length", f"不能少于{min_length}个字符")
            return parse_identifier(as_type, value, regions) if as_type else value

        return parse_text
    if type_ in ("region", "mobile", "id_number", "uscc", "email"):

        def parse_identifier_field(raw: Any, as_type: Any = None, regions: Any = None) -> Any:
            refuse(raw)
            return parse_identifier(type_, _text(raw), regions)

        return parse_identifier_field
    if type_ == "enum":
        allowed = c.option_values()
        if field.multiple:
            return lambda raw, as_type=None, regions=None: _choices(refuse(raw), allowed)
        return lambda raw, as_type=None, regions=None: _choice(refuse(raw), allowed)
    if type_ == "integer":
        unit = field.unit
        return lambda raw, as_type=None, regions=None: _in_range(_integer(refuse(raw)), c, unit)
    if type_ in ("decimal", "money"):
        unit, decimals = field.unit, c.decimals
        return lambda raw, as_type=None, regions=None: _in_range(
            _decimal(refuse(raw), decimals), c, unit
        )
    if type_ == "date":
        return lambda raw, as_type=None, regions=None: _date(refuse(raw))
    if type_ == "datetime":
        return lambda raw, as_type=None, regions=None: _datetime(refuse(raw))
    if type_ == "boolean":
        return lambda raw, as_type=None, regions=None: _boolean(refuse(raw))

    def unknown_type(raw: Any, as_type: Any = None, regions: Any = None) -> Any:
        refuse(raw)
        raise InvalidValue("type", "的类型无法校验")

    return unknown_type


def parse_identifier(type_: str, value: str, regions: RegionTable | None = None) -> str:
    """A checked, compact identifier (upper case where the standard uses letters)."""
    if type_ == "region":
        problem = region_problem(value) if regions is None else regions.problem(value)
        if problem == NOT_A_COUNTY:
            raise InvalidValue("region", problem)
        if problem:
            raise InvalidValue("format", problem)
        return value
    if type_ == "mobile":
        if not _MOBILE.fullmatch(value):
            raise InvalidValue("format", "格式不正确")
        return value
    if type_ == "email":
        if not _EMAIL.fullmatch(value):
            raise InvalidValue("format", "格式不正确")
        return value
    validate = {"id_number": validate_resident_id, "uscc": validate_credit_code}[type_]
    try:
        return validate(value)
    except stdnum_errors.ValidationError as exc:
        code, suffix = _STDNUM_SUFFIX.get(type(exc), ("format", "格式不正确"))
        raise InvalidValue(code, suffix) from None


def _control_check(multiline: bool) -> Callable[[Any], Any]:
    """A check that raises for an answer (a text, or a list of them) holding a control
    character, and otherwise returns the answer as it is. It runs before any other check,
    so a hidden character is named as such in every field type (and never echoed back
    inside a "not an option" message)."""
    search = (_CONTROL_IN_LINES if multiline else _CONTROL_IN_LINE).search

    def refuse(raw: Any) -> Any:
        if isinstance(raw, str):
            if search(raw.strip()) is not None:
                raise InvalidValue("control", CONTROL_CHARACTERS)
        elif isinstance(raw, list):
            for text in raw:
                if isinstance(text, str) and search(text.strip()) is not None:
                    raise InvalidValue("control", CONTROL_CHARACTERS)
        return raw

    return refuse


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise InvalidValue("type", "应为文本")
    return raw.strip()


def _integer(raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and _INTEGER.fullmatch(raw.strip()):
        return int(raw.strip())
    raise InvalidValue("type", "应为整数")


def _decimal(raw: Any, decimals: int | None) -> Decimal:
    number: Decimal | None = None
    if isinstance(raw, Decimal | int) and not isinstance(raw, bool):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(str(raw))  # the number as written, not its binary approximation
    elif isinstance(raw, str) and _DECIMAL.fullmatch(raw.strip()):
        try:
            number = Decimal(raw.strip())
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        raise InvalidValue("type", "应为数字")
    exponent = number.as_tuple().exponent
    if decimals is not None and isinstance(exponent, int) and -exponent > decimals:
        raise InvalidValue("decimals", f"最多保留{decimals}位小数")
    return number


def _in_range(number: Any, c: Constraints, unit: str | None) -> Any:
    unit = unit or ""
    if c.min is not None and number < c.min:
        raise InvalidValue("min", f"不能小于{c.min}{unit}")
    if c.max is not None and number > c.max:
        raise InvalidValue("max", f"不能大于{c.max}{unit}")
    return number


def _date(raw: Any) -> date:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str) and _DATE.fullmatch(raw.strip()):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise InvalidValue("format", "应为有效日期（YYYY-MM-DD）")


def _datetime(raw: Any) -> datetime:
    if isinstance(raw, datetime):
        return raw
    if isinstance(raw, str) and _DATETIME.fullmatch(raw.strip()):
        try:
            return datetime.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise InvalidValue("format", "应为有效日期时间（YYYY-MM-DD HH:MM）")


def _choice(raw: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(raw, str):
        raise InvalidValue("type", "应为单个选项")
    if raw not in allowed:
        raise InvalidValue("option", f"的取值“{raw}”不在可选范围内")
    return raw


def _choices(raw: Any, allowed: tuple[str, ...]) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise InvalidValue("type", "应为选项列表")
    unknown = [v for v in raw if v not in allowed]
    if unknown:
        raise InvalidValue("option", f"的取值“{'、'.join(unknown)}”不在可选范围内")
    if len(set(raw)) != len(raw):
        raise InvalidValue("duplicate", "有重复的选项")
    return [v for v in allowed if v in raw]  # the dictionary's order, whatever was clicked first


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw in ("true", "false"):  # HTML forms send strings
        return raw == "true"
    raise InvalidValue("type", "应为“是”或“否”")
