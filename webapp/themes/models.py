"""Themes (一件事), the drafts analysts save and the immutable versions admins publish."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import Department, User
from webapp.db import Base, JsonDocument, UtcDateTime


class Theme(Base):
    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    summary: Mapped[str] = mapped_column(String(500), default="")
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # theme.yaml as loaded: items, task mapping, variables. Copied into each version.
    definition: Mapped[dict] = mapped_column(JsonDocument, deferred=True)
    # Hash of the shipped theme files last loaded, so a reload only acts on real changes.
    shipped_hash: Mapped[str | None] = mapped_column(String(64))

    lead_department: Mapped[Department | None] = relationship(lazy="joined")


class ThemeDraft(Base):
    """A saved diagram. Invalid drafts are kept (nothing an analyst did is lost)."""

    __tablename__ = "theme_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"), index=True)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    # The guidance decision table (DMN) saved with the diagram; None for a theme without one.
    guidance_dmn: Mapped[str | None] = mapped_column(Text)
    valid: Mapped[bool]
    problems: Mapped[list] = mapped_column(JsonDocument, default=list)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())

    theme: Mapped[Theme] = relationship()
    author: Mapped[User | None] = relationship()


class ThemeVersion(Base):
    """A published, immutable theme: diagram, engine spec (stored once) and merged form."""

    __tablename__ = "theme_versions"
    __table_args__ = (UniqueConstraint("theme_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"), index=True)
    number: Mapped[int]
    # The large documents load only when used (spec: once per process, see case_engine).
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    # The guidance table as published: decides the items of every case of this version
    # (a few KB, read with every guided page, so not deferred).
    guidance_dmn: Mapped[str | None] = mapped_column(Text)
    # SHA-256 of what the version runs (diagram, table, definition): per-process caches key
    # on it, so a cached spec can never be served for different content under a reused id.
    digest: Mapped[str | None] = mapped_column(String(64))
    spec: Mapped[dict] = mapped_column(JsonDocument, deferred=True)
    # Read once per version and process into a PublishedTheme (themes/published.py): not
    # loaded with every case (the definition is ~40 KB of JSON, decoded on each load).
    human_tasks: Mapped[dict] = mapped_column(JsonDocument, deferred=True)
    definition: Mapped[dict] = mapped_column(JsonDocument, deferred=True)
    form: Mapped[dict] = mapped_column(JsonDocument, deferred=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("theme_drafts.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    # Why the admin published it (asked when confirming; None for loads and the API).
    reason: Mapped[str | None] = mapped_column(String(500))
    # What it came from: "draft" (a diagram draft), "catalog" (item edits only),
    # "rollback" (an older version republished, `restores` its number), "shipped".
    source: Mapped[str | None] = mapped_column(String(16))
    restores: Mapped[int | None]
    # The catalog records of its items as published (item code → record as in the YAML
    # files), so running cases and issued documents keep what their version said.
    catalog: Mapped[dict | None] = mapped_column(JsonDocument, deferred=True)

    theme: Mapped[Theme] = relationship(lazy="joined")
    published_by: Mapped[User | None] = relationship()
