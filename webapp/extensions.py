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
def _load_user(token: str):
    # The cookie holds a login session's token, not a user id: an ended session (logout,
    # password change, reset) loads nobody, whatever the cookie says.
    from webapp.accounts.sessions import user_for_token
    from webapp.db import db_session

    return user_for_token(db_session(), token)
