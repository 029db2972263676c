"""The one form of a theme version, as the web pages and services need it.

Everything here reads the version's own snapshot (items, form, materials and guidance
table stored at publish, typed by `themes/published.py`), so a later catalog change never
alters a running case. The guidance table alone decides a case's conditional items
(`decide_items`); the form, the materials and the BPMN variables follow from that decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

from engine.guidance import Guidance, GuidanceError, GuidanceRule, compile_guidance
from engine.problems import Problem, ThemeInvalid
from forms import MergedForm, mask_answers, normalise_answers, to_storable
from forms import validate_application as validate_answers
from forms.field_values import InvalidValue, is_blank, parse_value
from forms.identifiers import area_code_warning
from webapp.process_cache import ProcessCache, version_key
from webapp.regions import region_name, region_table
from webapp.themes.models import ThemeVersion
from webapp.themes.published import PublishedTheme, published_theme

_GUIDANCE: ProcessCache[Guidance | None] = ProcessCache("guidance tables")


def version_form(version: ThemeVersion) -> MergedForm:
    """The whole-theme merged form of a version, decoded once per process."""
    return published_theme(version).form


@dataclass(frozen=True)
class ItemDecision:
    """What a version's guidance makes of the question answers of one application.

    `answers` are the typed answers of the questions that are valid (field key → value);
    `selected` the case's items in theme order; `variables` the BPMN variables; `rules` the
    guidance rules that selected items (their descriptions say why); `errors` one FieldError
    dict per question that is unanswered or wrong — then only unconditional items are
    selected and every variable is False.
    """

    answers: dict[str, Any]
    selected: tuple[str, ...]
    variables: dict[str, Any]
    rules: tuple[GuidanceRule, ...] = ()
    errors: list[dict] = field(default_factory=list)


def question_fields(version: ThemeVersion) -> list[str]:
    """Field keys of the version's guidance questions, in asking order."""
    return list(published_theme(version).questions)


def conditional_items(version: ThemeVersion) -> tuple[str, ...]:
    """Items of the version that only the guidance selects, in theme order."""
    return published_theme(version).conditional_items


def compile_version_guidance(theme: PublishedTheme, dmn: str | None) -> Guidance | None:
    """The guidance table checked against a theme; raises ThemeInvalid.

    None when the theme has no table; a theme with conditional items must have one.
    """
    conditional = list(theme.guided_items)
    if not dmn or not dmn.strip():
        if conditional:
            codes = "、".join(conditional)
            message = f"事项 {codes} 由导办决定，但没有导办决策表（guidance.dmn）"
            raise ThemeInvalid([Problem(message)])
        return None
    variables = dict(theme.question_variables or {})
    return compile_guidance(
        dmn,
        variables=variables,
        item_codes=conditional,
        labels={name: theme.field_label(key) for name, key in variables.items()},
        settings={setting.name: setting.value for setting in theme.settings},
    )


def version_guidance(version: ThemeVersion) -> Guidance | None:
    """The version's compiled guidance table, once per process (versions are immutable)."""
    # Keyed by the table too: cheap, and a version published before digests existed never
    # reads another table's decisions under a reused id.
    return _GUIDANCE.get(
        (version_key(version), version.guidance_dmn),
        # Published tables were checked at publish; a failure here is a server error.
        lambda: compile_version_guidance(published_theme(version), version.guidance_dmn),
    )


def decide_items(version: ThemeVersion, raw_answers: Mapping[str, Any]) -> ItemDecision:
    """Type the question answers, decide the items with the version's guidance table and
    derive the BPMN variables: the one path from guidance answers to a case's items.

    Every question must be answered, a yes/no one too: an unanswered question is an error
    ("…为必填项") that asks it, never a 否 assumed for the applicant — the HTML form and
    the JSON API alike.
    """
    keys = question_fields(version)
    form = version_form(version)
    raw = {key: raw_answers.get(key) for key in keys}
    questions = form.for_items(())
    errors = [e.as_dict() for e in validate_answers(questions, raw)]
    if errors:
        return _undecided(version, raw, questions, errors)
    typed = normalise_answers(questions, raw)
    theme = published_theme(version)
    if not theme.guided:
        return _legacy_decision(theme, typed)
    guidance = version_guidance(version)
    rules: tuple[GuidanceRule, ...] = ()
    if guidance is not None:
        variables = theme.question_variables
        try:
            rules = guidance.matching_rules({v: typed.get(k) for v, k in variables.items()})
        except GuidanceError as exc:
            key = variables.get(exc.variable or "", keys[0] if keys else "")
            error = {"key": key, "message": str(exc), "code": "guidance"}
            return _undecided(version, raw, questions, [error])
    decided = {r.item for r in rules}
    return _decision(version, typed, decided, rules)


def guidance_reasons(
    version: ThemeVersion, decision: ItemDecision | None = None
) -> dict[str, list[str]]:
    """Item code → the guidance's words: for a selected item why it applies (the rules that
    matched), for a conditional item not selected (or with no decision) when it would."""
    guidance = version_guidance(version) if published_theme(version).guided else None
    if guidance is None:
        return {}
    matched = {r.rule_id for r in decision.rules} if decision else set()
    selected = set(decision.selected) if decision else set()
    reasons: dict[str, list[str]] = {}
    for rule in guidance.rules:
        if rule.item not in selected or rule.rule_id in matched:
            said = reasons.setdefault(rule.item, [])
            if rule.description not in said:
                said.append(rule.description)
    return reasons


def _decision(
    version: ThemeVersion, typed: dict, decided: set[str], rules: tuple = ()
) -> ItemDecision:
    theme = published_theme(version)
    selected = tuple(i.code for i in theme.items if not i.conditional or i.code in decided)
    variables = {name: code in selected for name, code in theme.variables.items()}
    return ItemDecision(typed, selected, variables, rules)


def _undecided(version: ThemeVersion, raw: dict, questions: MergedForm, errors) -> ItemDecision:
    # Keep the answers that are valid on their own, so a page can show them again.
    bad = {e["key"] for e in errors}
    typed = {}
    for key, value in raw.items():
        if key not in bad and not is_blank(value):
            with suppress(InvalidValue):
                typed[key] = parse_value(questions.field(key), value)
    decision = _decision(version, typed, set())
    return replace(decision, errors=list(errors))


def _legacy_decision(theme: PublishedTheme, typed: dict) -> ItemDecision:
    # Versions published before guidance tables chose items by a yes/no answer key
    # (`condition`) and mapped BPMN variables to answer keys; they keep working as published.
    selected = tuple(
        i.code for i in theme.items if not i.condition or typed.get(i.condition) is True
    )
    variables = {name: typed.get(key) is True for name, key in theme.variables.items()}
    return ItemDecision(typed, selected, variables)


def check_application(version: ThemeVersion, answers: dict) -> tuple[dict, list[dict]]:
    """(storable answers, []) or ({}, field errors in Chinese) — all errors at once."""
    decision = decide_items(version, answers)
    answers = {**answers, **decision.answers}
    form = version_form(version).for_items(decision.selected)
    regions = region_table()
    errors = [e.as_dict() for e in validate_answers(form, answers, regions)]
    # A guidance error (an answer the table cannot compare) is not a field format error.
    errors += [e for e in decision.errors if e["key"] not in {x["key"] for x in errors}]
    if errors:
        return {}, errors
    return to_storable(normalise_answers(form, answers, regions)), []


def display_sections(
    form: MergedForm, answers: dict, masked: bool = False, warnings: bool = False
) -> list[dict]:
    """The answers as titled sections of label/value pairs (rows for a repeating group).

    With `warnings`, each value a clerk should look at twice carries its warning in
    Chinese (`warning`, for a group `warnings` per row and column): a valid 身份证号 or
    统一社会信用代码 whose area code is in no GB/T 2260 table.
    """
    if masked:
        answers = mask_answers(form, answers)
    sections = []
    for section in form.sections:
        fields = []
        for key in section.fields:
            if key not in answers:
                continue
            f = form.field(key)
            value = answers[key]
            if f.item_fields:
                subs = [s for s in f.item_fields]
                rows = [row for row in value or [] if isinstance(row, dict)]
                shown = {
                    "label": f.label,
                    "headers": [s.label for s in subs],
                    "rows": [[_display(s, row.get(s.key)) for s in subs] for row in rows],
                }
                if warnings:
                    shown["warnings"] = [
                        [_warning(s, row.get(s.key), row) for s in subs] for row in rows
                    ]
                fields.append(shown)
            else:
                shown = {"label": f.label, "value": _display(f, value)}
                if warnings:
                    shown["warning"] = _warning(f, value, answers)
                fields.append(shown)
        if fields:
            sections.append({"title": section.title, "fields": fields})
    return sections


def _warning(f, value, scope: dict) -> str | None:
    """The area-code warning of an identifier answer; `scope` holds its chooser's answer."""
    type_ = f.checked_as.type_for(scope.get(f.checked_as.depends_on)) if f.checked_as else f.type
    if type_ not in ("id_number", "uscc") or not isinstance(value, str):
        return None
    return area_code_warning(type_, value, region_table())


def _display(f, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_display(f, v) for v in value)
    if f.type == "region":
        return region_name(value)  # "广东省 惠州市 博罗县", not 441322
    labels = {o.value: o.label for o in f.options} if f.options else {}
    return labels.get(value, str(value))
