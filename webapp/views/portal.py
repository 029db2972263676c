"""The public face (no login): the theme catalog, each theme's preview, and 办件查询.

Nothing here shows personal data: the catalog and previews are what a service hall
publishes, the query shows progress and dates only (cases/public_query.py). A logged-in
visitor sees the same pages with a link to their own home.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from webapp.cases import public_query
from webapp.db import db_session
from webapp.domain_errors import NotFound
from webapp.licences import wallet
from webapp.rate_limits import limiter
from webapp.themes import public_catalog, theme_forms
from webapp.themes.lookup import get_theme, latest_version
from webapp.themes.published import published_theme

from .auth import home_url
from .inputs import CaseQueryInput, CatalogSearchInput, LicenceCheckInput, load_or_errors

bp = Blueprint("portal", __name__)


def _own_home() -> str | None:
    return home_url(current_user) if current_user.is_authenticated else None


@bp.get("/")
def home():
    values, errors = load_or_errors(CatalogSearchInput(), request.args)
    words = (values or {}).get("q", "").strip()
    entries = public_catalog.public_entries(db_session())
    found = [e for e in entries if e.matches(words)] if words else entries
    return render_template(
        "portal/home.html",
        groups=public_catalog.grouped(found),
        words=words,
        errors=errors or {},
        total=len(entries),
        found=len(found),
        own_home=_own_home(),
    )


@bp.get("/themes/<theme_code>")
def theme_page(theme_code: str):
    """办事指南 preview: the items, the questions the guidance will ask, the notice link."""
    session = db_session()
    theme = get_theme(session, theme_code)
    version = latest_version(session, theme)
    if version is None:
        raise NotFound("该主题尚未发布")
    published = published_theme(version)
    form = theme_forms.version_form(version)
    entry = next(e for e in public_catalog.public_entries(session) if e.code == theme.code)
    return render_template(
        "portal/theme.html",
        theme=theme,
        entry=entry,
        items=published.items,
        questions=[form.field(k) for k in theme_forms.question_fields(version)],
        materials=[m for m in published.materials.materials if not m.exempt],
        own_home=_own_home(),
    )


@bp.get("/query")
def case_query():
    """办件查询's form; the QR code of an instrument brings the case number along."""
    values, _ = load_or_errors(CaseQueryInput(), request.args)
    case_no = ((values or {}).get("no") or "").strip()
    return render_template(
        "portal/query.html", case_no=case_no, progress=None, message=None, own_home=_own_home()
    )


@bp.post("/query")
def case_query_result():
    """The progress of the case the number and code open (a POST: the code stays out of
    addresses and logs, and the throttle's write is a write request's)."""
    values, errors = load_or_errors(CaseQueryInput(), request.form)
    values = values or {"no": "", "code": ""}
    case_no, code = values["no"].strip(), values["code"].strip()
    progress, message, status = None, None, 200
    if errors or not case_no or not code:
        message, status = "请填写办件编号和查询码（或申请人身份证号后6位）", 422
    else:
        progress, message, status = _look_up(case_no, code)
    return render_template(
        "portal/query.html",
        case_no=case_no,
        progress=progress,
        message=message,
        own_home=_own_home(),
    ), status


def _look_up(case_no: str, code: str):
    found, message, status = _throttled_look_up(
        limiter.CASE_QUERY_PER_ADDRESS,
        limiter.CASE_QUERY_FAILED_PER_CASE,
        case_no,
        lambda session: public_query.find_case(session, case_no, code),
        "未找到该办件，或查询码不正确",
    )
    return (public_query.public_progress(found) if found else None), message, status


def _throttled_look_up(per_address, failed_per_number, number: str, find, not_found: str):
    """A public look-up by a number and its code (办件查询, 证照核验): every try counts per
    client address, wrong codes count per number; either limit reached refuses before the
    code is compared, so guessing on gains nothing. (found, message, status)."""
    session = db_session()
    address = request.remote_addr or "unknown"
    for limit, subject in ((per_address, address), (failed_per_number, number)):
        if limiter.is_blocked(session, limit, subject):
            return None, limit.message, 429
    limiter.record_hit(session, per_address, address)
    found = find(session)
    if found is None:
        limiter.record_hit(session, failed_per_number, number)
    session.commit()
    if found is None:
        return None, not_found, 404
    return found, None, 200


@bp.get("/licences/verify")
def licence_check():
    """证照核验's form; the QR code printed on a licence brings the number along."""
    values, _ = load_or_errors(LicenceCheckInput(), request.args)
    number = ((values or {}).get("no") or "").strip()
    return render_template(
        "portal/licence_check.html", number=number, found=None, message=None,
        own_home=_own_home(),
    )  # fmt: skip


@bp.post("/licences/verify")
def licence_check_result():
    """Whether the number and check code name a licence issued here, and its status; the
    holder only as a masked name. An unknown number and a wrong code get the same answer."""
    values, errors = load_or_errors(LicenceCheckInput(), request.form)
    values = values or {"no": "", "code": ""}
    number, code = values["no"].strip(), values["code"].strip()
    found, message, status = None, None, 200
    if errors or not number or not code:
        message, status = "请填写证照编号和核验码", 422
    else:
        found, message, status = _check(number, code)
    return render_template(
        "portal/licence_check.html", number=number, found=found, message=message,
        own_home=_own_home(),
    ), status  # fmt: skip


def _check(number: str, code: str):
    found, message, status = _throttled_look_up(
        limiter.LICENCE_CHECK_PER_ADDRESS,
        limiter.LICENCE_CHECK_FAILED_PER_NUMBER,
        number,
        lambda session: wallet.verify(session, number, code),
        "未核验到该证照：证照编号或核验码不正确",
    )
    return (wallet.public_view(found) if found else None), message, status
