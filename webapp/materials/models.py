"""Uploaded material files (一套材料): what the applicant hands in, kept in the database.

The bytes live in the database (one row per distinct content, by SHA-256) rather than on a
local disk, so any app process of a multi-process deployment can serve any file.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import User
from webapp.db import Base, UtcDateTime


class MaterialBlob(Base):
    __tablename__ = "material_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class MaterialFile(Base):
    """One file given for one material of one case."""

    __tablename__ = "material_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    material_code: Mapped[str] = mapped_column(String(64))
    # Shown to people only; never used to build a path or a header without quoting.
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(ForeignKey("material_blobs.sha256"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())

    uploaded_by: Mapped[User] = relationship()
