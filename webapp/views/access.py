"""Role checks for views: every view names the roles that may use it."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from ..models import Role


def roles_required(*roles: Role):
    """Login required, and the user must hold one of `roles` (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401)
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator
