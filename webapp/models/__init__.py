"""SQLAlchemy models; importing this package registers every table on Base.metadata."""

from .accounts import Department, Role, User
from .audit import AuditEvent
from .cases import (
    Card,
    Case,
    CaseComment,
    CaseNumberCounter,
    CaseStatus,
    CaseTask,
    ELicence,
    MaterialGap,
    TaskStatus,
)
from .drafts import ApplicationDraft
from .materials import MaterialBlob, MaterialFile
from .themes import Theme, ThemeDraft, ThemeVersion

__all__ = [
    "ApplicationDraft",
    "AuditEvent",
    "Card",
    "Case",
    "CaseComment",
    "CaseNumberCounter",
    "CaseStatus",
    "CaseTask",
    "Department",
    "ELicence",
    "MaterialBlob",
    "MaterialFile",
    "MaterialGap",
    "Role",
    "TaskStatus",
    "Theme",
    "ThemeDraft",
    "ThemeVersion",
    "User",
]
