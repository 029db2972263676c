"""The one form of a theme version, as the web pages and services need it.

Everything here reads the version's own snapshot (items, form, materials stored at publish),
so a later catalog change never alters a running case.
"""

from __future__ import annotations

from typing import Any

from forms import MergedForm, mask_answers, normalise_answers, split_for_item, to_storable
from forms import validate_application as validate_answers

from ..models import Case, CaseTask, ThemeVersion

_FORMS: dict[int, MergedForm] = {}


def form_snapshot(definition: dict) -> dict:
    return {"form": definition["form"], "materials": definition["materials"]}


def version_form(version: ThemeVersion) -> MergedForm:
    """The whole-theme merged form of a version, decoded once per process."""
    form = _FORMS.get(version.id)
    if form is None:
        if len(_FORMS) > 256:
            _FORMS.clear()
        form = MergedForm.from_dict(version.form["form"])
        _FORMS[version.id] = form
    return form


def selected_item_codes(version: ThemeVersion, answers: dict) -> list[str]:
    """Items chosen by the guidance answers: unconditional ones and those answered yes."""
    return [
        i["code"]
        for i in version.definition["items"]
        if not i.get("condition") or answers.get(i["condition"]) is True
    ]


def form_for(version: ThemeVersion, answers: dict) -> MergedForm:
    form = version_form(version)
    typed = question_answers(version, answers)
    return form.for_items(selected_item_codes(version, typed))


def question_answers(version: ThemeVersion, answers: dict) -> dict:
    """The guidance answers as booleans (forms may post 'true'/'on'/True)."""
    result = dict(answers)
    for key in version.definition.get("questions", []):
        value = answers.get(key)
        if isinstance(value, str):
            result[key] = value.strip().lower() in {"true", "on", "1", "yes", "是"}
        else:
            result[key] = value is True
    return result


def check_application(version: ThemeVersion, answers: dict) -> tuple[dict, list[dict]]:
    """(storable answers, []) or ({}, field errors in Chinese) — all errors at once."""
    answers = question_answers(version, answers)
    form = form_for(version, answers)
    errors = validate_answers(form, answers)
    if errors:
        return {}, [e.as_dict() for e in errors]
    return to_storable(normalise_answers(form, answers)), []


def process_variables(version: ThemeVersion, answers: dict) -> dict[str, Any]:
    """BPMN variables from their answer keys; an unanswered yes/no question is False."""
    questions = set(version.definition.get("questions", []))
    variables = {}
    for name, key in version.definition.get("variables", {}).items():
        value = answers.get(key)
        variables[name] = (value is True) if key in questions else value
    return variables


def view_for_task(version: ThemeVersion, case: Case, task: CaseTask, kind: str) -> list[dict]:
    """Sections to show on a clerk's task page: an approver sees only their item's fields."""
    form = form_for(version, case.answers)
    if kind == "item" and task.item_code:
        answers = split_for_item(form, task.item_code, case.answers)
        form = form.for_items([task.item_code])
    else:
        answers = case.answers
    return display_sections(form, answers)


def display_sections(form: MergedForm, answers: dict, masked: bool = False) -> list[dict]:
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
                fields.append(
                    {
                        "label": f.label,
                        "headers": [s.label for s in subs],
                        "rows": [
                            [_display(s, row.get(s.key)) for s in subs] for row in value or []
                        ],
                    }
                )
            else:
                fields.append({"label": f.label, "value": _display(f, value)})
        if fields:
            sections.append({"title": section.title, "fields": fields})
    return sections


def _display(f, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_display(f, v) for v in value)
    labels = {o.value: o.label for o in f.options} if f.options else {}
    return labels.get(value, str(value))
