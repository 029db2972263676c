"""智能填报 from the applicant's earlier case: shared fields filled with their last answers.

Only fields the field dictionary marks `reuse` (the applicant's own identity and contact,
their company's facts) and only from a case the account itself submitted: a form never
receives what someone else typed, nor the data of another person named in a case. When
the form issues a licence for a new subject (企业开办: a 营业执照 for a company being
formed), the fields of that subject (the key group of the licence's `from_licence`
fields, `enterprise.*`) are not taken from the earlier one. The applicant may change all
of it; the form says which case it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms import MergedField
from webapp.accounts.models import User
from webapp.cases.models import Case


@dataclass(frozen=True)
class EarlierAnswers:
    values: dict[str, str] = field(default_factory=dict)
    case_no: str | None = None
    labels: dict[str, str] = field(default_factory=dict)  # key → label, in form order

    def note(self, kept: Iterable[str]) -> str | None:
        """What the form says, for the keys whose earlier answer is still the one shown."""
        shown = [self.labels[k] for k in self.labels if k in set(kept)]
        if not shown or self.case_no is None:
            return None
        return (
            f"已根据您以往的申请预填（办件 {self.case_no}）：{'、'.join(shown)}。"
            "如有变化请直接修改。"
        )


def latest_case(session: Session, user: User) -> Case | None:
    """The account's most recently submitted case (its own, not a party's)."""
    stmt = (
        select(Case)
        .where(Case.applicant_id == user.id)
        .order_by(Case.submitted_at.desc(), Case.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def earlier_answers(
    session: Session, user: User, fields: Iterable[MergedField], issued_here: set[str]
) -> EarlierAnswers:
    fields = list(fields)
    case = latest_case(session, user)
    if case is None:
        return EarlierAnswers()
    new_subjects = {
        f.key.split(".")[0] for f in fields if f.from_licence and f.from_licence[0] in issued_here
    }
    values, labels = {}, {}
    for f in fields:
        if not f.reuse or f.question or f.key.split(".")[0] in new_subjects:
            continue
        value = case.answers.get(f.key)
        if isinstance(value, str) and value.strip():
            values[f.key] = value
            labels[f.key] = f.label
    return EarlierAnswers(values, case.case_no, labels)
