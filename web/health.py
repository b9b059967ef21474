"""Liveness for `shop run` and load balancers: answers only when the database answers."""

from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import text

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    with current_app.extensions["database"].transaction() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok"}
