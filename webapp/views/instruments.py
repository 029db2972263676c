"""An issued instrument (文书): its HTML view and its A4 PDF, for those who may see the case."""

from __future__ import annotations

from flask import Blueprint, Response
from flask_login import current_user

from webapp import access_policy
from webapp.access_policy import Function
from webapp.db import db_session
from webapp.domain_errors import NotFound
from webapp.instruments import issuing
from webapp.instruments.documents import render_pdf
from webapp.instruments.models import Instrument

from .guards import requires

bp = Blueprint("instruments", __name__, url_prefix="/instruments")

# The stored document is shown as it was issued: its own inline styles and SVG, nothing
# else may load or run.
INSTRUMENT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
)


def _load(number: str) -> Instrument:
    instrument = issuing.find(db_session(), number)
    # Someone who may not see the case learns nothing, not even that the number exists.
    if instrument is None or not access_policy.can_see_instruments(current_user, instrument.case):
        raise NotFound("文书不存在")
    return instrument


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<number>")
@requires(Function.ANY_ACCOUNT)
def show(number: str):
    instrument = _load(number)
    response = Response(instrument.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = INSTRUMENT_POLICY
    return _private(response)


@bp.get("/<number>/pdf")
@requires(Function.ANY_ACCOUNT)
def pdf(number: str):
    instrument = _load(number)
    response = Response(render_pdf(instrument.html), mimetype="application/pdf")
    filename = f"{instrument.number}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _private(response)
