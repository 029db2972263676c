"""The printable one-time notice (一次告知书), open to everyone.

No login: the notice is what a service hall hands out and publishes (办事指南公开) — the
items, materials, fees and time limits of a theme. It holds no personal data: the only
input is the guidance answers in the query string (e.g. a floor area), which are neither
stored nor logged, and only published versions are shown. An applicant who is logged in
reads it with their own e-licences applied (the exempt materials name the licence, as
their form does); that page is theirs alone and never cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, make_response, render_template, request, url_for
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, ValidationError, validate

from forms.field_values import CONTROL_CHARACTERS
from webapp.accounts.models import Role
from webapp.db import db_session
from webapp.domain_errors import Invalid, NotFound
from webapp.licences import sources
from webapp.process_cache import ProcessCache
from webapp.themes import notices
from webapp.themes.lookup import get_theme, latest_version
from webapp.themes.models import ThemeVersion

from .inputs import Text

bp = Blueprint("notice", __name__, url_prefix="/notice")

MAX_ANSWER_LENGTH = 100


_SCHEMAS: ProcessCache[Schema] = ProcessCache("notice query schemas", maxsize=64)


def _query_schema(keys: tuple[str, ...]) -> Schema:
    # The questions differ per theme: one schema per set of question keys, each answer a
    # short string; other query arguments are ignored. Typing is the guidance's job.
    # Field keys contain dots, which marshmallow would read as nesting: name the fields
    # by position and read the keys through data_key.
    def build() -> Schema:
        schema = Schema.from_dict(
            {
                f"q{i}": Text(data_key=key, validate=validate.Length(max=MAX_ANSWER_LENGTH))
                for i, key in enumerate(keys)
            },
            name="NoticeQuery",
        )
        return schema(unknown=EXCLUDE)

    return _SCHEMAS.get(keys, build)


def load_answers(version: ThemeVersion, args: Mapping[str, Any]) -> dict[str, str]:
    """The question answers of a notice request, checked by a marshmallow schema."""
    keys = notices.question_keys(version)
    try:
        loaded = _query_schema(keys).load({k: args[k] for k in keys if k in args})
    except ValidationError as exc:
        details = [
            {"key": key, "message": f"导办问题 {key} 的回答{_problem(messages)}"}
            for key, messages in exc.messages.items()
        ]
        raise Invalid("导办问题的回答有误", details=details) from None
    return {keys[int(name[1:])]: value for name, value in loaded.items()}


def _problem(messages) -> str:
    if CONTROL_CHARACTERS in str(messages):
        return CONTROL_CHARACTERS
    return f"过长（不超过{MAX_ANSWER_LENGTH}个字符）"


def published_version(code: str) -> ThemeVersion:
    session = db_session()
    theme = get_theme(session, code)
    version = latest_version(session, theme)
    if version is None:
        raise NotFound("该主题尚未发布，暂无一次告知书")
    return version


def notice_document(code: str, args: Mapping[str, Any], holdings=None) -> dict[str, Any]:
    """The notice of a theme's published version as JSON-ready data (page and API)."""
    version = published_version(code)
    answers = load_answers(version, args)
    return notices.notice_for(version, answers, holdings).to_dict()


def notice_url(version: ThemeVersion, answers: Mapping[str, Any] | None = None) -> str:
    """Link to the notice for the guidance answers of a page (question keys only)."""
    query = {}
    for key in notices.question_keys(version):
        value = (answers or {}).get(key)
        if isinstance(value, bool):
            query[key] = "true" if value else "false"
        elif value not in (None, ""):
            query[key] = str(value)
    base = url_for("notice.page", theme_code=version.theme.code)
    return f"{base}?{urlencode(query)}" if query else base


@bp.app_context_processor
def _notice_links() -> dict[str, Any]:
    return {"notice_url": notice_url}


@bp.get("/<theme_code>")
def page(theme_code: str):
    own = current_user.is_authenticated and current_user.has_role(Role.APPLICANT)
    holdings = sources.holdings(db_session(), current_user) if own else None
    notice = notice_document(theme_code, request.args, holdings)
    api_url = url_for("api_themes.notice", code=theme_code)
    if request.query_string:
        api_url += "?" + request.query_string.decode("ascii", "replace")
    response = make_response(
        render_template("notice/notice.html", notice=notice, api_url=api_url, personal=own)
    )
    if own:
        response.headers["Cache-Control"] = "private, no-store"
    return response
