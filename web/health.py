"""Liveness for `shop run` and load balancers: answers only when the database answers."""

from __future__ import annotations

from flask import Blueprint, current_app

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    current_app.extensions["database"].ping()
    return {"status": "ok"}
