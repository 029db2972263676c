"""Flask extensions, created here and bound in the app factory."""

from __future__ import annotations

from flask_login import LoginManager
from flask_smorest import Api
from flask_wtf import CSRFProtect

from webapp.errors import ErrorBody


class YjsApi(Api):
    # flask-smorest documents its own error body (an integer code); ours is errors.py's.
    ERROR_SCHEMA = ErrorBody


csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录"
api = YjsApi()


@login_manager.user_loader
def _load_user(user_id: str):
    from webapp.accounts.models import User
    from webapp.db import db_session

    user = db_session().get(User, int(user_id))
    return user if user is not None and user.active else None
