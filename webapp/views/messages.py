"""消息: the in-app messages of any account, with the unread count in the top bar."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from webapp.access_policy import Function, may_use
from webapp.db import db_session
from webapp.notifications import inbox

from .guards import requires

bp = Blueprint("messages", __name__, url_prefix="/messages")


@bp.get("/")
@requires(Function.ANY_ACCOUNT)
def index():
    return render_template(
        "messages/index.html", messages=inbox.messages_of(db_session(), current_user)
    )


@bp.post("/<int:message_id>/read")
@requires(Function.ANY_ACCOUNT)
def read(message_id: int):
    db = db_session()
    message = inbox.mark_read(db, current_user, message_id)
    db.commit()
    if message.case_no:
        page = "applicant.case_page" if may_use(current_user, Function.APPLY) else "clerk.case_page"
        return redirect(url_for(page, case_no=message.case_no))
    return redirect(url_for("messages.index"))


@bp.post("/read")
@requires(Function.ANY_ACCOUNT)
def read_all():
    db = db_session()
    inbox.mark_all_read(db, current_user)
    db.commit()
    return redirect(url_for("messages.index"))
