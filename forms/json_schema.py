"""The one form as a JSON Schema 2020-12 document, for browsers and API clients.

Properties are keyed by the flat canonical key ("enterprise.name"), exactly as answers are
stored; a repeating group is an array of objects keyed by sub-key. UI hints use `x-`
keywords: `x-sections` (titles and field order), `x-widget`, `x-privacy`, `x-unit`,
`x-asked-by`, `x-visible-when`. Conditional requirements and identifier rules are `allOf`
if/then clauses. The schema helps clients check early; `validate_application` remains the
authority (checksums, Chinese messages).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .field_values import (
    DATE_PATTERN,
    EMAIL_PATTERN,
    ID_NUMBER_PATTERN,
    MOBILE_PATTERN,
    USCC_PATTERN,
)
from .regions import REGION_PATTERN

if TYPE_CHECKING:
    from .merge import MergedField, MergedForm

DIALECT = "https://json-schema.org/draft/2020-12/schema"
WIDGETS = {
    "string": "text",
    "text": "textarea",
    "integer": "number",
    "decimal": "number",
    "money": "money",
    "date": "date",
    "datetime": "datetime",
    "boolean": "yes-no",
    "region": "region",
    "mobile": "tel",
    "id_number": "id-number",
    "uscc": "uscc",
    "email": "email",
    "array": "repeating-group",
}
_IDENTIFIER_SCHEMAS: dict[str, dict[str, Any]] = {
    "region": {"type": "string", "pattern": REGION_PATTERN},
    "mobile": {"type": "string", "pattern": MOBILE_PATTERN},
    "id_number": {"type": "string", "pattern": ID_NUMBER_PATTERN},
    "uscc": {"type": "string", "pattern": USCC_PATTERN},
    "email": {"type": "string", "pattern": EMAIL_PATTERN, "format": "email"},
}


def form_json_schema(form: MergedForm, title: str | None = None) -> dict[str, Any]:
    """The schema of the flat answers of `form` (see the module docstring)."""
    schema: dict[str, Any] = {"$schema": DIALECT}
    if title:
        schema["title"] = title
    schema.update(
        {
            "type": "object",
            "properties": {f.key: _property(f) for f in form.fields},
            "required": [f.key for f in form.fields if _always_required(f)],
            "x-items": [{"code": i.code, "name": i.name} for i in form.items],
            "x-sections": [
                {"key": s.key, "title": s.title, "item": s.item, "fields": list(s.fields)}
                for s in form.sections
            ],
        }
    )
    clauses = [c for f in form.fields for c in _conditional_requirements(f, form)]
    clauses += [c for f in form.fields for c in _identifier_rules(f, form)]
    if clauses:
        schema["allOf"] = clauses
    return schema


def _always_required(f: MergedField) -> bool:
    return f.required_given(lambda when: when is None)


def _property(f: MergedField) -> dict[str, Any]:
    prop = _value_schema(f)
    prop["title"] = f.label
    if f.hint:
        prop["description"] = f.hint
    prop["x-label-en"] = f.label_en
    prop["x-privacy"] = f.privacy
    if f.unit:
        prop["x-unit"] = f.unit
    prop["x-widget"] = _widget(f)
    if f.usages:
        prop["x-asked-by"] = list(f.asked_by)
    if f.usages and not f.question and all(u.when for u in f.usages):
        # Shown only while one of the asking items' conditions holds.
        prop["x-visible-when"] = [c.to_dict() for c in dict.fromkeys(u.when for u in f.usages)]
    if f.checked_as:
        prop["x-checked-as"] = f.checked_as.to_dict()
    return prop


def _widget(f: MergedField) -> str:
    if f.type == "enum":
        return "checkboxes" if f.multiple else ("radio" if len(f.options) <= 4 else "select")
    return WIDGETS[f.type]


def _value_schema(f: MergedField) -> dict[str, Any]:
    c = f.constraints
    if f.type in ("string", "text"):
        out: dict[str, Any] = {"type": "string"}
        if c.max_length is not None:
            out["maxLength"] = c.max_length
        if c.min_length is not None:
            out["minLength"] = c.min_length
        return out
    if f.type == "integer":
        return {"type": "integer", **_bounds(f)}
    if f.type in ("decimal", "money"):
        # Exact amounts travel as strings ("12.50"); numbers are accepted from clients.
        places = "" if c.decimals == 0 else rf"(\.\d{{1,{c.decimals}}})?"
        sign = "" if c.min is not None and c.min >= 0 else "-?"
        out = {"type": ["string", "number"], "pattern": rf"^{sign}\d+{places}$", **_bounds(f)}
        if c.decimals is not None:
            out["x-decimals"] = c.decimals
        return out
    if f.type == "date":
        return {"type": "string", "format": "date", "pattern": DATE_PATTERN}
    if f.type == "datetime":
        return {"type": "string", "format": "date-time"}
    if f.type == "boolean":
        return {"type": "boolean"}
    if f.type == "enum":
        choices = {"oneOf": [{"const": o.value, "title": o.label} for o in f.options]}
        if f.multiple:
            return {"type": "array", "items": choices, "uniqueItems": True}
        return {"type": "string", **choices}
    if f.type == "array":
        return _group_schema(f)
    return dict(_IDENTIFIER_SCHEMAS[f.type])


def _bounds(f: MergedField) -> dict[str, Any]:
    out = {}
    if f.constraints.min is not None:
        out["minimum"] = _json_number(f.constraints.min)
    if f.constraints.max is not None:
        out["maximum"] = _json_number(f.constraints.max)
    return out


def _json_number(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def _group_schema(f: MergedField) -> dict[str, Any]:
    row: dict[str, Any] = {
        "type": "object",
        "properties": {s.key: _property(s) for s in f.item_fields},
        "required": [s.key for s in f.item_fields if s.required],
    }
    rules = [
        _identifier_clause(s.checked_as.depends_on, value, s.key, type_, multiple=False)
        for s in f.item_fields
        if s.checked_as
        # Sorted: a form read back from PostgreSQL JSONB has its `when` keys reordered,
        # and the schema must not depend on which database the version came from.
        for value, type_ in sorted(s.checked_as.cases)
    ]
    if rules:
        row["allOf"] = rules
    out: dict[str, Any] = {"type": "array", "items": row}
    if f.constraints.min_items is not None:
        out["minItems"] = f.constraints.min_items
    if f.constraints.max_items is not None:
        out["maxItems"] = f.constraints.max_items
    return out


def _conditional_requirements(f: MergedField, form: MergedForm) -> list[dict[str, Any]]:
    if _always_required(f):
        return []
    clauses = []
    # Several items often share one condition (邮寄 → 邮寄地址): one clause per condition.
    for when in dict.fromkeys(u.when for u in f.usages if u.required and u.when is not None):
        chooser = form.field(when.key) if when.key in form else None
        condition = _holds(when.key, when.value, bool(chooser and chooser.multiple))
        clauses.append({"if": condition, "then": {"required": [f.key]}})
    return clauses


def _identifier_rules(f: MergedField, form: MergedForm) -> list[dict[str, Any]]:
    if f.checked_as is None:
        return []
    chooser = form.field(f.checked_as.depends_on) if f.checked_as.depends_on in form else None
    multiple = bool(chooser and chooser.multiple)
    return [
        _identifier_clause(f.checked_as.depends_on, value, f.key, type_, multiple)
        for value, type_ in sorted(f.checked_as.cases)  # storage-independent, as above
    ]


def _identifier_clause(
    depends_on: str, value: str, key: str, type_: str, multiple: bool
) -> dict[str, Any]:
    return {
        "if": _holds(depends_on, value, multiple),
        "then": {"properties": {key: dict(_IDENTIFIER_SCHEMAS[type_])}},
    }


def _holds(key: str, value: Any, multiple: bool) -> dict[str, Any]:
    test = {"contains": {"const": value}} if multiple else {"const": value}
    return {"properties": {key: test}, "required": [key]}
