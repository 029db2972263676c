"""Checking an application against the one form: every error at once, each in Chinese.

Answers are flat, keyed by canonical key; a repeating group is a list of objects keyed by
sub-key. A field whose asking items' conditions are all false is not shown, so its answer
is neither checked nor kept. Answers to keys the form does not have are ignored here and
dropped by `normalise_answers` (data minimisation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .field_values import InvalidValue, Parser, is_blank, value_parser
from .merge import MergedField, MergedForm

if TYPE_CHECKING:
    from .regions import RegionTable


@dataclass(frozen=True)
class FieldError:
    """One wrong answer: `key` as in the answers (`shareholders[0].id_code`; rows count
    from 0), `message` naming the field in Chinese, `code` a stable machine reason."""

    key: str
    message: str
    code: str

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "message": self.message, "code": self.code}


class AnswersInvalid(ValueError):
    """Answers that cannot be normalised; carries every FieldError."""

    def __init__(self, errors: list[FieldError]):
        self.errors = list(errors)
        super().__init__("；".join(e.message for e in self.errors))


def validate_application(
    form: MergedForm, answers: Mapping[str, Any], regions: RegionTable | None = None
) -> list[FieldError]:
    """Every error in `answers`, in the form's display order; empty when they are valid.

    With `regions`, a `region` answer must be a county-level code of that table; without
    it only the code's shape is checked.
    """
    return _check(form, answers, regions)[1]


def normalise_answers(
    form: MergedForm, answers: Mapping[str, Any], regions: RegionTable | None = None
) -> dict[str, Any]:
    """The typed answers (str, int, Decimal, date, datetime, bool, lists) of shown fields.

    Blank answers and unknown keys are left out. Raises AnswersInvalid when any answer is
    wrong (`regions` as for `validate_application`). Stored answers (`to_storable`)
    normalise back to the same values.
    """
    values, errors = _check(form, answers, regions)
    if errors:
        raise AnswersInvalid(errors)
    return values


def to_storable(values: Any) -> Any:
    """A JSON-safe copy: Decimal → "12.50" (exact, never a float), date → "2024-05-01"."""
    if isinstance(values, Mapping):
        return {k: to_storable(v) for k, v in values.items()}
    if isinstance(values, list | tuple):
        return [to_storable(v) for v in values]
    if isinstance(values, Decimal):
        return format(values, "f")
    if isinstance(values, date | datetime):
        return values.isoformat()
    return values


@dataclass(frozen=True, eq=False)
class _FieldCheck:
    """One field compiled for checking: its parser, and what its answer depends on."""

    field: MergedField
    key: str
    label: str
    parse: Parser
    depends_on: str | None  # checked_as: the answer choosing the identifier type
    identifier_types: Mapping[str, str] | None  # checked_as: answer value → type
    group: _Scope | None  # a repeating group's sub-fields
    required: bool  # any item requires it (used inside repeating groups)


@dataclass(frozen=True)
class _Scope:
    """The fields of a form (or of a repeating group's row) compiled for parsing: first
    those whose answer alone decides their value, as (key, parser, label); then repeating
    groups and fields checked as identifiers, which read their chooser's parsed value."""

    plain: tuple[tuple[str, Parser, str], ...]
    other: tuple[_FieldCheck, ...]
    by_key: Mapping[str, _FieldCheck]


@dataclass(frozen=True)
class _Plan:
    """What validating against one form needs that does not depend on the answers, worked
    out once per form and kept with it (a theme version's form is cached per process, so
    each application is checked against a ready plan, not a fresh walk of the form)."""

    scope: _Scope
    always_shown: frozenset[str]  # a theme question, or asked by an item unconditionally


def _plan(form: MergedForm) -> _Plan:
    plan = form.__dict__.get("_validation_plan")
    if plan is None:
        plan = _Plan(
            scope=_compile(form.fields),
            always_shown=frozenset(
                f.key for f in form.fields if f.question or any(u.when is None for u in f.usages)
            ),
        )
        # MergedForm is frozen; like its own cached properties, the plan lives in __dict__.
        form.__dict__["_validation_plan"] = plan
    return plan


def _compile(fields: Sequence[MergedField]) -> _Scope:
    checks = [
        _FieldCheck(
            field=f,
            key=f.key,
            label=f.label,
            parse=value_parser(f),
            depends_on=f.checked_as.depends_on if f.checked_as else None,
            identifier_types=dict(f.checked_as.cases) if f.checked_as else None,
            group=_compile(f.item_fields) if f.type == "array" else None,
            required=f.required,
        )
        for f in fields
    ]
    plain = [c for c in checks if c.group is None and c.identifier_types is None]
    # A field checked as an identifier reads its chooser's parsed value: parse it last.
    other = sorted(
        (c for c in checks if c.group is not None or c.identifier_types is not None),
        key=lambda c: c.identifier_types is not None,
    )
    return _Scope(
        plain=tuple((c.key, c.parse, c.label) for c in plain),
        other=tuple(other),
        by_key={c.key: c for c in checks},
    )


def _check(
    form: MergedForm, answers: Mapping[str, Any], regions: RegionTable | None = None
) -> tuple[dict[str, Any], list]:
    plan = _plan(form)
    values, problems = _parse_scope(plan.scope, answers, None, "", regions)
    visible = _Visibility(form, values, plan.always_shown)
    errors: list[FieldError] = []
    kept: dict[str, Any] = {}
    always = plan.always_shown
    for f in form.fields:
        key = f.key
        if key not in always and not visible.shown(key):
            continue
        if key in problems:
            errors.extend(problems[key])
        elif key in values:
            kept[key] = values[key]
        elif visible.required(f):
            errors.append(FieldError(key, f"{f.label}为必填项", "required"))
    return kept, errors


def _parse_scope(
    scope: _Scope,
    answers: Any,
    row_key: str | None,
    label_prefix: str,
    regions: RegionTable | None = None,
) -> tuple[dict[str, Any], dict[str, list[FieldError]]]:
    """Parse the non-blank answers of `scope` (the form's, or those of one row `row_key`
    of a repeating group); errors by field key, not yet filtered."""
    values: dict[str, Any] = {}
    problems: dict[str, list[FieldError]] = {}
    get = answers.get
    for field_key, parse, field_label in scope.plain:  # every field of every application
        raw = get(field_key)
        # is_blank(), inline
        if raw is None or (raw.strip() == "" if isinstance(raw, str) else raw == []):
            continue
        try:
            values[field_key] = parse(raw, None, regions)
        except InvalidValue as exc:
            key = field_key if row_key is None else f"{row_key}.{field_key}"
            message = f"{label_prefix}{field_label}{exc.suffix}"
            problems[field_key] = [FieldError(key, message, exc.code)]
    for check in scope.other:
        field_key = check.key
        raw = get(field_key)
        if is_blank(raw):
            continue
        key = field_key if row_key is None else f"{row_key}.{field_key}"
        label = f"{label_prefix}{check.label}"
        if check.group is not None:
            rows, row_errors = _parse_group(check, check.group, raw, key, label, regions)
            if row_errors:
                problems[field_key] = row_errors
            else:
                values[field_key] = rows
            continue
        chooser = values.get(check.depends_on)
        types = check.identifier_types or {}
        as_type = types.get(chooser) if isinstance(chooser, str) else None
        try:
            values[field_key] = check.parse(raw, as_type, regions)
        except InvalidValue as exc:
            problems[field_key] = [FieldError(key, f"{label}{exc.suffix}", exc.code)]
    return values, problems


def _parse_group(
    group: _FieldCheck,
    scope: _Scope,
    raw: Any,
    key: str,
    label: str,
    regions: RegionTable | None = None,
) -> tuple[list[dict[str, Any]], list[FieldError]]:
    if not isinstance(raw, list):
        return [], [FieldError(key, f"{label}格式不正确", "type")]
    errors: list[FieldError] = []
    c = group.field.constraints
    if c.min_items is not None and len(raw) < c.min_items:
        errors.append(FieldError(key, f"{label}至少填写{c.min_items}项", "min_items"))
    if c.max_items is not None and len(raw) > c.max_items:
        errors.append(FieldError(key, f"{label}最多填写{c.max_items}项", "max_items"))
    subs = group.field.item_fields  # display order
    rows: list[dict[str, Any]] = []
    for index, row in enumerate(raw):
        row_key, row_label = f"{key}[{index}]", f"{label}第{index + 1}项"
        if not isinstance(row, Mapping):
            errors.append(FieldError(row_key, f"{row_label}格式不正确", "type"))
            continue
        values, problems = _parse_scope(scope, row, row_key, row_label, regions)
        for sub in subs:
            if sub.key in problems:
                errors.extend(problems[sub.key])
            elif sub.key not in values and scope.by_key[sub.key].required:
                errors.append(
                    FieldError(
                        f"{row_key}.{sub.key}", f"{row_label}{sub.label}为必填项", "required"
                    )
                )
        rows.append({s.key: values[s.key] for s in subs if s.key in values})
    return rows, errors


class _Visibility:
    """Which fields are shown and required, given the parsed answers of this application."""

    def __init__(
        self, form: MergedForm, values: Mapping[str, Any], always: frozenset[str] = frozenset()
    ):
        self.form = form
        self.values = values
        self.always = always
        self._shown: dict[str, bool] = {}

    def shown(self, key: str) -> bool:
        if key in self.always:
            return True
        if key not in self._shown:
            self._shown[key] = False  # a condition cycle hides the fields in it
            f = self.form.field(key) if key in self.form else None
            self._shown[key] = f is not None and (
                f.question or any(self._holds(u.when) for u in f.usages)
            )
        return self._shown[key]

    def required(self, f: MergedField) -> bool:
        return f.required_given(self._holds)

    def _holds(self, when: Any) -> bool:
        if when is None:
            return True
        return self.shown(when.key) and when.holds(self.values.get(when.key))
