"""Applicants' own accounts: self-registration with real name and a mobile proven by a
one-time code, password reset by the same channel, and the profile (identity, notification
channels). Codes go out through the notification outbox; requests for them are limited by
the one rate limiter."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from forms.masking import mask_id_number, mask_mobile
from webapp.access_policy import Function
from webapp.accounts import one_time_codes, registration
from webapp.db import db_session
from webapp.domain_errors import ServiceError
from webapp.notifications import delivery
from webapp.notifications.models import Channel
from webapp.notifications.sms import channel_from_config as sms_channel_from_config
from webapp.parties import case_parties

from .guards import requires
from .inputs import (
    ChannelsInput,
    RegisterCodeInput,
    RegisterInput,
    ResetCodeInput,
    ResetInput,
    channels_form,
    load_or_errors,
)

bp = Blueprint("account", __name__)
log = logging.getLogger(__name__)


def _send_now(db, key: str) -> None:
    """The code was committed to the outbox; try to send it now rather than at the
    worker's next round. If this fails, the worker sends it (the row is still pending)."""
    try:
        delivery.deliver_now(db, key, sms_channel_from_config(current_app.config))
        db.commit()
    except Exception:  # noqa: BLE001 - the outbox keeps it for the worker
        db.rollback()
        log.exception("sending a one-time code at once failed; the worker will retry")


def _errors_of(exc: ServiceError) -> dict:
    details = exc.details if isinstance(exc.details, list) else []
    return {"form": exc.message, **{d["field"]: d["message"] for d in details if "field" in d}}


@bp.get("/register")
def register():
    return render_template("account/register.html", errors={}, code_sent=False)


@bp.post("/register/code")
def register_code():
    """Step 1: check name, ID number and mobile, and send the code to the mobile."""
    values, errors = load_or_errors(RegisterCodeInput(), request.form)
    if errors:
        return render_template("account/register.html", errors=errors, code_sent=False), 422
    db = db_session()
    try:
        id_number = registration.normalise_id_number(values["id_number"])
        registration.check_free(db, values["mobile"], id_number)
        key = one_time_codes.request_code(
            db, values["mobile"], "register", request.remote_addr or "unknown"
        )
    except ServiceError as exc:
        db.rollback()
        status = exc.status
        return render_template(
            "account/register.html", errors=_errors_of(exc), code_sent=False
        ), status
    db.commit()
    _send_now(db, key)
    return render_template("account/register.html", errors={}, code_sent=True)


@bp.post("/register")
def register_submit():
    """Step 2: the code, the password; the account is the person of that ID number."""
    values, errors = load_or_errors(RegisterInput(), request.form)
    if not errors and values["password"] != values["confirm_password"]:
        errors = {"confirm_password": "两次输入的密码不一致"}
    if errors:
        return render_template("account/register.html", errors=errors, code_sent=True), 422
    db = db_session()
    try:
        result = registration.register_applicant(
            db,
            name=values["name"],
            id_number=values["id_number"],
            mobile=values["mobile"],
            code=values["code"],
            password=values["password"],
        )
    except ServiceError as exc:
        db.rollback()
        return render_template(
            "account/register.html", errors=_errors_of(exc), code_sent=True
        ), exc.status
    if isinstance(result, str):
        db.commit()  # the wrong try counts
        return render_template(
            "account/register.html", errors={"code": result}, code_sent=True
        ), 422
    db.commit()
    flash("注册成功，请用手机号和密码登录")
    return redirect(url_for("auth.login"))


@bp.get("/password-reset")
def reset():
    return render_template("account/reset.html", errors={}, code_sent=False)


@bp.post("/password-reset/code")
def reset_code():
    """A code to the mobile, if an account has it; the answer is the same either way."""
    values, errors = load_or_errors(ResetCodeInput(), request.form)
    if errors:
        return render_template("account/reset.html", errors=errors, code_sent=False), 422
    db = db_session()
    key = None
    try:
        if registration.account_with_mobile(db, values["mobile"]) is not None:
            key = one_time_codes.request_code(
                db, values["mobile"], "reset", request.remote_addr or "unknown"
            )
    except ServiceError as exc:
        db.rollback()
        return render_template(
            "account/reset.html", errors=_errors_of(exc), code_sent=False
        ), exc.status
    db.commit()
    if key is not None:
        _send_now(db, key)
    return render_template("account/reset.html", errors={}, code_sent=True)


@bp.post("/password-reset")
def reset_submit():
    values, errors = load_or_errors(ResetInput(), request.form)
    if not errors and values["new_password"] != values["confirm_password"]:
        errors = {"confirm_password": "两次输入的新密码不一致"}
    if errors:
        return render_template("account/reset.html", errors=errors, code_sent=True), 422
    db = db_session()
    try:
        result = registration.reset_password(
            db, values["mobile"], values["code"], values["new_password"]
        )
    except ServiceError as exc:
        db.rollback()
        return render_template(
            "account/reset.html", errors=_errors_of(exc), code_sent=True
        ), exc.status
    db.commit()
    if isinstance(result, str):
        return render_template("account/reset.html", errors={"code": result}, code_sent=True), 422
    flash("密码已重设，请用新密码登录；其他设备上的登录已失效")
    return redirect(url_for("auth.login"))


@bp.route("/account/profile", methods=["GET", "POST"])
@requires(Function.APPLY)
def profile():
    """实名信息 (masked) and the notification channels the applicant wants."""
    db = db_session()
    errors: dict = {}
    status = 200
    if request.method == "POST":
        values, errors = load_or_errors(ChannelsInput(), channels_form(request.form))
        if not errors:
            try:
                registration.set_channels(db, current_user, values["channels"])
            except ServiceError as exc:
                db.rollback()
                errors = _errors_of(exc)
        if not errors:
            db.commit()
            flash("通知方式已保存")
            return redirect(url_for("account.profile"))
        status = 422
    me = case_parties.own_person(current_user)
    return render_template(
        "account/profile.html",
        errors=errors,
        name=me.name if me else current_user.display_name,
        id_number=mask_id_number(me.number) if me else None,
        mobile=mask_mobile(current_user.mobile) if current_user.mobile else None,
        mobile_verified=current_user.mobile_verified_at is not None,
        channels=[(c.value, c.label) for c in Channel],
        chosen=set(current_user.notify_channels or []),
    ), status
