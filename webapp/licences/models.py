"""The e-licence wallet (电子证照): results issued to the holder when an item is granted."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import Department
from webapp.db import Base, UtcDateTime
from webapp.parties.models import Party


class LicenceStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return {"valid": "有效", "revoked": "已撤销"}[self.value]


class ELicence(Base):
    """A result issued into the holder's e-licence wallet (电子证照) when an item is granted.

    `holder_id` is the account that applied; `party` is the holder the licence is for (the
    company for a 营业执照, the applicant person otherwise): every account acting for that
    party has it in its 证照夹. `check_code` is printed on the licence and opens the public
    verification together with the number.
    """

    __tablename__ = "e_licences"

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    number: Mapped[str] = mapped_column(String(64), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    status: Mapped[str] = mapped_column(String(16), server_default=LicenceStatus.VALID.value)
    check_code: Mapped[str] = mapped_column(String(8))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    department: Mapped[Department] = relationship(lazy="joined")
    party: Mapped[Party | None] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        return LicenceStatus(self.status).label

    @property
    def valid(self) -> bool:
        return self.status == LicenceStatus.VALID
