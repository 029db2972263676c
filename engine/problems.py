"""Errors the engine reports to people: each names the element it is about, in Chinese."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a diagram, tied to the BPMN element (if any) that causes it."""

    message: str
    element_id: str | None = None

    def as_dict(self) -> dict:
        return {"element_id": self.element_id, "message": self.message}

    def __str__(self) -> str:
        return f"[{self.element_id}] {self.message}" if self.element_id else self.message


class ThemeInvalid(Exception):
    """A diagram that cannot be published; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class CaseStepError(Exception):
    """Running a case failed (an expression error, a missing variable): names task and cause."""

    def __init__(self, message: str, task_id: str | None = None):
        self.task_id = task_id
        super().__init__(message)


class UnsafeExpression(ValueError):
    """The expression uses something outside the whitelist; the message is for analysts."""

    # Set when the error happened while evaluating, so a case error can show the expression.
    expression: str | None = None


class ExpressionOverBudget(UnsafeExpression):
    """The expression is, or would compute, something larger than its budget allows."""


def excerpt(text: object, limit: int = 60) -> str:
    """The start of an expression or value, on one line, short enough to quote in a message."""
    flat = " ".join(str(text if text is not None else "").split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


class TaskNotReady(Exception):
    """The task was already completed or is not (yet) waiting for a person."""
