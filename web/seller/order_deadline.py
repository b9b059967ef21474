"""The seller gives a shopper more time to pay one order (its page's "Extend the deadline")."""

from __future__ import annotations

import math

from flask import abort, flash, redirect, request, url_for

from checkout.errors import CheckoutError
from checkout.orders.deadlines import extend_payment_deadline
from checkout.orders.seller_actions import OrderNotFound
from web.seller import actor, bp, database


@bp.post("/orders/<number>/deadline")
def extend_order_deadline(number: str):
    try:
        hours = float((request.form.get("hours") or "").strip().replace(",", "."))
    except ValueError:
        hours = math.nan  # refused by the service with the range it takes
    try:
        due = extend_payment_deadline(database(), number, actor(), hours)
    except OrderNotFound:
        abort(404)
    except CheckoutError as exc:  # out of range, or paid, cancelled or expired a moment ago
        flash(f"Nothing changed: {exc}.", "error")
    else:
        flash(
            f"Order {number.upper()} can now be paid until {due:%d %b %Y %H:%M} UTC; the shopper is reminded half-way."
        )
    return redirect(url_for("seller.order_detail", number=number.upper()))
