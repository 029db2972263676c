"""The form side of YJS: item catalog, field dictionary, the one form and the one material set.

Imports neither Flask, SQLAlchemy nor SpiffWorkflow; the web app composes it with the engine.
"""

from .catalog import Catalog, Department, load_catalog
from .constraints import Constraints, Option
from .field_dictionary import CheckedAs, FieldDef
from .figures import MergeFigures, merge_figures
from .items import Condition, FieldUse, ItemRecord, ItemResult, Material
from .masking import mask_answers, mask_id_number, mask_mobile
from .materials import (
    Holdings,
    MaterialRequirement,
    MaterialSet,
    licence_exemption,
    merge_materials,
)
from .merge import FieldUsage, FormItem, MergedField, MergedForm, MergedSection, merge_forms
from .problems import CatalogInvalid, CatalogProblem, Conflict, MergeConflict
from .split import split_for_item
from .themes import (
    ThemeDefinition,
    ThemeItem,
    load_theme_definition,
    theme_form,
    theme_materials,
)
from .validation import (
    AnswersInvalid,
    FieldError,
    normalise_answers,
    to_storable,
    validate_application,
)

__all__ = [
    "AnswersInvalid",
    "Catalog",
    "CatalogInvalid",
    "CatalogProblem",
    "CheckedAs",
    "Condition",
    "Conflict",
    "Constraints",
    "Department",
    "FieldDef",
    "FieldError",
    "FieldUsage",
    "FieldUse",
    "FormItem",
    "ItemRecord",
    "ItemResult",
    "Material",
    "MaterialRequirement",
    "MaterialSet",
    "MergeConflict",
    "MergeFigures",
    "MergedField",
    "MergedForm",
    "MergedSection",
    "Option",
    "ThemeDefinition",
    "ThemeItem",
    "load_catalog",
    "load_theme_definition",
    "mask_answers",
    "mask_id_number",
    "mask_mobile",
    "merge_figures",
    "merge_forms",
    "merge_materials",
    "Holdings",
    "licence_exemption",
    "normalise_answers",
    "split_for_item",
    "theme_form",
    "theme_materials",
    "to_storable",
    "validate_application",
]
