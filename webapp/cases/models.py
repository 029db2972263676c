"""Cases (办件) and their tasks: the BPMN tasks' projection that inboxes query, and tasks
that no diagram holds (差评整改, 事后核查, 催办 replies) with the same assignee, deadline
and cards."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, false, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.working_calendar import Card
from webapp.accounts.models import Department, User
from webapp.db import Base, JsonDocument, UtcDateTime
from webapp.themes.models import ThemeVersion

if TYPE_CHECKING:
    from webapp.front_desk.models import MaterialGap
    from webapp.parties.models import CaseParty
    from webapp.service_network.models import ServicePoint

__all__ = ["Card", "Case", "CaseComment", "CaseNumberCounter", "CaseStatus", "CaseTask"]


class CaseStatus(enum.StrEnum):
    """A case's life; every transition is an audit event."""

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


class TaskKind(enum.StrEnum):
    """What a task is. The first three are BPMN user tasks of the theme's diagram; the
    others are tasks outside BPMN, opened by a service (not by the engine)."""

    ACCEPTANCE = "acceptance"  # 前台综合受理
    ITEM = "item"  # 后台分类审批 of one item
    DELIVERY = "delivery"  # 统一窗口出件
    RECTIFICATION = "rectification"  # 差评整改
    POST_CHECK = "post_check"  # 告知承诺制 事后核查
    URGE_REPLY = "urge_reply"  # reply to a supervisor's 催办
    SPECIAL_PROCEDURE = "special"  # 特别程序 (行政许可法 §45) of an item: its clock stopped
    EXTENSION = "extension"  # 延期 (§42) waiting for the head's approval

    @property
    def in_bpmn(self) -> bool:
        return self in (TaskKind.ACCEPTANCE, TaskKind.ITEM, TaskKind.DELIVERY)

    @property
    def label(self) -> str:
        return {
            "acceptance": "综合受理",
            "item": "审批",
            "delivery": "统一出件",
            "rectification": "差评整改",
            "post_check": "事后核查",
            "urge_reply": "催办回复",
            "special": "特别程序",
            "extension": "延期审批",
        }[self.value]


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        # The worker's bulk move of broken promises (deadlines/cards.py, migration 0021).
        Index(
            "ix_cases_open_promise",
            "promised_at",
            postgresql_where=text("status = 'in_progress' AND card <> 'red'"),
            sqlite_where=text("status = 'in_progress' AND card <> 'red'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(32), unique=True)
    # 查询码: printed on the 收件凭证; with the case number it opens the public 办件查询.
    # NULL for cases submitted before query codes existed (their applicants use the ID).
    query_code: Mapped[str | None] = mapped_column(String(8))
    theme_version_id: Mapped[int] = mapped_column(ForeignKey("theme_versions.id"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    answers: Mapped[dict] = mapped_column(JsonDocument)
    # Item codes the guidance answers selected; fixed at submission.
    selected_items: Mapped[list] = mapped_column(JsonDocument, default=list)
    state: Mapped[dict] = mapped_column(JsonDocument)
    # Optimistic lock: every UPDATE checks and bumps it, so a stale writer fails loudly.
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)
    # Indexed for 效能监督: the dashboard counts cases received, accepted and completed in a
    # period by range scans on these (supervision/figures.py).
    submitted_at: Mapped[dt.datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), index=True
    )
    completed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), index=True)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), index=True)
    # The overall promise to the applicant (承诺办结时间), moved later by paused time.
    promised_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    card: Mapped[str] = mapped_column(String(8), default=Card.NONE)
    # Clock pauses: [{"start": iso, "end": iso|None, "reason": "correction"|"gap"}].
    pauses: Mapped[list] = mapped_column(JsonDocument, default=list)
    # The one-time 补正 list while the case is with the applicant (fields, materials, note).
    correction: Mapped[dict | None] = mapped_column(JsonDocument)
    # The e-licences the applicant held when submitting (forms.Holdings.to_dict): what they
    # exempted stays exempt for this case whatever happens to the licence later (a 撤销
    # asks for the material in the next application, not retroactively). NULL before 0017.
    licence_holdings: Mapped[dict | None] = mapped_column(JsonDocument)
    # Why the case ended early (不予受理 / 终止), shown to the applicant.
    end_reason: Mapped[str | None] = mapped_column(String(500))
    # 统一出件: method, tracking number, results handed out.
    delivery: Mapped[dict | None] = mapped_column(JsonDocument)
    # When the worker must look at this case again (a card threshold, a timer, a promised
    # material date); NULL when nothing is pending. Indexed: a sweep never scans all cases.
    next_check_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), index=True)
    # The earliest waiting BPMN timer, so a sweep restores the engine state only when due.
    next_timer_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # 同城通办: the service points where the case was handed in (NULL: online), accepted
    # and delivered, and where the applicant chose to collect the results. Indexed: the
    # inboxes and the supervisor filter by point with one WHERE clause.
    submitted_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_points.id"), index=True
    )
    accepted_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_points.id"), index=True
    )
    delivered_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_points.id"), index=True
    )
    collection_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_points.id"), index=True
    )
    # 帮办代办: the staff member who submitted for the applicant party, and how — "help"
    # (帮办: the person present, staff fill in and submit) or "proxy" (代办: on a 授权委托书).
    assisted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    assistance: Mapped[str | None] = mapped_column(String(8))

    theme_version: Mapped[ThemeVersion] = relationship(lazy="joined")
    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id])
    assisted_by: Mapped[User | None] = relationship(foreign_keys=[assisted_by_id])
    submitted_point: Mapped[ServicePoint | None] = relationship(foreign_keys=[submitted_point_id])
    accepted_point: Mapped[ServicePoint | None] = relationship(foreign_keys=[accepted_point_id])
    delivered_point: Mapped[ServicePoint | None] = relationship(foreign_keys=[delivered_point_id])
    collection_point: Mapped[ServicePoint | None] = relationship(foreign_keys=[collection_point_id])
    tasks: Mapped[list[CaseTask]] = relationship(back_populates="case", order_by="CaseTask.id")
    gaps: Mapped[list[MaterialGap]] = relationship(back_populates="case", order_by="MaterialGap.id")
    # Its parties (当事人) in their roles; rows are added by parties/case_parties.py.
    parties: Mapped[list[CaseParty]] = relationship(order_by="CaseParty.id", viewonly=True)
    comments: Mapped[list[CaseComment]] = relationship(
        back_populates="case", order_by="CaseComment.id"
    )

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def status_is_open(self) -> bool:
        return CaseStatus(self.status).is_open


class CaseTask(Base):
    """A task of a case as inboxes see it: assignee (`claimed_by`), deadline and card.

    For a BPMN task (`engine_task_id` set) the engine state is the truth and this row is its
    projection; a task outside BPMN has no engine id nor BPMN element, and its row is the
    truth. Both kinds live in the same inboxes, deadlines and card sweeps.
    """

    __tablename__ = "case_tasks"
    __table_args__ = (
        Index("ix_case_tasks_department_status", "department_id", "status", "id"),
        # The inbox sorts by due date within a department, keyset on (due_at, id); on
        # PostgreSQL its filters and capped counts read the included columns from the index
        # alone (workbench/inbox.py, migration 0021).
        Index(
            "ix_case_tasks_department_status_due",
            "department_id",
            "status",
            "due_at",
            "id",
            postgresql_include=["card", "holder_role", "claimed_by_id"],
        ),
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
        # 效能监督: tasks completed in a period (on-time rates, days used) and the open
        # tasks' cards per department, each a range or prefix of an index.
        Index("ix_case_tasks_kind_completed", "kind", "completed_at"),
        Index("ix_case_tasks_status_department_card", "status", "department_id", "card"),
        # "cases a department worked on" (the dashboard's department filter), from the index.
        Index("ix_case_tasks_case_department", "case_id", "department_id"),
        # The inbox's 24小时内到期 filter: the tasks not yet red in due order, so the page and
        # its count never step over the red ones, which come first by due date (at a
        # million open tasks most may be red). Migration 0021.
        Index(
            "ix_case_tasks_department_not_red_due",
            "department_id",
            "due_at",
            "id",
            postgresql_include=["holder_role", "claimed_by_id"],
            postgresql_where=text("status = 'open' AND card <> 'red'"),
            sqlite_where=text("status = 'open' AND card <> 'red'"),
        ),
        # The worker's bulk card moves (deadlines/cards.py): only tasks whose card can still
        # move, in the order their instants come (migration 0021).
        Index(
            "ix_case_tasks_open_due",
            "due_at",
            postgresql_where=text("status = 'open' AND card <> 'red'"),
            sqlite_where=text("status = 'open' AND card <> 'red'"),
        ),
        Index(
            "ix_case_tasks_open_yellow",
            "yellow_at",
            postgresql_where=text("status = 'open' AND card = 'none'"),
            sqlite_where=text("status = 'open' AND card = 'none'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Set for BPMN tasks only.
    engine_task_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    bpmn_id: Mapped[str | None] = mapped_column(String(128))
    # What a task outside BPMN is about (e.g. the rating that a 整改 answers).
    subject: Mapped[dict | None] = mapped_column(JsonDocument)
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
    # The item's days are 自然日 (calendar days) rather than working days, as its catalog
    # record says; both the promised and the legal limit count them so.
    calendar_days: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # 法定时限: the limit the law sets, watched beside the promise; passing it is flagged
    # apart (`legal_overdue_at`), because it is a breach of law, not of a promise.
    legal_days: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    legal_due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    legal_overdue_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # Working days the task took (pauses left out), set when it is completed: the dashboard
    # averages it per item against `allowed_days` without recounting any calendar.
    used_days: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    # --- the back office as the law runs it (back_office/) ---
    # The role in the department that acts on the task now (an approval level's, the head's
    # for a 延期); NULL: the window's or the 承办人's, as for every task before levels.
    holder_role: Mapped[str | None] = mapped_column(String(16))
    # The item's approval level now (0 = the first, 承办人审查) and each level's opinion:
    # [{"level", "name", "decision", "opinion", "by", "by_id", "at"}].
    level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reviews: Mapped[list | None] = mapped_column(JsonDocument)
    # The task's own clock stops (特别程序, 退回补正), beside the case's:
    # [{"start": iso, "end": iso|None, "reason": "special"|"supplement", "ref": task id}].
    pauses: Mapped[list | None] = mapped_column(JsonDocument)
    # Working days added by an approved 延期 (to both the promised and the legal limit).
    extended_days: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))

    case: Mapped[Case] = relationship(back_populates="tasks")
    department: Mapped[Department] = relationship(lazy="joined")
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])

    @property
    def status_label(self) -> str:
        return TaskStatus(self.status).label


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


class CaseNumberCounter(Base):
    """Last case number issued per day; numbers are never reused."""

    __tablename__ = "case_number_counters"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
