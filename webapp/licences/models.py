"""The e-licence wallet (电子证照): results issued to the holder when an item is granted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import Department
from webapp.db import Base, UtcDateTime


class ELicence(Base):
    """A result issued into the holder's e-licence wallet (电子证照) when an item is granted."""

    __tablename__ = "e_licences"

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    number: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())

    department: Mapped[Department] = relationship(lazy="joined")
