"""Every model of the app, gathered from the domain packages that own them.

Importing this package registers every table on `Base.metadata` (alembic's env and the
app factory do); code may import a model from here or from its domain's `models` module.
"""

from webapp.accounts.models import Department, LoginSession, OneTimeCode, Role, RoleGrant, User
from webapp.applications.models import ApplicationDraft
from webapp.audit.models import AuditChainHead, AuditEvent
from webapp.back_office.models import CreditRecord, ItemPromise
from webapp.cases.models import (
    Card,
    Case,
    CaseComment,
    CaseNumberCounter,
    CaseStatus,
    CaseTask,
    TaskKind,
    TaskStatus,
)
from webapp.catalog.models import CatalogItemRevision
from webapp.front_desk.models import MaterialGap
from webapp.instruments.models import Instrument
from webapp.licences.models import ELicence
from webapp.materials.models import MaterialBlob, MaterialFile, PaperMaterial
from webapp.notifications.models import Message, OutboxMessage
from webapp.parties.models import CaseParty, Party, PartyAccount
from webapp.rate_limits.models import RateLimitWindow
from webapp.ratings.models import Rating
from webapp.service_network.models import MaterialTransfer, ServicePoint
from webapp.supervision.models import AuditVerification, TaskEscalation, TaskUrge
from webapp.themes.models import Theme, ThemeDraft, ThemeVersion
from webapp.working_calendar.models import CalendarDay, CalendarYear

__all__ = [
    "CreditRecord",
    "ItemPromise",
    "ApplicationDraft",
    "CaseParty",
    "Message",
    "OneTimeCode",
    "OutboxMessage",
    "Party",
    "PartyAccount",
    "Rating",
    "MaterialTransfer",
    "ServicePoint",
    "AuditVerification",
    "TaskEscalation",
    "TaskUrge",
    "AuditChainHead",
    "AuditEvent",
    "Card",
    "CatalogItemRevision",
    "Case",
    "CalendarDay",
    "CalendarYear",
    "CaseComment",
    "CaseNumberCounter",
    "CaseStatus",
    "CaseTask",
    "Department",
    "LoginSession",
    "ELicence",
    "Instrument",
    "MaterialBlob",
    "MaterialFile",
    "MaterialGap",
    "PaperMaterial",
    "RateLimitWindow",
    "Role",
    "RoleGrant",
    "TaskKind",
    "TaskStatus",
    "Theme",
    "ThemeDraft",
    "ThemeVersion",
    "User",
]
