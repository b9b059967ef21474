"""The seller dashboard under /seller: one blueprint; every page but the login needs a logged-in seller."""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, request, session, url_for

from checkout.access.login import current_seller

bp = Blueprint("seller", __name__, url_prefix="/seller")

# The session cookie keeps the dashboard login's token under this key; the login itself (who, until when) lives on
# the server (checkout.access.login), so logging out or a new password ends it wherever the cookie was copied. A
# login from before holds a dict there (with a fingerprint of the password hash): it opens nothing and is dropped.
SESSION_KEY = "seller"
PUBLIC_ENDPOINTS = {"seller.login"}


@bp.before_request
def require_seller():
    g.seller = None
    token = session.get(SESSION_KEY)
    if token:
        with database().reading() as db_session:
            g.seller = current_seller(db_session, token if isinstance(token, str) else "")
        if g.seller is None:
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
    order_deadline,
    order_refund,
    orders,
    promotions,
    training,
    training_models,
)
