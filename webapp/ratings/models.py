"""A rating the applicant gives: once per case and per decided item, once more after 整改."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import User
from webapp.cases.models import CaseTask
from webapp.db import Base, JsonDocument, UtcDateTime

# The whole case (一次一评) as a rating's scope; an item's code is its own scope (一事一评).
CASE_SCOPE = "case"
FIRST, RE_RATING = 1, 2


class RatingLevel(enum.StrEnum):
    """The five levels of GB/T 39734, best first."""

    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    BASIC = "basic"
    DISSATISFIED = "dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self.value]

    @property
    def is_bad(self) -> bool:
        """差评: 不满意 and 非常不满意; each opens a 整改."""
        return self in (RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED)


LEVEL_LABELS = {
    "very_satisfied": "非常满意",
    "satisfied": "满意",
    "basic": "基本满意",
    "dissatisfied": "不满意",
    "very_dissatisfied": "非常不满意",
}
# The tags an applicant may pick (评价标签), what was good and what was not.
GOOD_TAGS = ("办事便捷", "一次办成", "材料精简", "办理迅速", "服务热情")
BAD_TAGS = ("多次跑动", "材料繁多", "办理超时", "态度不佳", "指引不清", "系统难用")


class Rating(Base):
    """One rating as given; never changed nor deleted (a re-rating is a new row)."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("case_id", "scope", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # CASE_SCOPE, or the item code of an item decision.
    scope: Mapped[str] = mapped_column(String(64))
    # FIRST, or RE_RATING after the 整改 of a first 差评.
    round: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(24))
    tags: Mapped[list] = mapped_column(JsonDocument, default=list)
    comment: Mapped[str] = mapped_column(String(500), default="")
    rater_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    # The 整改 task a 差评 opened.
    rectification_task_id: Mapped[int | None] = mapped_column(ForeignKey("case_tasks.id"))

    rater: Mapped[User] = relationship()
    rectification: Mapped[CaseTask | None] = relationship()

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.level, self.level)

    @property
    def is_bad(self) -> bool:
        return RatingLevel(self.level).is_bad
