"""SQLAlchemy models; importing this package registers every table on Base.metadata."""

from .accounts import Department, Role, User
from .audit import AuditEvent
from .cases import Case, CaseNumberCounter, CaseStatus, CaseTask, TaskStatus
from .themes import Theme, ThemeDraft, ThemeVersion

__all__ = [
    "AuditEvent",
    "Case",
    "CaseNumberCounter",
    "CaseStatus",
    "CaseTask",
    "Department",
    "Role",
    "TaskStatus",
    "Theme",
    "ThemeDraft",
    "ThemeVersion",
    "User",
]
