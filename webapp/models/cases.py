"""Cases (办件) and the projection of their open tasks that inboxes query."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, JsonDocument
from .accounts import Department, User
from .themes import ThemeVersion


class CaseStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return {"submitted": "已提交", "in_progress": "办理中", "completed": "办结"}[self.value]


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"open": "待办理", "completed": "已办结", "cancelled": "已取消"}[self.value]


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(32), unique=True)
    theme_version_id: Mapped[int] = mapped_column(ForeignKey("theme_versions.id"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    answers: Mapped[dict] = mapped_column(JsonDocument)
    # Item codes the guidance answers selected; fixed at submission.
    selected_items: Mapped[list] = mapped_column(JsonDocument, default=list)
    state: Mapped[dict] = mapped_column(JsonDocument)
    # Optimistic lock: every UPDATE checks and bumps it, so a stale writer fails loudly.
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)
    submitted_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    theme_version: Mapped[ThemeVersion] = relationship(lazy="joined")
    applicant: Mapped[User] = relationship()
    tasks: Mapped[list[CaseTask]] = relationship(back_populates="case", order_by="CaseTask.id")

    __mapper_args__ = {"version_id_col": row_version}


class CaseTask(Base):
    """One human task of a case as the inbox sees it; the engine state is the truth."""

    __tablename__ = "case_tasks"
    __table_args__ = (Index("ix_case_tasks_department_status", "department_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    engine_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    bpmn_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    item_code: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[dict | None] = mapped_column(JsonDocument)

    case: Mapped[Case] = relationship(back_populates="tasks")
    department: Mapped[Department] = relationship(lazy="joined")
    completed_by: Mapped[User | None] = relationship()


class CaseNumberCounter(Base):
    """Last case number issued per day; numbers are never reused."""

    __tablename__ = "case_number_counters"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
