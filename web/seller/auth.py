"""Logging in and out of the dashboard."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for

from checkout.access.login import LoginThrottled, log_in
from checkout.db.models import utcnow
from web.seller import SESSION_KEY, bp, database

REFUSED = "That email and password do not match a seller account."


def safe_next(target: str | None) -> str:
    """Only our own dashboard pages: a crafted ?next= must not send a seller to another site."""
    target = (target or "").rstrip("?")
    if target.startswith("/seller") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("seller.orders")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if g.seller is not None:
            return redirect(url_for("seller.orders"))
        return render_template("seller/login.html", next=request.args.get("next", ""))
    email = request.form.get("email", "")
    try:
        seller = log_in(database(), email, request.form.get("password", ""), request.remote_addr or "")
    except LoginThrottled as exc:
        minutes = max(1, round(exc.retry_after.total_seconds() / 60))
        message = f"Too many failed logins. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        return render_template("seller/login.html", error=message, email=email, next=request.form.get("next", "")), 429
    if seller is None:
        return render_template("seller/login.html", error=REFUSED, email=email, next=request.form.get("next", "")), 401
    session[SESSION_KEY] = {"id": seller.seller_id, "fp": seller.fingerprint, "at": utcnow().timestamp()}
    return redirect(safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    session.pop(SESSION_KEY, None)
    flash("You are logged out.")
    return redirect(url_for("seller.login"))
