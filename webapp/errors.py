"""One error renderer: JSON under /api/ (or when JSON is asked for), an HTML page otherwise."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, fields
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from webapp.db import db_session
from webapp.domain_errors import Conflict, ServiceError

log = logging.getLogger(__name__)

HTTP_MESSAGES = {
    400: "请求无效",
    401: "请先登录",
    403: "无权访问",
    404: "页面不存在",
    405: "不支持该操作",
    409: "操作冲突，请刷新后重试",
    413: "上传内容过大",
    422: "提交的内容有误",
    429: "请求过于频繁",
    500: "系统内部错误，请稍后重试",
}


class ErrorBody(Schema):
    """What `render_error` answers in JSON; documented as every API operation's error."""

    code = fields.String(
        required=True,
        metadata={"description": "稳定的错误代码，如 not_found、invalid、unprocessable_entity"},
    )
    message = fields.String(required=True, metadata={"description": "错误说明（中文）"})
    errors = fields.Raw(
        metadata={
            "description": "逐项说明：字段 → 错误，或问题列表",
            "oneOf": [{"type": "object"}, {"type": "array"}],
        }
    )


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def render_error(status: int, code: str, message: str, details=None):
    db_session().rollback()
    if wants_json():
        body = {"code": code, "message": message}
        if details is not None:
            body["errors"] = details
        return jsonify(body), status
    return render_template(
        "errors/error.html", status=status, message=message, details=details
    ), status


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        return render_error(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(StaleDataError)
    def _stale(_exc):
        return render_error(409, Conflict.code, "该办件刚被他人更新，您的操作未生效，请刷新后重试")

    @app.errorhandler(OperationalError)
    def _operational(exc: OperationalError):
        # SQLite reports a lost race for the write lock this way; it is a conflict, not a crash.
        if "database is locked" in str(exc.orig):
            return render_error(409, Conflict.code, "该办件正被他人办理，请稍后刷新重试")
        log.exception("database error")
        return render_error(500, "internal", HTTP_MESSAGES[500])

    @app.errorhandler(CSRFError)
    def _csrf(_exc):
        return render_error(400, "csrf", "页面已过期或来源不明（CSRF 校验失败），请刷新后重试")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        if status == 401 and not wants_json():
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        details = None
        if status == 422:  # flask-smorest / webargs validation
            data = getattr(exc, "data", {}) or {}
            details = data.get("messages")
        return render_error(
            status,
            exc.name.lower().replace(" ", "_"),
            HTTP_MESSAGES.get(status, exc.description),
            details,
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return render_error(500, "internal", HTTP_MESSAGES[500])
