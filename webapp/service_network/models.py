"""Service points (服务点) and the paper that travels between them.

- `ServicePoint`: one point of the county's network — the county 政务服务中心, a town or
  street 便民服务中心, a village or community 服务站 — with where it is, when it is open
  and its phone. Points form a tree (a station under its town, a town under the county).
- `MaterialTransfer`: a 材料流转单: paper materials received at one point on their way to
  the department responsible for them, tracked until that department confirms receipt.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import Department, User
from webapp.db import Base, UtcDateTime


class PointLevel(enum.StrEnum):
    COUNTY = "county"
    TOWN = "town"
    VILLAGE = "village"

    @property
    def label(self) -> str:
        return {
            "county": "县级政务服务中心",
            "town": "镇（街道）便民服务中心",
            "village": "村（社区）便民服务站",
        }[self.value]

    @property
    def parent_level(self) -> PointLevel | None:
        return {"county": None, "town": PointLevel.COUNTY, "village": PointLevel.TOWN}[self.value]


class ServicePoint(Base):
    __tablename__ = "service_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    level: Mapped[str] = mapped_column(String(8))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"))
    # GB/T 2260 code of the county the point serves (towns and villages have no code there).
    region_code: Mapped[str] = mapped_column(String(12))
    address: Mapped[str] = mapped_column(String(200))
    hours: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(32))
    # A closed point keeps its history (cases name it) but takes nothing new.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    parent: Mapped[ServicePoint | None] = relationship(remote_side=[id], lazy="joined")

    @property
    def level_label(self) -> str:
        return PointLevel(self.level).label


class MaterialTransfer(Base):
    """One 材料流转单: from a point to a department, sent at 受理, received by the department."""

    __tablename__ = "material_transfers"
    __table_args__ = (
        # A department's 待接收 list: its transfers not yet received.
        Index("ix_material_transfers_department_received", "department_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    # [{"code", "name", "original_or_copy", "copies"}] as handed over.
    materials: Mapped[list] = mapped_column(JSON)
    number: Mapped[str] = mapped_column(String(40))  # the 流转单's instrument number
    sent_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    receipt_number: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(200))

    from_point: Mapped[ServicePoint] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")
    sent_by: Mapped[User] = relationship(foreign_keys=[sent_by_id])
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])
