"""Logs never carry a full 身份证号 or mobile number: records are masked when created.

A record factory (rather than a filter) covers every logger and every handler, including
handlers added later by the server or by tests. The message, the traceback of a logged
exception and a logged stack are all masked.
"""

from __future__ import annotations

import logging
import re

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


def install_masking() -> None:
    global _installed
    if _installed:
        return
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
    _installed = True
