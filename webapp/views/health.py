from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from ..db import db_session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    db_session().execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
