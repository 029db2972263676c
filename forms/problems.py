"""Errors the form side reports to people: each names the file, item and field it is about."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CatalogProblem:
    """One thing wrong in the catalog or a theme file, in Chinese, tied to where it is."""

    file: str
    message: str
    line: int | None = None
    item: str | None = None
    field: str | None = None

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "item": self.item,
            "field": self.field,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class CatalogInvalid(Exception):
    """A catalog or theme that cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[CatalogProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class ProblemList:
    """Collects problems for one file (and one item in it), so parsers need not repeat where."""

    file: str
    problems: list[CatalogProblem] = field(default_factory=list)
    item: str | None = None

    def add(self, message: str, *, field: str | None = None, line: int | None = None) -> None:
        self.problems.append(CatalogProblem(self.file, message, line, self.item, field))

    def for_item(self, item: str | None) -> ProblemList:
        """The same sink, with problems tagged with another item code."""
        return ProblemList(self.file, self.problems, item)


@dataclass(frozen=True)
class Conflict:
    """Two (or more) items ask the same key under constraints that cannot all hold."""

    key: str
    item_codes: tuple[str, ...]
    item_names: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        return self.message


class MergeConflict(Exception):
    """The selected items cannot share one form; a publish-time error, never resolved silently."""

    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = list(conflicts)
        super().__init__("\n".join(c.message for c in self.conflicts))
