"""Cases (办件) and the projection of their open tasks that inboxes query."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, JsonDocument, UtcDateTime
from .accounts import Department, User
from .themes import ThemeVersion


class CaseStatus(enum.StrEnum):
    """A case's life (DOMAIN.md §7); every transition is an audit event."""

    SUBMITTED = "submitted"
    CORRECTION = "correction"  # 补正: back with the applicant, clock paused
    REFUSED = "refused"  # 不予受理: ended at the front desk
    IN_PROGRESS = "in_progress"
    TERMINATED = "terminated"  # 终止: a denied item ended the case
    WITHDRAWN = "withdrawn"  # 撤回: by the applicant, before acceptance
    COMPLETED = "completed"  # 办结 and handed out through the one exit

    @property
    def label(self) -> str:
        return CASE_STATUS_LABELS[self.value]

    @property
    def is_open(self) -> bool:
        return self in (CaseStatus.SUBMITTED, CaseStatus.CORRECTION, CaseStatus.IN_PROGRESS)


CASE_STATUS_LABELS = {
    "submitted": "已提交",
    "correction": "待补正",
    "refused": "不予受理",
    "in_progress": "办理中",
    "terminated": "已终止",
    "withdrawn": "已撤回",
    "completed": "已办结出件",
}


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    SUSPENDED = "suspended"  # the acceptance task while the applicant corrects the case
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {
            "open": "待办理",
            "suspended": "待申请人补正",
            "completed": "已办结",
            "cancelled": "已取消",
        }[self.value]


class Card(enum.StrEnum):
    """效能监督: yellow at the theme's share of the allowed time, red past due."""

    NONE = "none"
    YELLOW = "yellow"
    RED = "red"

    @property
    def label(self) -> str:
        return {"none": "正常", "yellow": "黄牌", "red": "红牌"}[self.value]


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
    submitted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # The overall promise to the applicant (承诺办结时间), moved later by paused time.
    promised_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    card: Mapped[str] = mapped_column(String(8), default=Card.NONE)
    # Clock pauses: [{"start": iso, "end": iso|None, "reason": "correction"|"gap"}].
    pauses: Mapped[list] = mapped_column(JsonDocument, default=list)
    # The one-time 补正 list while the case is with the applicant (fields, materials, note).
    correction: Mapped[dict | None] = mapped_column(JsonDocument)
    # Why the case ended early (不予受理 / 终止), shown to the applicant.
    end_reason: Mapped[str | None] = mapped_column(String(500))
    # 统一出件: method, tracking number, results handed out.
    delivery: Mapped[dict | None] = mapped_column(JsonDocument)
    # When the worker must look at this case again (a card threshold, a timer, a promised
    # material date); NULL when nothing is pending. Indexed: a sweep never scans all cases.
    next_check_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), index=True)
    # The earliest waiting BPMN timer, so a sweep restores the engine state only when due.
    next_timer_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    theme_version: Mapped[ThemeVersion] = relationship(lazy="joined")
    applicant: Mapped[User] = relationship()
    tasks: Mapped[list[CaseTask]] = relationship(back_populates="case", order_by="CaseTask.id")
    gaps: Mapped[list[MaterialGap]] = relationship(back_populates="case", order_by="MaterialGap.id")
    comments: Mapped[list[CaseComment]] = relationship(
        back_populates="case", order_by="CaseComment.id"
    )

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def status_is_open(self) -> bool:
        return CaseStatus(self.status).is_open


class CaseTask(Base):
    """One human task of a case as the inbox sees it; the engine state is the truth."""

    __tablename__ = "case_tasks"
    __table_args__ = (
        Index("ix_case_tasks_department_status", "department_id", "status", "id"),
        # The inbox sorts by due date within a department, keyset on (due_at, id).
        Index("ix_case_tasks_department_status_due", "department_id", "status", "due_at", "id"),
        Index("ix_case_tasks_claimed_status", "claimed_by_id", "status"),
        # Cards are rare: the yellow/red filters, their counts and their due-date order are
        # answered from this index alone (an empty filter must not walk the whole inbox).
        Index(
            "ix_case_tasks_department_status_card",
            "department_id",
            "status",
            "card",
            "due_at",
            "id",
        ),  # fmt: skip
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    engine_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    bpmn_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    item_code: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[dict | None] = mapped_column(JsonDocument)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # Deadline (限时办结): allowed working days from the item, due/yellow instants computed on
    # the working-day calendar and moved by pauses; `card` is what the worker last decided.
    allowed_days: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    yellow_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    card: Mapped[str] = mapped_column(String(8), default=Card.NONE)

    case: Mapped[Case] = relationship(back_populates="tasks")
    department: Mapped[Department] = relationship(lazy="joined")
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])


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

    case: Mapped[Case] = relationship(back_populates="gaps")


class CaseComment(Base):
    """A clerk's note on a case (internal, not shown to the applicant)."""

    __tablename__ = "case_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())

    case: Mapped[Case] = relationship(back_populates="comments")
    author: Mapped[User] = relationship(lazy="joined")


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


class CaseNumberCounter(Base):
    """Last case number issued per day; numbers are never reused."""

    __tablename__ = "case_number_counters"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
