"""The seller refunds a whole order from its page ("Refund"): Stripe gives the money back by itself; a Telegram
invoice's or a manual payment's the seller sends back and records with its reference."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for

from checkout.errors import CheckoutError
from checkout.orders.seller_actions import OrderNotFound
from checkout.payments.refunds import RefundState, RefundUnavailable, refund_order
from web.seller import actor, bp, database, settings

DONE = {
    RefundState.REFUNDED: "Order {} is refunded. The shopper is told in their chat.",
    RefundState.PENDING: (
        "The refund of order {} is asked at Stripe: the order becomes refunded when Stripe confirms it, and the "
        "shopper is told then."
    ),
    RefundState.ALREADY_REFUNDED: "Order {} was already refunded; nothing changed.",
}


@bp.post("/orders/<number>/refund")
def refund_order_page(number: str):
    try:
        done = refund_order(
            database(),
            settings(),
            number,
            actor(),
            restock=request.form.get("restock") == "1",
            reference=request.form.get("reference"),
        )
    except OrderNotFound:
        abort(404)
    except RefundUnavailable as exc:
        again = " Try again: the same request goes to Stripe, so it makes one refund." if exc.retry else ""
        flash(f"Not refunded: {exc}.{again}", "error")
    except CheckoutError as exc:  # took no payment, a reference is needed, or refunded a moment ago
        flash(f"Nothing changed: {exc}.", "error")
    else:
        flash(DONE[done.state].format(done.number))
    return redirect(url_for("seller.order_detail", number=number.strip().upper()))
