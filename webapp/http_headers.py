"""Headers every response carries, and how XML documents are handed out.

Pages: a Content-Security-Policy that allows scripts from our own bundles only (no inline
script anywhere: behaviours are wired by data attributes in `assets/page.js`), no framing,
no MIME sniffing, and referrers only within the site. Styles may be inline: bpmn-js and
dmn-js style their canvases that way, and a style cannot run code.

XML documents (diagrams, decision tables) are data for our viewers, which fetch them.
Opened directly they must never run: an analyst can put XHTML with a <script> into a
diagram. They go out as attachments under a sandboxing CSP, whatever their content.
"""

from __future__ import annotations

from flask import Flask, Response

PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
DOCUMENT_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"


def xml_document(xml: str, filename: str) -> Response:
    """An XML document for a viewer to fetch; a browser that opens it runs nothing."""
    response = Response(xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Content-Security-Policy"] = DOCUMENT_POLICY
    response.headers["Cache-Control"] = "private, no-store"
    return response


def yaml_document(text: str, filename: str) -> Response:
    """A YAML file to save (an exported catalog record); handed out like XML documents."""
    response = Response(text, mimetype="application/yaml")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Content-Security-Policy"] = DOCUMENT_POLICY
    response.headers["Cache-Control"] = "private, no-store"
    return response


def register(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        # A view that set its own (stricter) policy keeps it: files, XML documents.
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
