"""评价率, 满意率, 差评整改率 over the ratings, for the supervision dashboard.

- 评价率: finished cases (办结 or 终止) with at least one rating ÷ finished cases.
- 满意率: of the ratings that count (the re-rating where there is one, else the first),
  those 非常满意, 满意 or 基本满意 ÷ all of them.
- 差评整改率: first 差评 whose 整改 was replied ÷ all first 差评.
A rate is None when there is nothing to divide by (shown as "—", never as 0 %).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from webapp.cases.models import Case, CaseStatus, CaseTask, TaskStatus
from webapp.ratings.models import FIRST, Rating, RatingLevel


@dataclass(frozen=True)
class RatingFigures:
    finished_cases: int
    rated_cases: int
    counted_ratings: int
    satisfied_ratings: int
    bad_ratings: int
    rectified: int

    @property
    def evaluation_rate(self) -> Decimal | None:
        return _rate(self.rated_cases, self.finished_cases)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return _rate(self.satisfied_ratings, self.counted_ratings)

    @property
    def rectification_rate(self) -> Decimal | None:
        return _rate(self.rectified, self.bad_ratings)


def _rate(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal, e.g. Decimal('66.7')."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def figures_of(
    finished_case_ids: set[int], ratings: list[tuple[int, str, int, str, str | None]]
) -> RatingFigures:
    """The figures from finished case ids and (case id, scope, round, level, 整改 status)."""
    counted: dict[tuple[int, str], tuple[int, str]] = {}
    bad = rectified = 0
    for case_id, scope, round_, level, rectification_status in ratings:
        key = (case_id, scope)
        if key not in counted or counted[key][0] < round_:
            counted[key] = (round_, level)
        if round_ == FIRST and RatingLevel(level).is_bad:
            bad += 1
            rectified += rectification_status == TaskStatus.COMPLETED
    satisfied = sum(1 for _, level in counted.values() if not RatingLevel(level).is_bad)
    rated = {case_id for case_id, *_ in ratings} & finished_case_ids
    return RatingFigures(
        finished_cases=len(finished_case_ids),
        rated_cases=len(rated),
        counted_ratings=len(counted),
        satisfied_ratings=satisfied,
        bad_ratings=bad,
        rectified=rectified,
    )


def rating_figures(session: Session, finished_cases: Select | None = None) -> RatingFigures:
    """The figures over every finished case and its ratings, or over the finished cases
    `finished_cases` selects (their ids: 效能监督 filters by period, theme, department).

    With a selection the database counts the finished cases and hands over only the rated
    ones' ratings: a year of cases is never loaded id by id."""
    stmt = (
        select(Rating.case_id, Rating.scope, Rating.round, Rating.level, CaseTask.status)
        .outerjoin(CaseTask, CaseTask.id == Rating.rectification_task_id)
        .order_by(Rating.id)
    )
    if finished_cases is None:
        finished = set(
            session.scalars(
                select(Case.id).where(
                    Case.status.in_((CaseStatus.COMPLETED, CaseStatus.TERMINATED))
                )
            )
        )
        # Every rating, an item's too while its case runs on.
        return figures_of(finished, [tuple(r) for r in session.execute(stmt)])
    rows = [
        tuple(r)
        for r in session.execute(stmt.where(Rating.case_id.in_(finished_cases.scalar_subquery())))
    ]
    counted = figures_of({row[0] for row in rows}, rows)
    total = session.scalar(select(func.count()).select_from(finished_cases.subquery()))
    return replace(counted, finished_cases=total or 0)


__all__ = ["RatingFigures", "figures_of", "rating_figures"]
