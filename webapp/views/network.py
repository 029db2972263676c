"""The service network's pages: 材料流转单 (the front desk sends, the department signs for
the paper) and the admins' service points (the tree, and who works at which point)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp import access_policy
from webapp.access_policy import Function
from webapp.accounts.models import Role, RoleGrant, User
from webapp.cases.models import Case
from webapp.db import db_session
from webapp.domain_errors import Conflict, Invalid, NotFound
from webapp.service_network import points, transfers
from webapp.service_network.models import PointLevel

from .guards import requires
from .inputs import PlaceStaffInput, ServicePointInput, TransferReceiptInput, load_or_errors

bp = Blueprint("network", __name__)


# --- 材料流转单 ------------------------------------------------------------------------


@bp.get("/clerk/transfers", endpoint="transfers")
@requires(Function.WORKBENCH)
def transfers_page():
    """The 流转单 waiting: addressed to the user's departments, or sent from their point."""
    session = db_session()
    pending = transfers.pending_for(session, current_user)
    return render_template(
        "service_network/transfers.html",
        pending=pending,
        cases={c.id: c for c in session.scalars(
            select(Case).where(Case.id.in_([t.case_id for t in pending]))
        )},
        can_receive={t.id for t in pending if access_policy.can_receive_transfer(current_user, t)},
    )  # fmt: skip


@bp.post("/clerk/transfers/<int:transfer_id>/receive")
@requires(Function.WORKBENCH)
def receive_transfer(transfer_id: int):
    session = db_session()
    values, errors = load_or_errors(TransferReceiptInput(), request.form)
    if errors:
        raise Invalid("签收说明不超过 200 字", details=errors)
    transfer = transfers.receive(session, current_user, transfer_id, values["note"])
    session.commit()
    flash(f"已签收流转单 {transfer.number}，接收回执 {transfer.receipt_number} 已生成")
    if request.form.get("back") == "case":
        case_no = session.get(Case, transfer.case_id).case_no
        return redirect(url_for("clerk.case_page", case_no=case_no))
    return redirect(url_for("network.transfers"))


# --- service points (admins) -------------------------------------------------------


@bp.get("/admin/service-points", endpoint="points")
@requires(Function.NETWORK)
def points_page():
    return _points_page({}, {}, 200)


def _points_page(errors: dict, form: dict, status: int, editing: int | None = None):
    session = db_session()
    staff = session.scalars(
        select(RoleGrant)
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role.in_([Role.FRONT_DESK.value, Role.ASSISTANT.value]))
        .order_by(RoleGrant.id)
    ).all()
    by_point: dict[int | None, list] = {}
    for grant in staff:
        by_point.setdefault(grant.service_point_id, []).append(grant)
    return render_template(
        "service_network/points.html",
        points=points.all_points(session),
        depth=points.depth,
        levels=list(PointLevel),
        staff=by_point,
        users={
            u.id: u
            for u in session.scalars(select(User).where(User.id.in_([g.user_id for g in staff])))
        },
        errors=errors,
        form=form,
        editing=editing,
    ), status


@bp.post("/admin/service-points")
@requires(Function.NETWORK)
def create_point():
    return _save(None)


@bp.post("/admin/service-points/<int:point_id>")
@requires(Function.NETWORK)
def update_point(point_id: int):
    points.get_point(db_session(), point_id)
    return _save(point_id)


def _save(point_id: int | None):
    session = db_session()
    form = request.form.to_dict()
    form["active"] = request.form.get("active", "yes" if point_id is None else "") == "yes"
    values, errors = load_or_errors(ServicePointInput(), form)
    if errors:
        return _points_page(errors, form, 422, point_id)
    point = points.get_point(session, point_id) if point_id else None
    try:
        saved = points.save_point(session, current_user, points.PointInput(**values), point)
    except (Invalid, Conflict) as exc:
        session.rollback()
        errors = {d.get("field", "_form"): d["message"] for d in exc.details or []}
        return _points_page(errors or {"_form": exc.message}, form, exc.status, point_id)
    session.commit()
    flash(f"服务点“{saved.name}”已保存")
    return redirect(url_for("network.points", _anchor=f"point-{saved.code}"))


@bp.post("/admin/service-points/<int:point_id>/staff")
@requires(Function.NETWORK)
def place_staff(point_id: int):
    session = db_session()
    point = points.get_point(session, point_id, active=True)
    values, errors = load_or_errors(PlaceStaffInput(), request.form)
    if errors:
        return _points_page(errors, {}, 422, point_id)
    user = session.scalars(select(User).where(User.username == values["username"])).one_or_none()
    if user is None:
        raise NotFound("账号不存在")
    try:
        points.place(session, current_user, user, point)
    except Invalid as exc:
        session.rollback()
        return _points_page({"username": exc.message}, {}, 422, point_id)
    session.commit()
    flash(f"{user.display_name} 已指派到 {point.name}")
    return redirect(url_for("network.points", _anchor=f"point-{point.code}"))
