"""The working calendar the administrators keep: holidays and 调休 workdays per year."""

from __future__ import annotations

from flask import Flask, request

# Probes answer from the database alone (a not-yet-migrated one included); static files
# need no calendar.
_NO_CALENDAR = "health."


def register(app: Flask) -> None:
    """Before requests, install the administrators' calendar if it changed (asked at most
    every few seconds: `arrangement.RECHECK_SECONDS`)."""

    @app.before_request
    def _refresh_calendar() -> None:
        endpoint = request.endpoint or ""
        if endpoint == "static" or endpoint.startswith(_NO_CALENDAR):
            return
        from webapp.db import db_session

        from .arrangement import refresh

        refresh(db_session())
