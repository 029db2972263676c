"""Jinja filters for zh-CN pages."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from forms.masking import mask_id_number, mask_mobile

from .config import CHINA_TZ
from .models.cases import CASE_STATUS_LABELS
from .services.audit import ACTION_LABELS


def _local_time(value: dt.datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):  # ISO instants kept in JSON documents (correction, delivery)
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = _local_time
    app.jinja_env.filters["mask_id"] = lambda v: mask_id_number(v) if v else ""
    app.jinja_env.filters["mask_mobile"] = lambda v: mask_mobile(v) if v else ""
    app.jinja_env.filters["action_label"] = lambda v: ACTION_LABELS.get(v, v)
    app.jinja_env.filters["case_status"] = lambda v: CASE_STATUS_LABELS.get(v, v)
