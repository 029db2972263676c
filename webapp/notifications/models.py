"""The notification outbox and the in-app messages it delivers.

An `OutboxMessage` is written in the same transaction as the event it reports, so a
rolled-back event tells nobody and a committed one is never forgotten. The worker delivers
it (notifications/delivery.py): at least once, each try carrying the message's `key`, so a
receiver can drop a duplicate. The in-app channel is exactly once: a `Message` row has the
outbox key as a unique column and is written in the transaction that marks the outbox row
sent.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, UtcDateTime


class Channel(enum.StrEnum):
    IN_APP = "in_app"  # 站内消息
    SMS = "sms"  # 短信

    @property
    def label(self) -> str:
        return {"in_app": "站内消息", "sms": "短信"}[self.value]


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # given up after the last try; kept for the operator


class OutboxMessage(Base):
    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The idempotency key: every try of this message carries it.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    event: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    mobile: Mapped[str | None] = mapped_column(String(16))  # SMS only
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    title: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    status: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))


class Message(Base):
    """An in-app message (消息) of one account."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The outbox message's key: a second delivery of it cannot add a second row.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    case_no: Mapped[str | None] = mapped_column(String(32))  # for the link to the case
    event: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    read_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
