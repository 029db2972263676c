"""Logs never carry a full 身份证号 or mobile number: records are masked when created.

A record factory (rather than a filter) covers every logger and every handler, including
handlers added later by the server or by tests. The message, the traceback of a logged
exception and a logged stack are all masked.

The server and the worker write one JSON object per line (`JsonFormatter`): time, level,
logger, message, and, inside a request, its request id, the logged-in user's id and the
case the request concerns. Exception text is masked as well: an exception's message may
quote an answer.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.config
import re
import threading
import traceback

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    text = ID_NUMBER.sub(r"\1********\2", text)
    return MOBILE.sub(r"\1****\2", text)


def _mask_traceback(record: logging.LogRecord) -> None:
    # An exception's text (its message, a ValueError naming the ID number it refused) is
    # rendered by each handler's formatter from exc_info. Render it once here, masked, as
    # the exc_text every logging.Formatter prints, and drop exc_info so that no handler
    # can render it again unmasked.
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = mask_text(_TRACEBACKS.formatException(record.exc_info))
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)


_TRACEBACKS = logging.Formatter()
_installed = False
_install_lock = threading.Lock()


def install_masking() -> None:
    global _installed
    # Apps may be created in several threads at once (tests, tools); installing the factory
    # twice would mask twice (harmless) but wrap the factory chain ever deeper.
    with _install_lock:
        if not _installed:
            _install_factory()
            _installed = True


def _install_factory() -> None:
    base_factory = logging.getLogRecordFactory()

    def masked_record(*args, **kwargs) -> logging.LogRecord:
        record = base_factory(*args, **kwargs)
        _mask_traceback(record)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not break logging
            return record
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    logging.setLogRecordFactory(masked_record)


# Attributes every LogRecord has; anything else on a record came from `extra=` and is kept.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def request_fields() -> dict:
    """What the current request tells about itself: request id, user id, case number."""
    from flask import g, has_request_context, request

    if not has_request_context():
        return {}
    fields = {}
    request_id = g.get("request_id")
    if request_id:
        fields["request_id"] = request_id
    user_id = _logged_in_user_id(g.get("_login_user"))
    if user_id is not None:
        fields["user_id"] = user_id
    case_no = g.get("case_no") or (request.view_args or {}).get("case_no")
    if case_no:
        fields["case_no"] = str(case_no)
    return fields


def _logged_in_user_id(user) -> int | None:
    # Flask-Login keeps the user it loaded in g. Only its identity is read: touching an
    # attribute of an expired object (after a rollback) would query the database from
    # inside a log call.
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    from sqlalchemy import inspect

    state = inspect(user, raiseerr=False)
    if state is None or state.identity is None:
        return None
    return state.identity[0]


class JsonFormatter(logging.Formatter):
    """One JSON object per line, masked, with the request's fields when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_text(record.getMessage()),
        }
        entry.update(request_fields())
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry.setdefault(key, mask_text(value) if isinstance(value, str) else value)
        if record.exc_info:
            entry["exc_info"] = mask_text("".join(traceback.format_exception(*record.exc_info)))
        elif record.exc_text:
            entry["exc_info"] = mask_text(record.exc_text)
        if record.stack_info:
            entry["stack_info"] = mask_text(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def logging_config(log_format: str, level: str) -> dict:
    """A `logging.config.dictConfig` document: everything to stderr, JSON or text.

    The production server hands it to gunicorn, so gunicorn's own messages (worker boots,
    timeouts) come out in the same format as the app's.
    """
    formatter = (
        {"()": "webapp.logging_setup.JsonFormatter"}
        if log_format == "json"
        else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        # Loggers created before this runs (module-level `getLogger`) must keep logging.
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            # The app logs each request itself, with its request id (monitoring/requests.py).
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            # Reading the migration scripts (/readyz) announces alembic's plugins at INFO.
            "alembic": {"level": "WARNING", "handlers": [], "propagate": True},
            # SpiffWorkflow tells every task state change at INFO: lines per engine step.
            "spiff": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }


def configure_logging(log_format: str, level: str) -> None:
    """Set up process-wide logging for a server or worker process (not for tests)."""
    install_masking()
    logging.config.dictConfig(logging_config(log_format, level))
