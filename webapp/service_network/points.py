"""The county's service points: the tree admins keep, the demo network, and which point a
clerk acts at.

The network is three levels (DOMAIN.md §12): the county 政务服务中心, town/street
便民服务中心 under it, village/community 服务站 under a town. 同城通办: any point accepts any
theme, so nothing here restricts what a point may do; a point only says *where* an act
happened (the case's `submitted/accepted/delivered_point_id`) and where the applicant
collects results (`collection_point_id`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.accounts.models import Role, RoleGrant, User
from webapp.audit import trail
from webapp.domain_errors import Conflict, Invalid, NotFound
from webapp.service_network.models import PointLevel, ServicePoint

COUNTY_REGION = "441322"  # 博罗县, the county of the shipped themes' sample applications

# The demo network (`yjs demo-users`): the county hall, two towns' centres and a village
# station under each. Addresses and phones are illustrative.
# (code, name, level, parent code, address, hours, phone)
DEMO_POINTS = [
    ("BL-XZFW", "博罗县政务服务中心", "county", None,
     "博罗县罗阳街道北门路168号", "周一至周五 8:30-12:00，14:00-17:30；周六上午 9:00-12:00",
     "0752-6123456"),
    ("BL-YZ", "园洲镇便民服务中心", "town", "BL-XZFW",
     "博罗县园洲镇园洲大道23号", "周一至周五 8:30-12:00，14:00-17:30", "0752-6712345"),
    ("BL-LX", "龙溪街道便民服务中心", "town", "BL-XZFW",
     "博罗县龙溪街道龙溪大道88号", "周一至周五 8:30-12:00，14:00-17:30", "0752-6523456"),
    ("BL-YZ-LW", "园洲镇刘屋村便民服务站", "village", "BL-YZ",
     "博罗县园洲镇刘屋村村委会一楼", "周一至周五 9:00-12:00，14:30-17:00", "0752-6718801"),
    ("BL-LX-GT", "龙溪街道宫庭村便民服务站", "village", "BL-LX",
     "博罗县龙溪街道宫庭村党群服务中心", "周一至周五 9:00-12:00，14:30-17:00", "0752-6528802"),
]  # fmt: skip
# Demo staff placed at a point (username → point code); the accounts are in DEMO_USERS.
DEMO_PLACES = {
    "window": "BL-XZFW",
    "window2": "BL-XZFW",
    "yuanzhou": "BL-YZ",
    "longxi": "BL-LX",
    "daiban": "BL-YZ-LW",
    "daiban2": "BL-LX-GT",
}


@dataclass(frozen=True)
class PointInput:
    code: str
    name: str
    level: str
    parent_id: int | None
    address: str
    hours: str
    phone: str
    active: bool = True


def all_points(session: Session, *, active_only: bool = False) -> list[ServicePoint]:
    """Every point, as a tree read top-down: the county, each town followed by its stations."""
    stmt = select(ServicePoint)
    if active_only:
        stmt = stmt.where(ServicePoint.active.is_(True))
    points = list(session.scalars(stmt.order_by(ServicePoint.id)))
    children: dict[int | None, list[ServicePoint]] = {}
    for p in points:
        parent = p.parent_id if any(q.id == p.parent_id for q in points) else None
        children.setdefault(parent, []).append(p)
    ordered: list[ServicePoint] = []

    def walk(parent: int | None) -> None:
        for p in children.get(parent, []):
            ordered.append(p)
            walk(p.id)

    walk(None)
    return ordered


def depth(point: ServicePoint) -> int:
    return {"county": 0, "town": 1, "village": 2}.get(point.level, 0)


def get_point(session: Session, point_id: int, *, active: bool = False) -> ServicePoint:
    point = session.get(ServicePoint, point_id)
    if point is None or (active and not point.active):
        raise NotFound("服务点不存在或已停用")
    return point


def by_code(session: Session, code: str) -> ServicePoint | None:
    return session.scalars(select(ServicePoint).where(ServicePoint.code == code)).one_or_none()


def desk_point(user: User) -> ServicePoint | None:
    """Where `user`'s window acts happen (受理, 出件, 帮办代办); None when not placed."""
    return user.service_point()


def choose_collection(session: Session, actor: User, case, point_id: int | None) -> None:
    """The applicant's choice of where to collect the results (窗口领取); None: no choice
    (the county hall hands them out, or the point that accepted the case)."""
    if point_id is None:
        return
    point = session.get(ServicePoint, point_id)
    if point is None or not point.active:
        raise Invalid(
            "请选择一个正在办公的服务点",
            details=[{"key": "collection_point", "message": "请选择一个正在办公的服务点"}],
        )
    case.collection_point_id = point.id
    session.flush()
    trail.record(
        session, actor, "case.collection_point_chosen", case=case, after={"point": point.code}
    )


def save_point(
    session: Session, actor: User, values: PointInput, point: ServicePoint | None = None
) -> ServicePoint:
    """Create a point, or change one; the tree must stay county → town → village."""
    level = PointLevel(values.level)
    parent = session.get(ServicePoint, values.parent_id) if values.parent_id else None
    wanted = level.parent_level
    if (parent.level if parent else None) != (wanted.value if wanted else None):
        needs = wanted.label if wanted else "无（县级中心是网络的根）"
        raise Invalid(
            f"{level.label}的上级应为：{needs}",
            details=[{"field": "parent_id", "message": f"上级应为{needs}"}],
        )
    for column, value, label in (("code", values.code, "编码"), ("name", values.name, "名称")):
        clash = session.scalars(
            select(ServicePoint).where(getattr(ServicePoint, column) == value)
        ).one_or_none()
        if clash is not None and clash is not point:
            raise Conflict(
                f"服务点{label}“{value}”已被使用",
                details=[{"field": column, "message": f"{label}已被使用"}],
            )
    before = _facts(point) if point else None
    if point is None:
        point = ServicePoint(region_code=COUNTY_REGION)
        session.add(point)
    point.code, point.name, point.level = values.code, values.name, level.value
    point.parent_id = parent.id if parent else None
    point.address, point.hours, point.phone = values.address, values.hours, values.phone
    point.active = values.active
    session.flush()
    trail.record(
        session,
        actor,
        "service_point.created" if before is None else "service_point.changed",
        before=before,
        after=_facts(point),
    )
    return point


def _facts(point: ServicePoint) -> dict:
    return {
        "code": point.code,
        "name": point.name,
        "level": point.level,
        "parent_id": point.parent_id,
        "address": point.address,
        "hours": point.hours,
        "phone": point.phone,
        "active": point.active,
    }


def place(session: Session, actor: User | None, user: User, point: ServicePoint) -> RoleGrant:
    """Put a front-desk clerk or a 帮代办员 at `point` (their window acts happen there)."""
    grant = next((g for g in user.role_grants if g.role in (Role.FRONT_DESK, Role.ASSISTANT)), None)
    if grant is None:
        raise Invalid("只有综合窗口人员和帮代办员可以指派到服务点")
    before = grant.service_point.code if grant.service_point else None
    grant.service_point = point
    session.flush()
    trail.record(
        session,
        actor,
        "service_point.staff_placed",
        before={"user": user.username, "point": before},
        after={"user": user.username, "role": grant.role, "point": point.code},
    )
    return grant


def ensure_demo_network(session: Session) -> list[ServicePoint]:
    """The demo county's points (idempotent: an existing code is left as it is)."""
    made = []
    for code, name, level, parent, address, hours, phone in DEMO_POINTS:
        point = by_code(session, code)
        if point is None:
            point = save_point(
                session,
                None,
                PointInput(
                    code=code,
                    name=name,
                    level=level,
                    parent_id=by_code(session, parent).id if parent else None,
                    address=address,
                    hours=hours,
                    phone=phone,
                ),
            )
        made.append(point)
    return made


def place_demo_staff(session: Session) -> None:
    """Place the demo clerks and 帮代办员 at their points, unless an admin moved them."""
    for username, code in DEMO_PLACES.items():
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        point = by_code(session, code)
        if user is None or point is None or desk_point(user) is not None:
            continue
        place(session, None, user, point)
