"""Application drafts (草稿): an applicant's unfinished one form, one per applicant and theme."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import User
from webapp.db import Base, JsonDocument, UtcDateTime
from webapp.themes.models import Theme, ThemeVersion


class ApplicationDraft(Base):
    """Answers as the applicant left them: unchecked, only trimmed to the form's keys.

    A draft becomes a case when it is submitted (and is then deleted); the answers include
    the guidance answers, so continuing it shows the same items and fields.
    """

    __tablename__ = "application_drafts"
    __table_args__ = (UniqueConstraint("applicant_id", "theme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"))
    # The version whose form the answers were saved against; continuing uses the newest.
    theme_version_id: Mapped[int] = mapped_column(ForeignKey("theme_versions.id"))
    answers: Mapped[dict] = mapped_column(JsonDocument)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())

    applicant: Mapped[User] = relationship()
    theme: Mapped[Theme] = relationship(lazy="joined")
    theme_version: Mapped[ThemeVersion] = relationship()
