"""Accounts: creation (with audit) and the demo logins `make run` prints."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.accounts.models import Department, Role, RoleGrant, User
from webapp.audit import trail
from webapp.domain_errors import Conflict, Invalid

DEMO_PASSWORD = "yjs-demo-2026"  # noqa: S105 - printed demo login, documented

DEMO_USERS = [
    ("zhangsan", Role.APPLICANT, "张三", None),
    ("lisi", Role.APPLICANT, "李四", None),
    ("window", Role.FRONT_DESK, "王窗口", "FRONT_DESK"),
    ("window2", Role.FRONT_DESK, "李窗口", "FRONT_DESK"),
    # The service network (service_network/points.py DEMO_PLACES): window and window2 sit
    # at the county hall, these at a town centre; the 帮代办员 at a village station.
    ("yuanzhou", Role.FRONT_DESK, "周窗口（园洲镇）", "FRONT_DESK"),
    ("longxi", Role.FRONT_DESK, "黄窗口（龙溪街道）", "FRONT_DESK"),
    ("daiban", Role.ASSISTANT, "刘代办（刘屋村）", None),
    ("daiban2", Role.ASSISTANT, "叶代办（宫庭村）", None),
    ("samr", Role.APPROVER, "市场监管局审批员", "SAMR"),
    ("samr2", Role.APPROVER, "钱审批", "SAMR"),
    # The higher approval levels of 市场监管局 (食品经营许可: 承办人审查 → 科室负责人审核 →
    # 分管领导审批); the 分管领导 also approves 延期 (行政许可法 §42).
    ("samr_chief", Role.SECTION_CHIEF, "孙科长", "SAMR"),
    ("samr_head", Role.DEPARTMENT_HEAD, "周局长", "SAMR"),
    ("psb", Role.APPROVER, "公安局审批员", "PSB"),
    ("tax", Role.APPROVER, "税务局审批员", "TAX"),
    ("hrss", Role.APPROVER, "人社局审批员", "HRSS"),
    ("hf", Role.APPROVER, "公积金中心审批员", "HF"),
    # Every other department of a shipped theme, so each theme can be completed end to end.
    ("hsa", Role.APPROVER, "医保局审批员", "HSA"),
    ("health", Role.APPROVER, "卫健局审批员", "HEALTH"),
    ("realty", Role.APPROVER, "不动产登记中心审批员", "REALTY"),
    ("housing", Role.APPROVER, "住建局审批员", "HOUSING"),
    ("fire", Role.APPROVER, "消防救援大队审批员", "FIRE"),
    ("urban", Role.APPROVER, "城管局审批员", "URBAN"),
    ("water", Role.APPROVER, "水务局审批员", "WATER"),
    ("waterworks", Role.APPROVER, "供水公司受理员", "WATERWORKS"),
    ("power", Role.APPROVER, "供电公司受理员", "POWER"),
    ("gas", Role.APPROVER, "燃气公司受理员", "GAS"),
    ("telecom", Role.APPROVER, "通信运营商受理员", "TELECOM"),
    ("analyst", Role.ANALYST, "赵分析", None),
    ("admin", Role.ADMIN, "系统管理员", None),
    # 效能监督: the dashboard, the monthly report, 催办; red cards reach the supervisor and
    # the department's head (samr_head above).
    ("supervisor", Role.SUPERVISOR, "周督查", None),
]

# Real-name applicants: persons of a shipped sample application, with the sample's ID
# number and mobile, so its joint application (共同申请) can be completed with demo logins:
# one side submits, the other confirms with its own account. (username, name, 居民身份证号,
# mobile, side, theme); `zhangsan`/`lisi` stay without an identity.
DEMO_PERSONS = [
    ("chenzhiming", "陈志明", "441322199305170114", "13902345678", "buyer", "second-hand-housing"),
    ("liguoqiang", "李国强", "441322198903140519", "13620451234", "seller", "second-hand-housing"),
]


def create_user(
    session: Session,
    actor: User | None,
    *,
    username: str,
    role: Role,
    display_name: str,
    password: str,
    department_code: str | None = None,
) -> User:
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"用户名 {username} 已存在")
    if len(password) < 10:
        raise Invalid("密码至少需要 10 个字符")
    department = _department_for(session, role, department_code)
    user = User(username=username, display_name=display_name)
    user.set_password(password)
    user.role_grants.append(RoleGrant(role=role.value, department=department))
    session.add(user)
    session.flush()
    trail.record(
        session,
        actor,
        "user.created",
        after={
            "user": username,
            "role": role.value,
            "department": department.code if department else None,
        },
    )
    return user


def grant_role(
    session: Session, actor: User | None, user: User, role: Role, department_code: str | None = None
) -> Department | None:
    """Give `user` one more role, scoped to a department where the role needs one."""
    department = _department_for(session, role, department_code)
    user.role_grants.append(RoleGrant(role=role.value, department=department))
    session.flush()
    trail.record(
        session,
        actor,
        "user.role_granted",
        after={"user": user.username, "role": role.value, "department": department_code},
    )
    return department


def _department_for(session: Session, role: Role, department_code: str | None):
    department = None
    if role.needs_department:
        if not department_code:
            raise Invalid("窗口和审批人员必须指定部门")
        department = session.scalars(
            select(Department).where(Department.code == department_code)
        ).first()
        if department is None:
            raise Invalid(f"部门编码 {department_code} 不存在")
    return department


def ensure_demo_users(session: Session, *, real_name: bool = True) -> list[tuple[str, str, str]]:
    """Create the demo accounts that do not exist yet; `real_name=False` leaves out the
    real-name persons (DEMO_PERSONS), for a database whose tests register those persons
    themselves."""
    from webapp.service_network import points

    points.ensure_demo_network(session)
    logins = []
    for username, role, name, dept in DEMO_USERS:
        exists = session.scalars(select(User).where(User.username == username)).first()
        if exists is None:
            create_user(
                session,
                None,
                username=username,
                role=role,
                display_name=name,
                password=DEMO_PASSWORD,
                department_code=dept,
            )
        logins.append((username, DEMO_PASSWORD, role.label + (f" · {dept}" if dept else "")))
    points.place_demo_staff(session)
    if real_name:
        logins += ensure_demo_persons(session)
    return logins


def ensure_demo_persons(session: Session) -> list[tuple[str, str, str]]:
    """The real-name demo applicants, made as self-registration makes an account (verified
    mobile, linked to the person of the ID number). A person whose mobile or ID number
    already has another account (someone registered it) is left to that account."""
    from webapp.accounts import registration

    logins = []
    for username, name, id_number, mobile, _side, _theme in DEMO_PERSONS:
        exists = session.scalars(select(User).where(User.username == username)).first()
        if exists is None:
            id_number = registration.normalise_id_number(id_number)
            try:
                registration.check_free(session, mobile, id_number)
            except Conflict:
                continue
            registration.create_real_name_applicant(
                session,
                username=username,
                name=name,
                id_number=id_number,
                mobile=mobile,
                password=DEMO_PASSWORD,
            )
        logins.append((username, DEMO_PASSWORD, Role.APPLICANT.label))
    return logins
