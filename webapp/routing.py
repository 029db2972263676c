"""URL converters for the whole app: what a path segment may hold, decided before any view.

Registered in place of Flask's own `int` and `string` converters, so every route gets them
without naming them. A segment they refuse is a 404 — raised, not a ValidationError: werkzeug
would go on to answer 405 when a rule of another method shares the path
(`GET` and `POST /clerk/tasks/<id>`).
"""

from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter

from forms.field_values import has_control_characters
from webapp.db import MAX_ROW_ID


class RowIdConverter(IntegerConverter):
    """`<int:…>`: a row id, 1 … MAX_ROW_ID; a larger number is not found, never an overflow
    in the database. The OpenAPI document states the bounds (flask-smorest reads them)."""

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=MAX_ROW_ID)

    def to_python(self, value: str) -> int:
        # The length first: int() of a thousand digits is slow, and past 4300 an error.
        if len(value) > len(str(MAX_ROW_ID)) or not 1 <= int(value) <= MAX_ROW_ID:
            raise NotFound()
        return int(value)


class TextSegmentConverter(UnicodeConverter):
    """`<name>`: a case number, a theme code …; control characters name nothing we keep
    (and PostgreSQL refuses NUL in a query), so such a segment is not found."""

    def to_python(self, value: str) -> str:
        if has_control_characters(value):
            raise NotFound()
        return value


def register(app: Flask) -> None:
    """Call before any blueprint: a rule takes its converters when it is added."""
    app.url_map.converters.update(
        int=RowIdConverter, default=TextSegmentConverter, string=TextSegmentConverter
    )
