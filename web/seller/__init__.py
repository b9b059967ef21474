"""The seller dashboard under /seller: one blueprint; every page but the login needs a logged-in seller."""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, request, session, url_for

from checkout.access.login import current_seller
from checkout.db.models import utcnow

bp = Blueprint("seller", __name__, url_prefix="/seller")

SESSION_KEY = "seller"
# A dashboard login lasts a working day, whatever the chat part of the cookie does.
SESSION_HOURS = 12
PUBLIC_ENDPOINTS = {"seller.login"}


@bp.before_request
def require_seller():
    g.seller = None
    data = session.get(SESSION_KEY)
    if data:
        age = utcnow().timestamp() - data.get("at", 0)
        with database().reading() as db_session:
            seller = current_seller(db_session, data.get("id"), data.get("fp", ""))
        if seller is not None and age < SESSION_HOURS * 3600:
            g.seller = seller
        else:
            session.pop(SESSION_KEY, None)
    if g.seller is None and request.endpoint not in PUBLIC_ENDPOINTS:
        return redirect(url_for("seller.login", next=request.full_path if request.method == "GET" else None))
    return None


@bp.get("")
@bp.get("/")
def home():
    return redirect(url_for("seller.orders"))


def actor() -> str:
    return f"seller:{g.seller.email}"


def database():
    return current_app.extensions["database"]


def settings():
    return current_app.config["SETTINGS"]


from web.seller import (  # noqa: E402,F401  (routes register on bp)
    auth,
    campaigns,
    catalog,
    customers,
    formatting,
    inbox,
    insights,
    orders,
    promotions,
    training,
    training_models,
)
