"""What supervision writes: 催办 of a task, escalations of a red card, and the last results of
the audit chain's verification (shown on the dashboard)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import User
from webapp.cases.models import CaseTask
from webapp.db import Base, UtcDateTime


class TaskUrge(Base):
    """A supervisor's 催办 of an open task; its department answers in a 催办回复 task."""

    __tablename__ = "task_urges"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("case_tasks.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    urged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    reply_task_id: Mapped[int | None] = mapped_column(ForeignKey("case_tasks.id"))

    urged_by: Mapped[User] = relationship(lazy="joined")
    reply_task: Mapped[CaseTask | None] = relationship(foreign_keys=[reply_task_id])


class TaskEscalation(Base):
    """One escalation of a red card: level 1 when the task turned red, level n+1 after each
    further `YJS_ESCALATION_WORKING_DAYS` working days it stayed red. One row per level, so
    two workers can never send the same escalation twice (the unique key refuses it)."""

    __tablename__ = "task_escalations"
    __table_args__ = (UniqueConstraint("task_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("case_tasks.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    escalated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    # When the next level is due (None once the task is no longer red).
    next_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), index=True)


class AuditVerification(Base):
    """The result of one `yjs audit verify` run, for the dashboard's 审计链 status."""

    __tablename__ = "audit_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    events: Mapped[int] = mapped_column(Integer)
    chains: Mapped[int] = mapped_column(Integer)
    intact: Mapped[bool]
    message: Mapped[str | None] = mapped_column(String(500))
