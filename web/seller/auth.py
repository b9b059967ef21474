"""Logging in and out of the dashboard."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, g, redirect, render_template, request, session, url_for

from checkout.access.login import LoginThrottled, log_in, log_out
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
        message = f"Too many failed logins. Try again in {_duration(exc.retry_after)}."
        return render_template("seller/login.html", error=message, email=email, next=request.form.get("next", "")), 429
    if seller is None:
        return render_template("seller/login.html", error=REFUSED, email=email, next=request.form.get("next", "")), 401
    session[SESSION_KEY] = seller.token
    return redirect(safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    token = session.pop(SESSION_KEY, None)
    if isinstance(token, str):
        log_out(database(), token)
    flash("You are logged out.")
    return redirect(url_for("seller.login"))


def _duration(wait: timedelta) -> str:
    seconds = max(1, round(wait.total_seconds()))
    if seconds < 90:
        return f"{seconds} second{'s' if seconds > 1 else ''}"
    minutes = round(seconds / 60)
    return f"{minutes} minutes"
