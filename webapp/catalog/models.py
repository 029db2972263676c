"""Item records edited by admins: each save is a revision, a draft until it is published."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import User
from webapp.db import Base, JsonDocument, UtcDateTime


class RevisionStatus(enum.StrEnum):
    DRAFT = "draft"  # saved, waiting to be published into the themes using the item
    SUPERSEDED = "superseded"  # a later draft of the same item replaced it
    PUBLISHED = "published"  # part of the catalog since `published_at`


class CatalogItemRevision(Base):
    """One saved version of an item record, as the YAML file would hold it.

    The catalog in force is the files of processes/catalog/ with, per item, its newest
    published revision on top; a draft only counts for the diff and the next publication.
    """

    __tablename__ = "catalog_item_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    document: Mapped[dict] = mapped_column(JsonDocument)
    status: Mapped[str] = mapped_column(String(16), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    published_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    author: Mapped[User | None] = relationship()
