"""What publishing a theme now would make: its newest diagram and table with the catalog
as drafted, and every other theme an edited item would carry into a new version.

A theme's stored definition is rebuilt from the catalog each time (`definition_document`,
the same function the loader uses), so an item edited in the browser reaches the theme's
items, form, materials and notice exactly as an edited file would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from forms import Catalog, CatalogInvalid, MergeConflict, ThemeDefinition
from webapp.catalog import records
from webapp.domain_errors import Invalid
from webapp.themes.lookup import latest_draft, latest_version, list_themes
from webapp.themes.models import Theme, ThemeDraft, ThemeVersion
from webapp.themes.published import item_codes as stored_item_codes
from webapp.themes.published import theme_choices
from webapp.themes.shipped import definition_document


@dataclass(frozen=True)
class Candidate:
    """The version a publication of `theme` would create, before it exists."""

    theme: Theme
    current: ThemeVersion | None  # the version in force, compared against
    draft: ThemeDraft | None  # the diagram draft it takes, None: the current diagram again
    bpmn_xml: str
    guidance_dmn: str | None
    definition: dict[str, Any]
    catalog: dict[str, dict[str, Any]]  # its items' records, as snapshotted on the version
    changed_items: tuple[str, ...]  # items whose pending draft it carries

    @property
    def changes_anything(self) -> bool:
        if self.current is None:
            return True
        return (
            self.bpmn_xml != self.current.bpmn_xml
            or self.guidance_dmn != self.current.guidance_dmn
            or self.definition != self.current.definition
        )


def theme_definition(theme: Theme) -> ThemeDefinition:
    """The theme's own choices, to rebuild its document with another catalog."""
    return theme_choices(
        theme.definition,
        lead_department=theme.lead_department.code if theme.lead_department else "",
        summary=theme.summary,
    )


def item_codes(theme: Theme) -> tuple[str, ...]:
    return stored_item_codes(theme.definition)


def themes_using(session: Session, codes) -> list[Theme]:
    codes = set(codes)
    return [t for t in list_themes(session) if codes & set(item_codes(t))]


def draft_catalog(session: Session, processes_dir: Path, codes) -> Catalog:
    try:
        return records.catalog_with_drafts(session, processes_dir, codes)
    except CatalogInvalid as exc:
        raise Invalid(
            "事项目录草稿未通过校验", details=[p.as_dict() for p in exc.problems]
        ) from None


def rebuilt_definition(theme: Theme, catalog: Catalog) -> dict[str, Any]:
    """The theme's document with `catalog`; raises Invalid naming both items of a conflict."""
    try:
        return definition_document(theme_definition(theme), catalog)
    except MergeConflict as exc:
        raise Invalid(
            f"{theme.name}：事项的表单无法合并",
            details=[{"message": _conflict_message(c)} for c in exc.conflicts],
        ) from None


def _conflict_message(conflict) -> str:
    items = "、".join(
        f"“{name}”（{code}）"
        for code, name in zip(conflict.item_codes, conflict.item_names, strict=False)
    )
    return f"{conflict.message}（涉及事项 {items}）" if items else conflict.message


def candidate(
    session: Session,
    theme: Theme,
    processes_dir: Path,
    *,
    drafted: frozenset[str] | None = None,
) -> Candidate:
    """The theme's next version: its newest valid diagram draft not yet published and the
    pending drafts of its items; or, for a theme another theme's publication carries
    along, its current diagram and only the drafts of `drafted` (that theme's items)."""
    with_diagram_draft = drafted is None
    if drafted is None:
        drafted = frozenset(records.pending_drafts(session)) & frozenset(item_codes(theme))
    current = latest_version(session, theme)
    draft = latest_draft(session, theme) if with_diagram_draft else None
    if draft is not None and (
        not draft.valid or (current is not None and current.draft_id is not None
                            and current.draft_id >= draft.id)
    ):  # fmt: skip
        draft = None
    if draft is None and current is None:
        raise Invalid("该主题还没有可发布的流程图")
    catalog = draft_catalog(session, processes_dir, drafted)
    definition = rebuilt_definition(theme, catalog)
    codes = item_codes(theme)
    return Candidate(
        theme=theme,
        current=current,
        draft=draft,
        bpmn_xml=draft.bpmn_xml if draft else current.bpmn_xml,
        guidance_dmn=draft.guidance_dmn if draft else current.guidance_dmn,
        definition=definition,
        catalog=snapshot(session, processes_dir, codes, drafted),
        changed_items=tuple(c for c in codes if c in drafted),
    )


def snapshot(session: Session, processes_dir: Path, codes, drafted) -> dict[str, dict[str, Any]]:
    documents = records.draft_documents(session, processes_dir, drafted)
    return {c: documents[c] for c in codes if c in documents}


def carried_along(session: Session, theme: Theme, processes_dir: Path) -> list[Candidate]:
    """The other themes that use an item with a pending draft of this theme: each gets a
    new version with its current diagram and the edited catalog."""
    pending = frozenset(records.pending_drafts(session)) & frozenset(item_codes(theme))
    if not pending:
        return []
    return [
        candidate(session, other, processes_dir, drafted=pending)
        for other in themes_using(session, pending)
        if other.id != theme.id and latest_version(session, other) is not None
    ]
