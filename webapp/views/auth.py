"""Login and logout for every role (session cookie, CSRF-protected form)."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from webapp.accounts.models import Role, User
from webapp.db import db_session

from .inputs import LoginInput, load_or_errors

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {
    Role.APPLICANT: "applicant.home",
    Role.FRONT_DESK: "clerk.inbox",
    Role.APPROVER: "clerk.inbox",
    Role.ANALYST: "modeler.themes_list",
    Role.ADMIN: "admin.themes_list",
}


def home_url(user: User) -> str:
    """Where a user lands: the home of the first role they were granted."""
    role = user.primary_role
    return url_for(HOME_BY_ROLE[role]) if role is not None else url_for("auth.login")


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("auth/login.html", errors={})
    values, errors = load_or_errors(LoginInput(), request.form)
    if errors:
        return render_template("auth/login.html", errors=errors), 422
    session = db_session()
    user = session.scalars(select(User).where(User.username == values["username"])).first()
    if user is None or not user.active or not user.check_password(values["password"]):
        return render_template("auth/login.html", errors={"form": "用户名或密码错误"}), 401
    login_user(user)
    target = values.get("next")
    # Only same-site relative targets: no open redirect.
    if target and urlparse(target).netloc == "" and target.startswith("/"):
        return redirect(target)
    return redirect(home_url(user))


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("您已退出登录")
    return redirect(url_for("auth.login"))
