"""Login, logout and the user's own password, for every role (CSRF-protected forms).

Failed logins are rate-limited per account and per client address (rate_limits/); an
unknown name costs the same password hash as a known one; sessions live on the server, so
logging out (or a password change elsewhere) ends them for good.
"""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webapp.access_policy import Function
from webapp.accounts import sessions
from webapp.accounts.models import Role, User
from webapp.db import db_session
from webapp.domain_errors import Invalid
from webapp.rate_limits import limiter

from .guards import requires
from .inputs import LoginInput, PasswordChangeInput, load_or_errors

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {
    Role.APPLICANT: "applicant.home",
    Role.FRONT_DESK: "clerk.inbox",
    Role.APPROVER: "clerk.inbox",
    Role.SECTION_CHIEF: "clerk.inbox",
    Role.DEPARTMENT_HEAD: "clerk.inbox",
    Role.ANALYST: "modeler.themes_list",
    Role.ADMIN: "admin.themes_list",
    Role.ASSISTANT: "assist.home",
    Role.SUPERVISOR: "supervision.dashboard",
}


def home_url(user: User) -> str:
    """Where a user lands: the home of the first role they were granted."""
    role = user.primary_role
    return url_for(HOME_BY_ROLE[role]) if role is not None else url_for("auth.login")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("auth/login.html", errors={})
    values, errors = load_or_errors(LoginInput(), request.form)
    if errors:
        return render_template("auth/login.html", errors=errors), 422
    db = db_session()
    username, address = values["username"], request.remote_addr or "unknown"
    for limit, subject in (
        (limiter.LOGIN_PER_ACCOUNT, username),
        (limiter.LOGIN_PER_ADDRESS, address),
    ):
        if limiter.is_blocked(db, limit, subject):
            # Refused before the password is looked at: guessing on gains nothing.
            return render_template("auth/login.html", errors={"form": limit.message}), 429
    user = sessions.find_user(db, username)
    if not sessions.password_matches(user, values["password"]):
        limiter.record_hit(db, limiter.LOGIN_PER_ACCOUNT, username)
        limiter.record_hit(db, limiter.LOGIN_PER_ADDRESS, address)
        db.commit()
        return render_template("auth/login.html", errors={"form": "用户名或密码错误"}), 401
    limiter.reset(db, limiter.LOGIN_PER_ACCOUNT, username)
    sessions.start_session(db, user)
    db.commit()
    login_user(user)
    target = values.get("next")
    # Only same-site relative targets: no open redirect.
    if target and urlparse(target).netloc == "" and target.startswith("/"):
        return redirect(target)
    return redirect(home_url(user))


@bp.post("/logout")
@login_required
def logout():
    db = db_session()
    sessions.end_session(db, current_user.get_id())
    db.commit()
    logout_user()
    session.clear()
    flash("您已退出登录")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires(Function.ANY_ACCOUNT)
def change_password():
    """修改密码: the current password, then the new one twice; other sessions end."""
    if request.method == "GET":
        return render_template("auth/password.html", errors={})
    values, errors = load_or_errors(PasswordChangeInput(), request.form)
    if not errors and values["new_password"] != values["confirm_password"]:
        errors = {"confirm_password": "两次输入的新密码不一致"}
    if errors:
        return render_template("auth/password.html", errors=errors), 422
    db = db_session()
    try:
        sessions.change_password(
            db, current_user, values["current_password"], values["new_password"]
        )
    except Invalid as exc:
        db.rollback()
        details = {d["field"]: d["message"] for d in exc.details or []}
        return render_template("auth/password.html", errors={"form": exc.message, **details}), 422
    db.commit()
    flash("密码已修改，其他设备上的登录已失效")
    return redirect(home_url(current_user))
