"""An issued instrument (文书), kept with its case exactly as it was issued."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import User
from webapp.cases.models import Case
from webapp.db import Base, JsonDocument, UtcDateTime


class Instrument(Base):
    """One issued instrument. `html` is the whole document as issued (styles and the QR
    code inline), so the HTML view and the PDF are always made from the same frozen text:
    a later change of the theme, the catalog or the templates never reaches it. The rows are
    never updated (on PostgreSQL a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "instruments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    # 文书编号: the case number, the kind's letters and the kind's count in the case.
    number: Mapped[str] = mapped_column(String(48), unique=True)
    title: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The facts the template was given (what the instrument says), for tests and reports.
    facts: Mapped[dict] = mapped_column(JsonDocument)
    html: Mapped[str] = mapped_column(Text, deferred=True)
    # sha256 of `html`: shown on the instrument's page, so a printed copy can be checked.
    digest: Mapped[str] = mapped_column(String(64))

    case: Mapped[Case] = relationship()
    issued_by: Mapped[User | None] = relationship()
