"""People, the departments they work for, and the roles they hold.

A user holds a *set* of roles (`role_grants`), each scoped where it needs to be: a clerk may
be 综合窗口 at one department and 帮代办员 as well; an approver acts for one department; a
supervisor for the whole county. A later service-point scope goes next to the department
scope on the same grant.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import generate_password_hash

from webapp.db import Base, JsonDocument, UtcDateTime

if TYPE_CHECKING:
    from webapp.parties.models import PartyAccount
    from webapp.service_network.models import ServicePoint


class Role(enum.StrEnum):
    APPLICANT = "applicant"
    FRONT_DESK = "front_desk"
    APPROVER = "approver"  # 后台审批: the 承办人 of a department's items
    SECTION_CHIEF = "section_chief"  # 科室负责人: 审核 level
    # 分管领导: the 审批 level, approves 延期 (§42), and is told of the department's red cards.
    DEPARTMENT_HEAD = "department_head"
    ANALYST = "analyst"
    ADMIN = "admin"
    ASSISTANT = "assistant"  # 帮代办员: submits for a person or company, at a service point
    # 效能监督: reads every case's progress and the figures (personal data masked), 催办.
    SUPERVISOR = "supervisor"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def needs_department(self) -> bool:
        return self in CLERK_ROLES


ROLE_LABELS = {
    Role.APPLICANT: "申请人",
    Role.FRONT_DESK: "综合窗口",
    Role.APPROVER: "后台审批",
    Role.SECTION_CHIEF: "科室负责人",
    Role.DEPARTMENT_HEAD: "分管领导",
    Role.ANALYST: "业务分析",
    Role.ADMIN: "管理员",
    Role.ASSISTANT: "帮代办员",
    Role.SUPERVISOR: "效能监督",
}
# The back office of a department: its 承办人 and the higher approval levels.
BACK_OFFICE_ROLES = (Role.APPROVER, Role.SECTION_CHIEF, Role.DEPARTMENT_HEAD)
# Roles that work tasks in a department's inbox.
CLERK_ROLES = (Role.FRONT_DESK, *BACK_OFFICE_ROLES)
# Who works a task that names no holder role: the window's and the 承办人's tasks, as always.
DEFAULT_HOLDERS = (Role.FRONT_DESK, Role.APPROVER)


class Department(Base):
    """A department (or the front-desk window) that BPMN lanes route tasks to."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # Names analysts may give the department's lane; the mapping is data, not code.
    lane_names: Mapped[list] = mapped_column(JSON, default=list)


class RoleGrant(Base):
    """One role a user holds, with its scope (a department for clerks, none otherwise)."""

    __tablename__ = "role_grants"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "department_id"),
        Index("ix_role_grants_department_role", "department_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # The service point (服务点) a front-desk clerk or a 帮代办员 works at; None for the
    # other roles (and for a clerk not yet placed, who then works the 通办 pool only).
    service_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_points.id"), index=True
    )
    granted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())

    department: Mapped[Department | None] = relationship(lazy="joined")
    service_point: Mapped[ServicePoint | None] = relationship(lazy="joined")


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    # A self-registered applicant's mobile, verified by a one-time code (also the login
    # name); the channels they want notifications on (in_app, sms).
    mobile: Mapped[str | None] = mapped_column(String(16), unique=True)
    mobile_verified_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # jsonb on PostgreSQL: queries that SELECT DISTINCT users need an equality operator.
    notify_channels: Mapped[list] = mapped_column(JsonDocument, default=lambda: ["in_app", "sms"])

    # Loaded with the user (every request asks the access policy about them).
    role_grants: Mapped[list[RoleGrant]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="RoleGrant.id"
    )

    # The parties (当事人) this account acts for: itself as a person, companies it
    # represents. Loaded when first asked (an applicant's case pages ask; a clerk's
    # requests and the users loaded as recipients or names never do: a statement saved).
    party_links: Mapped[list[PartyAccount]] = relationship(lazy="select", viewonly=True)

    # The login session this user object was loaded through (see LoginSession); Flask-Login
    # keeps it in the signed cookie instead of the user id.
    login_token = None  # str | None; a plain attribute, not a column

    def get_id(self) -> str | None:
        return self.login_token

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)  # scrypt by default

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(g.role) for g in self.role_grants)

    def has_role(self, *roles: Role) -> bool:
        wanted = {r.value for r in roles}
        return any(g.role in wanted for g in self.role_grants)

    def department_ids(self, *roles: Role) -> frozenset[int]:
        """Departments where the user holds one of `roles` (default: any clerk role)."""
        wanted = {r.value for r in (roles or CLERK_ROLES)}
        return frozenset(
            g.department_id
            for g in self.role_grants
            if g.role in wanted and g.department_id is not None
        )

    def works_in(self, department_id: int | None, *roles: Role) -> bool:
        return department_id is not None and department_id in self.department_ids(*roles)

    def service_point(self, *roles: Role) -> ServicePoint | None:
        """The service point where the user holds one of `roles` (default: front desk or
        帮代办员): where their acts at the window happen."""
        wanted = {r.value for r in (roles or (Role.FRONT_DESK, Role.ASSISTANT))}
        return next(
            (g.service_point for g in self.role_grants if g.role in wanted and g.service_point),
            None,
        )

    @property
    def primary_role(self) -> Role | None:
        """The first role granted: where the user lands after login."""
        return Role(self.role_grants[0].role) if self.role_grants else None

    @property
    def departments(self) -> list[Department]:
        seen: dict[int, Department] = {}
        for g in self.role_grants:
            if g.department is not None:
                seen.setdefault(g.department.id, g.department)
        return list(seen.values())


class LoginSession(Base):
    """A server-side login session. The browser holds only its random token (in the signed
    session cookie); logging out ends the row, so a copied cookie stops working at once,
    and a password change or reset ends the user's other sessions."""

    __tablename__ = "login_sessions"

    # SHA-256 of the token: a leaked table does not hand out live sessions.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    ended_why: Mapped[str | None] = mapped_column(String(16))  # logout | password | reset

    user: Mapped[User] = relationship(lazy="joined")


class OneTimeCode(Base):
    """A one-time code sent by SMS to prove a mobile number (registration, password reset).
    Only its hash is kept; it expires, dies after a few wrong tries, and works once."""

    __tablename__ = "one_time_codes"
    __table_args__ = (Index("ix_one_time_codes_mobile_purpose", "mobile", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))  # register | reset
    mobile: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
