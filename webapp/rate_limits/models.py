"""Counters of the rate limiter: one row per limit and subject, a fixed window each."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, UtcDateTime


class RateLimitWindow(Base):
    __tablename__ = "rate_limit_windows"

    # "<limit name>:<sha256 of the subject>": fixed length, and no user name or address in
    # clear in a table that nobody audits.
    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    hits: Mapped[int] = mapped_column(Integer)
