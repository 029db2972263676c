"""Reading JSON request bodies: one parser for Flask's `get_json` and flask-smorest's inputs.

Python's json module recurses once per nesting level, so a small body of a thousand `[`
ends in RecursionError — a 500 wherever it was parsed. Here it is an invalid body (400).
"""

from __future__ import annotations

import typing

from flask import current_app
from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser


class JsonProvider(DefaultJSONProvider):
    """The app's JSON: Flask's, with a body nested too deeply refused as invalid JSON."""

    def loads(self, s: str | bytes, **kwargs: typing.Any) -> typing.Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON 嵌套层级过深") from None


class ArgumentsParser(FlaskParser):
    """flask-smorest's argument parser, reading JSON bodies with the app's provider."""

    def _raw_load_json(self, req) -> typing.Any:
        data = req.get_data(cache=True)
        if not core.is_json(req.mimetype) or not data:
            return core.missing  # as webargs: then a required field is reported missing
        try:
            return current_app.json.loads(data)
        except ValueError as exc:  # invalid JSON, not UTF-8, or nested too deeply: a 400
            return self._handle_invalid_json_error(exc, req)
