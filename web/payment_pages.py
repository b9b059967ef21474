"""Where Stripe's payment page sends the shopper back: what happened, and what happens next.

The success page looks the attempt up by the session id Stripe puts in its URL (unguessable) and shows only
the order number and whether the payment is confirmed yet; the webhook, not this page, marks orders paid."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from checkout.orders.numbers import normalize_order_number
from checkout.payments.attempts import order_of_attempt
from checkout.statuses import SPENDING_STATUSES

bp = Blueprint("payment_pages", __name__)


@bp.get("/payments/stripe/success")
def stripe_success():
    session_id = request.args.get("session_id", "")[:255]
    number = status = None
    if session_id:
        with current_app.extensions["database"].reading() as session:
            found = order_of_attempt(session, "stripe", session_id)
        if found:
            number, status = found
    return render_template(
        "payment_result.html",
        outcome="paid" if status in SPENDING_STATUSES else "confirming",
        number=number,
        shop_name=current_app.config["SETTINGS"].shop_name,
    )


@bp.get("/payments/stripe/cancel")
def stripe_cancel():
    number = normalize_order_number(request.args.get("order", ""))
    return render_template(
        "payment_result.html", outcome="cancelled", number=number, shop_name=current_app.config["SETTINGS"].shop_name
    )
