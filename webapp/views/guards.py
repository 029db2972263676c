"""The gate of every view: it names the function it serves, the access policy decides.

`requires(Function.X)`: anonymous → 401 (a login page for browsers), a role without the
function → 403. Finer questions (this case, this task, this file) are asked by the view's
loader and by the services, of the same policy.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from webapp import access_policy
from webapp.access_policy import Function


def requires(function: Function):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401)
            if not access_policy.may_use(current_user, function):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_function = function
        return wrapped

    return decorator
