"""The one form and the one material set of a submitted case (its selection is fixed), and
what of them a given user may see."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from forms import (
    Holdings,
    MaterialRequirement,
    MergedForm,
    merge_materials,
    normalise_answers,
    split_for_item,
    to_storable,
    validate_application,
)
from webapp import access_policy
from webapp.accounts.models import User
from webapp.cases.models import Case
from webapp.licences import sources
from webapp.licences.models import ELicence
from webapp.process_cache import ProcessCache, version_key
from webapp.regions import region_table
from webapp.themes.models import ThemeVersion
from webapp.themes.published import published_theme
from webapp.themes.theme_forms import display_sections

_MATERIAL_SETS: ProcessCache[tuple[MaterialRequirement, ...]] = ProcessCache(
    "material sets per selection", maxsize=1024
)


def case_form(case: Case) -> MergedForm:
    """The merged form of the items this case selected at submission."""
    return published_theme(case.theme_version).form.for_items(list(case.selected_items))


def case_materials(case: Case) -> list[MaterialRequirement]:
    """The material set of the case's selected items, each material once, with exemptions
    decided for *this* selection: a material produced inside the theme is exempt only when
    the item producing it is selected (a restaurant already registered brings its 营业执照),
    and one an e-licence replaces is exempt when the applicant held a valid one of its type
    at submission (cases submitted before that was kept: when they hold one now).
    """
    if case.licence_holdings is not None:
        held = Holdings.from_dict(case.licence_holdings)
        return selection_materials(case.theme_version, case.selected_items, held)
    session = object_session(case)
    applicant = session.get(User, case.applicant_id) if session is not None else None
    held = sources.holdings(session, applicant) if applicant is not None else None
    return selection_materials(case.theme_version, case.selected_items, held)


def selection_materials(
    version: ThemeVersion, items, holdings: Holdings | None = None
) -> list[MaterialRequirement]:
    """The material set of a selection of items of `version` (a case's, or a draft's);
    `holdings`, when the applicant is known, the e-licences they hold (`sources.holdings`)."""
    selected = tuple(items)

    def build() -> tuple[MaterialRequirement, ...]:
        theme = published_theme(version)
        if theme.notice is None:
            # Versions published before item facts were kept: the whole-theme set, narrowed.
            return tuple(m for m in theme.materials.materials if set(selected) & set(m.asked_by))
        records = [i.as_record() for i in theme.notice.items if i.code in set(selected)]
        return merge_materials(records, order=theme.notice.item_codes, holdings=holdings).materials

    return list(_MATERIAL_SETS.get((version_key(version), selected, holdings), build))


def issued_licence_types(version: ThemeVersion, items) -> set[str]:
    """The e-licence types the selected items of `version` issue (营业执照 when 设立登记
    is among them)."""
    theme = published_theme(version)
    if theme.notice is None:
        return set()
    selected = set(items)
    return {
        i.result.name
        for i in theme.notice.items
        if i.code in selected and i.result and i.result.e_licence
    }


def materials_to_hand_in(case: Case) -> dict[str, MaterialRequirement]:
    """Material code → material, for those the applicant must hand in (not exempt)."""
    return {m.code: m for m in case_materials(case) if not m.exempt}


def visible_materials(user: User, case: Case) -> list[MaterialRequirement]:
    """The case's materials `user` may see (an approver: those of their items)."""
    return [
        m for m in case_materials(case) if access_policy.can_see_material(user, case, m.asked_by)
    ]


def visible_sections(user: User, case: Case, *, masked: bool = False) -> list[dict]:
    """The case's answers as sections, narrowed to the items `user` may see; unmasked (a
    clerk's view) with the warnings a clerk should check (display_sections)."""
    form = case_form(case)
    items = access_policy.visible_items(user, case)
    warnings = not masked
    if items is None:
        return display_sections(form, case.answers, masked=masked, warnings=warnings)
    codes = [c for c in form.item_codes if c in items]
    if not codes:
        return []
    answers: dict = {}
    for code in codes:
        answers.update(split_for_item(form, code, case.answers))
    return display_sections(form.for_items(codes), answers, masked=masked, warnings=warnings)


def check_resubmission(case: Case, answers: dict) -> tuple[dict, list[dict]]:
    """(storable answers, []) or ({}, errors): the corrected form, validated in full.

    The guidance answers stay as submitted: a correction fixes the form, it does not change
    which items the case does.
    """
    form = case_form(case)
    merged = dict(answers)
    for key in published_theme(case.theme_version).questions:
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
