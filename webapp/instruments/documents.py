"""Making an instrument's document: the HTML as issued (from its Jinja template, styles and
QR code inline) and the A4 PDF made from that HTML by WeasyPrint.

The PDF is made from the stored HTML each time it is asked for, never from the case or the
templates: the same frozen text gives the same pages (fonts from the Debian packages named
in the README: fonts-wqy-microhei; WeasyPrint needs Pango).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import segno
from flask import current_app

from webapp.clock import CHINA_TZ

from .kinds import InstrumentKind


def public_query_url(case_no: str) -> str:
    """The public 办件查询 for a case, as printed and encoded in the QR code. The base is a
    setting, never the request's Host header: what is printed must point at the office."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return f"{base}/query?no={case_no}"


@functools.lru_cache(maxsize=512)
def qr_svg(url: str, title: str = "扫码查询办件进度") -> str:
    """The QR code of `url` as inline SVG (crisp in the HTML view and in the PDF).

    Cached: every instrument of a case encodes the same 办件查询 address, and encoding
    one takes ~10 ms (the costliest part of issuing)."""
    # omitsize: a viewBox instead of a fixed size, so the page's CSS sizes it (28 mm).
    return segno.make(url, error="m").svg_inline(border=4, omitsize=True, title=title)


def chinese_date(at: dt.datetime | dt.date) -> str:
    if isinstance(at, dt.datetime):
        at = at.astimezone(CHINA_TZ).date()
    return f"{at.year}年{at.month}月{at.day}日"


def render_html(
    kind: InstrumentKind,
    *,
    number: str,
    title: str,
    case_no: str,
    theme_name: str,
    office: str,
    issued_at: dt.datetime,
    facts: dict[str, Any],
    public_url: str | None = None,
) -> str:
    """The whole document, self-contained: nothing it shows is looked up later. Its QR
    code leads to the public 办件查询 of the case, or to `public_url` (a licence's: the
    public 证照核验)."""
    query_url = public_url or public_query_url(case_no)
    template = current_app.jinja_env.get_template(kind.template)
    return template.render(
        kind_code=kind.code,
        number=number,
        title=title,
        case_no=case_no,
        theme_name=theme_name,
        office=office,
        issued_on=chinese_date(issued_at),
        issued_time=issued_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
        facts=facts,
        query_url=query_url,
        qr_svg=qr_svg(query_url, "扫码核验" if public_url else "扫码查询办件进度"),
        chinese_date=_chinese_iso_date,
    )


def _chinese_iso_date(iso: str | None) -> str:
    """An ISO date or instant kept in the facts, as printed (Beijing date)."""
    if not iso:
        return ""
    if len(iso) == 10:
        return chinese_date(dt.date.fromisoformat(iso))
    return chinese_date(dt.datetime.fromisoformat(iso))


def render_pdf(html: str) -> bytes:
    """A4 pages of the stored HTML."""
    # Imported here: WeasyPrint loads Pango when imported, and only downloads need it.
    from weasyprint import HTML

    return HTML(string=html).write_pdf()
