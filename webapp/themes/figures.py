"""How much a theme's merge saves (字段精简率 / 材料精简率), as admins see it.

Figures come from the published version's own snapshot, for two selections: every item
(all conditional items chosen) and the minimal one (only the items every case needs).
"""

from __future__ import annotations

from dataclasses import dataclass

from forms import MergeFigures, merge_figures, merge_materials
from webapp.domain_errors import Conflict
from webapp.themes import notices, theme_forms
from webapp.themes.models import Theme, ThemeVersion


@dataclass(frozen=True)
class SelectionFigures:
    """The figures of one selection of items."""

    label: str
    item_names: tuple[str, ...]
    figures: MergeFigures


@dataclass(frozen=True)
class ThemeFigures:
    theme: Theme
    version: ThemeVersion
    selections: tuple[SelectionFigures, ...]
    problem: str | None = None  # why there are no figures for this version


def selection_figures(version: ThemeVersion, codes: list[str]) -> MergeFigures:
    """Fields and materials asked once against the items' own counts, for these items."""
    source = notices.source_of(version)
    chosen = [i for i in source.items if i.code in set(codes)]
    form = theme_forms.version_form(version).for_items(codes)
    materials = merge_materials([i.as_record() for i in chosen], order=source.item_codes)
    return merge_figures(form, materials)


def theme_figures(theme: Theme, version: ThemeVersion) -> ThemeFigures:
    """Figures for every item, and for the minimal selection when some items are optional."""
    try:
        source = notices.source_of(version)
    except Conflict as exc:  # published before item facts were kept with versions
        return ThemeFigures(theme, version, (), exc.message)
    conditional = set(theme_forms.conditional_items(version))
    everything = list(source.item_codes)
    choices = [("全部事项", everything)]
    if conditional:
        choices.append(("最少事项（仅必办事项）", [c for c in everything if c not in conditional]))
    names = {i.code: i.name for i in source.items}
    return ThemeFigures(
        theme,
        version,
        tuple(
            SelectionFigures(
                label, tuple(names[c] for c in codes), selection_figures(version, codes)
            )
            for label, codes in choices
        ),
    )
