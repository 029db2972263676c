"""The audit trail (全过程留痕): one row per state change, never updated or deleted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import User
from webapp.db import Base, JsonDocument, UtcDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(48))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("case_tasks.id"))
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"))
    before: Mapped[dict | None] = mapped_column(JsonDocument)
    after: Mapped[dict | None] = mapped_column(JsonDocument)
    detail: Mapped[str | None] = mapped_column(String(500))

    actor: Mapped[User | None] = relationship(lazy="joined")
