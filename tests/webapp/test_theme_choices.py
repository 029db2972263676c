"""A published theme's own choices read back from its stored document rebuild the same
document: a catalog edit republishes every theme using the item through this round trip,
so a theme attribute it forgot (local settings, desk days, joint application, the public
catalog's wording) would silently drop out of the next version."""

from __future__ import annotations

from pathlib import Path

import pytest

from forms import load_catalog, load_theme_definition
from webapp.themes.published import theme_choices
from webapp.themes.shipped import definition_document

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
CATALOG = load_catalog(PROCESSES / "catalog")
THEMES = sorted(p.parent.name for p in (PROCESSES / "themes").glob("*/theme.yaml"))


@pytest.mark.parametrize("code", THEMES)
def test_a_themes_choices_rebuild_its_document_unchanged(code):
    definition = load_theme_definition(PROCESSES / "themes" / code, CATALOG)
    document = definition_document(definition, CATALOG)
    choices = theme_choices(
        document, lead_department=definition.lead_department, summary=definition.summary
    )
    assert definition_document(choices, CATALOG) == document
