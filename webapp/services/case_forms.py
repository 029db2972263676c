"""The one form and the one material set of a submitted case (its selection is fixed)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms import normalise_answers, to_storable, validate_application

from ..models import Case, ELicence
from ..regions import region_table
from .theme_forms import version_form


def case_form(case: Case):
    """The merged form of the items this case selected at submission."""
    return version_form(case.theme_version).for_items(list(case.selected_items))


def case_materials(case: Case) -> list[dict]:
    """Materials of the case's selected items, each once, exemptions with their reasons.

    A material produced inside the theme is exempt only if the producing item is selected
    for this case; otherwise the applicant must bring it (or its e-licence replaces it).
    """
    selected = set(case.selected_items)
    result = []
    for material in case.theme_version.form["materials"]["materials"]:
        if not selected & set(material["asked_by"]):
            continue
        result.append(material)
    return result


def check_resubmission(case: Case, answers: dict) -> tuple[dict, list[dict]]:
    """(storable answers, []) or ({}, errors): the corrected form, validated in full.

    The guidance answers stay as submitted: a correction fixes the form, it does not change
    which items the case does.
    """
    form = case_form(case)
    merged = dict(answers)
    for key in case.theme_version.definition.get("questions", []):
        if key in case.answers:
            merged[key] = case.answers[key]
    regions = region_table()
    errors = validate_application(form, merged, regions=regions)
    if errors:
        return {}, [e.as_dict() for e in errors]
    return to_storable(normalise_answers(form, merged, regions=regions)), []


def case_licences(session: Session, case: Case) -> list[ELicence]:
    """E-licences this case issued into the applicant's wallet."""
    stmt = select(ELicence).where(ELicence.case_id == case.id).order_by(ELicence.id)
    return list(session.scalars(stmt))
