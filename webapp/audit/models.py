"""The audit trail (全过程留痕): one row per state change, never updated or deleted.

Tamper-evident: every event belongs to a chain (its case's, else its actor's, else the
system's) and carries the hash of its content and of the previous event of that chain;
each chain's head (last position and hash) is kept in `audit_chain_heads`, so deleting the
last events of a chain is detected too. See audit/chain.py.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import User
from webapp.db import Base, JsonDocument, UtcDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_case_id_id", "case_id", "id"),
        UniqueConstraint("chain", "chain_seq"),
    )

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
    # The chain this event belongs to ("case:12", "user:3", "system"), its position in it,
    # the previous event's hash and its own (SHA-256, hex).
    chain: Mapped[str] = mapped_column(String(32))
    chain_seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship(lazy="joined")


class AuditChainHead(Base):
    """The last event of each chain: where the chain must end when it is verified.

    One row per case (or actor): writers of a case already hold the case's lock, so no
    request waits on another case's head, and there is no single hot row.
    """

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int] = mapped_column(Integer)

    # Set by chain.link: the unit of work copies the event's id into `event_id` once the
    # event is inserted (no foreign key in the schema: 0 before a chain's first event).
    last_event: Mapped[AuditEvent | None] = relationship(
        primaryjoin="foreign(AuditChainHead.event_id) == AuditEvent.id", viewonly=False
    )
