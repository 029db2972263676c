"""Parties (当事人) and how they meet cases and accounts.

- `Party`: a person (居民身份证号, GB 11643) or a company (统一社会信用代码, GB 32100),
  known once by that number whatever case names them.
- `PartyAccount`: an account acting as a party: `self` (the account holder is the person,
  real-name registered with a verified mobile), `legal_rep` / `agent` (法定代表人 / 经办人,
  representing a company).
- `CaseParty`: a party's role in one case (申请人, 卖方, 买方, 法定代表人, 经办人, 代办人),
  the mobile the application gave for them, and — for the sides of a joint application —
  when they confirmed it with their own account.
What an account may see follows from these rows, through the one access policy.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forms.party_roles import role_label
from webapp.db import Base, UtcDateTime


class PartyKind(enum.StrEnum):
    PERSON = "person"
    COMPANY = "company"


class Capacity(enum.StrEnum):
    """In what capacity an account acts for a party."""

    SELF = "self"  # the person themself
    LEGAL_REP = "legal_rep"  # 法定代表人 of a company
    AGENT = "agent"  # 经办人 of a company

    @property
    def label(self) -> str:
        return {"self": "本人", "legal_rep": "法定代表人", "agent": "经办人"}[self.value]


class Party(Base):
    __tablename__ = "parties"
    __table_args__ = (UniqueConstraint("kind", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    # 身份证号 or 统一社会信用代码, upper case: the party's identity.
    number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class PartyAccount(Base):
    __tablename__ = "party_accounts"
    __table_args__ = (UniqueConstraint("party_id", "user_id", "capacity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    capacity: Mapped[str] = mapped_column(String(16))
    linked_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())

    party: Mapped[Party] = relationship(lazy="joined")


class CaseParty(Base):
    __tablename__ = "case_parties"
    __table_args__ = (
        UniqueConstraint("case_id", "party_id", "role"),
        Index("ix_case_parties_party_id", "party_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    role: Mapped[str] = mapped_column(String(16))
    # The mobile the application gave for this party: an account sees the case as this
    # party only with this very number verified (an ID number alone is not a secret).
    mobile: Mapped[str | None] = mapped_column(String(16))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    party: Mapped[Party] = relationship(lazy="joined")

    @property
    def role_label(self) -> str:
        return role_label(self.role)
