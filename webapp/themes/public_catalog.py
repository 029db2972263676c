"""The public catalog of themes (办事大厅): what anyone may apply for, grouped as citizens
look for it — 个人 / 法人, then the life or business event — and searchable.

Only themes with a published version are listed; the "我要…" name, the audience and the
event come from theme.yaml as loaded (presentation, not part of a version).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from webapp.themes.lookup import latest_version
from webapp.themes.models import Theme
from webapp.themes.published import published_theme

AUDIENCE_ORDER = ("个人", "法人")
OTHER_AUDIENCE = "其他"
OTHER_EVENT = "其他事项"


@dataclass(frozen=True)
class CatalogEntry:
    code: str
    name: str  # 企业开办一件事
    wish: str  # 我要开办企业
    audience: str  # 个人 | 法人
    event: str  # 企业开办, 出生 …
    summary: str
    lead_department: str
    item_names: tuple[str, ...]

    def matches(self, words: str) -> bool:
        """Every word of the search is somewhere in what the entry says."""
        haystack = " ".join(
            (self.name, self.wish, self.event, self.summary, self.lead_department, *self.item_names)
        )
        return all(word in haystack for word in words.split())


def public_entries(session: Session) -> list[CatalogEntry]:
    entries = []
    themes = session.scalars(select(Theme).options(undefer(Theme.definition)).order_by(Theme.id))
    for theme in themes:
        version = latest_version(session, theme)
        if version is None:
            continue
        portal = (theme.definition or {}).get("portal") or {}
        entries.append(
            CatalogEntry(
                code=theme.code,
                name=theme.name,
                wish=portal.get("wish") or theme.name,
                audience=portal.get("audience") or OTHER_AUDIENCE,
                event=portal.get("event") or OTHER_EVENT,
                summary=theme.summary,
                lead_department=theme.lead_department.name if theme.lead_department else "",
                item_names=tuple(i.name for i in published_theme(version).items),
            )
        )
    return entries


def grouped(entries: list[CatalogEntry]) -> list[tuple[str, list[tuple[str, list[CatalogEntry]]]]]:
    """[(audience, [(event, entries)])]: 个人 first, then 法人, then anything else."""
    audiences: dict[str, dict[str, list[CatalogEntry]]] = {}
    for entry in entries:
        audiences.setdefault(entry.audience, {}).setdefault(entry.event, []).append(entry)
    order = {a: i for i, a in enumerate(AUDIENCE_ORDER)}
    return [
        (audience, list(events.items()))
        for audience, events in sorted(audiences.items(), key=lambda a: order.get(a[0], 99))
    ]
