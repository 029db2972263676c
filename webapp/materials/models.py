"""Material files and paper materials (一套材料): what the applicant hands in.

A file belongs to the applicant's draft while they fill the one form, and moves to the case
when it is submitted. A material can also come on paper: the applicant declares it
(窗口提交纸质件) and the front desk records that it arrived.

The bytes live in the database (one row per distinct content, by SHA-256) rather than on a
local disk, so any app process of a multi-process deployment can serve any file.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import User
from webapp.db import Base, UtcDateTime


class MaterialBlob(Base):
    __tablename__ = "material_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class MaterialFile(Base):
    """One file given for one material of one case (or, before submission, of one draft)."""

    __tablename__ = "material_files"
    __table_args__ = (
        # Exactly one owner: the draft while the form is filled, the case from submission.
        CheckConstraint("(case_id IS NULL) <> (draft_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("application_drafts.id"), index=True)
    material_code: Mapped[str] = mapped_column(String(64))
    # Shown to people only; never used to build a path or a header without quoting.
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(ForeignKey("material_blobs.sha256"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())

    uploaded_by: Mapped[User] = relationship()


class PaperMaterial(Base):
    """A material of a case that comes on paper: declared by the applicant (窗口提交纸质件)
    and/or received by the front desk, who checks the paper at the window."""

    __tablename__ = "paper_materials"
    __table_args__ = (UniqueConstraint("case_id", "material_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    material_code: Mapped[str] = mapped_column(String(64))
    material_name: Mapped[str] = mapped_column(String(128))
    # None when the applicant brought it without having said so online.
    declared_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    received_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
