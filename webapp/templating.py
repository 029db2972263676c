"""Jinja filters for zh-CN pages."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask_login import current_user
from markupsafe import Markup

from engine import working_calendar
from webapp import access_policy
from webapp.access_policy import Function
from webapp.accounts.models import Role
from webapp.audit.plain_words import plain_words
from webapp.audit.trail import EVENT_LABELS
from webapp.cases.models import CASE_STATUS_LABELS
from webapp.clock import CHINA_TZ
from webapp.db import db_session
from webapp.instruments.documents import chinese_date
from webapp.materials import files as material_files
from webapp.notifications import inbox
from webapp.working_calendar import arrangement


def _local_time(value: dt.datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):  # ISO instants kept in JSON documents (correction, delivery)
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def _due_time(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    shown = _local_time(value)
    if working_calendar.provisional(value):
        return Markup(
            '{} <span class="badge badge-active provisional" title="{}">暂定</span>'
        ).format(shown, PROVISIONAL)
    return shown


PROVISIONAL = "该期限落在尚未录入节假日安排的年份，暂按周一至周五为工作日计算，录入后自动重算"


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = _local_time
    app.jinja_env.filters["chinese_date"] = chinese_date
    # A deadline counted past the calendar's coverage (Monday–Friday assumed) says so.
    app.jinja_env.filters["due_time"] = _due_time
    app.jinja_env.filters["action_label"] = lambda v: EVENT_LABELS.get(v, v)
    app.jinja_env.filters["case_status"] = lambda v: CASE_STATUS_LABELS.get(v, v)
    app.jinja_env.filters["plain_words"] = plain_words
    # One rule, one text: the upload limits the server enforces, shown by every file input.
    app.jinja_env.globals["material_limits"] = material_files.LIMITS_TEXT
    app.jinja_env.globals["material_max_bytes"] = material_files.MAX_FILE_BYTES
    app.jinja_env.filters["role_label"] = lambda v: Role(v).label
    app.context_processor(_navigation)


def _navigation() -> dict:
    """The top bar: which parts of the app the user may use (the policy's answers)."""
    if not current_user.is_authenticated:
        return {"nav": {}}
    roles = "、".join(r.label for r in sorted(current_user.roles, key=list(Role).index))
    departments = "、".join(d.name for d in current_user.departments)
    publish = access_policy.may_use(current_user, Function.PUBLISH)
    return {
        "nav": {
            # Administrators keep the working calendar: they are told before it runs out.
            "calendar_warning": arrangement.coverage().warning if publish else None,
            "apply": access_policy.may_use(current_user, Function.APPLY),
            "workbench": access_policy.may_use(current_user, Function.WORKBENCH),
            "model": access_policy.may_use(current_user, Function.MODEL),
            "publish": publish,
            "assist": access_policy.may_use(current_user, Function.ASSIST),
            "transfers": access_policy.may_use(current_user, Function.WORKBENCH),
            "network": access_policy.may_use(current_user, Function.NETWORK),
            "roles": roles
            + (f" · {departments}" if departments else "")
            + (f" · {point.name}" if (point := current_user.service_point()) else ""),
            "supervise": access_policy.may_use(current_user, Function.SUPERVISE),
            # 消息: applicants are told by notifications, staff of 催办 and red cards; the
            # count is of unread ones.
            "messages": True,
            "unread": inbox.unread_count(db_session(), current_user),
        }
    }
