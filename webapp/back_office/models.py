"""What the back office keeps beyond tasks: signed promises (告知承诺书) and credit records."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, UtcDateTime


class ItemPromise(Base):
    """The applicant's signed promise for one item under 告知承诺制: the text as signed, who
    signed and when. Never changed: a false promise is found by the 事后核查, not edited."""

    __tablename__ = "item_promises"
    __table_args__ = (UniqueConstraint("case_id", "item_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class CreditRecord(Base):
    """信用记录: a false promise found by the 事后核查 (kept for the credit system)."""

    __tablename__ = "credit_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    subject_name: Mapped[str] = mapped_column(String(128))  # the applicant or company named
    kind: Mapped[str] = mapped_column(String(32))  # "false_promise" 虚假承诺
    reason: Mapped[str] = mapped_column(String(1000))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
