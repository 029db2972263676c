"""容缺受理: materials the front desk accepted a case without, promised by a date."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.cases.models import Case
from webapp.db import Base, UtcDateTime


class MaterialGap(Base):
    """A material missing at 容缺受理: promised by a date, result held until it arrives."""

    __tablename__ = "case_material_gaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    material_code: Mapped[str] = mapped_column(String(64))
    material_name: Mapped[str] = mapped_column(String(128))
    promised_date: Mapped[dt.date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    received_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    overdue_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # When the applicant was reminded that the promised date is near (容缺 date near).
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    case: Mapped[Case] = relationship(back_populates="gaps")
