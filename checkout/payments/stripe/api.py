"""Talking to Stripe: the client with bounded timeout and retries, and the Checkout Session an order asks for."""

from __future__ import annotations

from datetime import datetime, timedelta

import stripe

from checkout.db.models import Order
from checkout.orders.labels import item_label
from checkout.settings import Settings

# Stripe accepts a Checkout Session lifetime from 30 minutes to 24 hours after its creation.
MIN_LIFETIME_MINUTES, MAX_LIFETIME_MINUTES = 30, 24 * 60
# Stripe counts from its own creation time, a moment after ours: a link at the minimum gets this much more so
# Stripe does not refuse it as too short.
MINIMUM_CUSHION = timedelta(minutes=1)


def stripe_client(settings: Settings) -> stripe.StripeClient:
    """Each request gives up after STRIPE_TIMEOUT_SECONDS and is retried at most STRIPE_MAX_RETRIES times
    (stripe-python retries connection errors, 409 and 5xx, with the same idempotency key)."""
    return stripe.StripeClient(
        settings.stripe_secret_key,
        base_addresses={"api": settings.stripe_api_base.rstrip("/")} if settings.stripe_api_base else None,
        max_network_retries=settings.stripe_max_retries,
        http_client=stripe.RequestsClient(timeout=settings.stripe_timeout_seconds),
    )


def checkout_expiry(now: datetime, minutes: int) -> datetime:
    minutes = min(max(minutes, MIN_LIFETIME_MINUTES), MAX_LIFETIME_MINUTES)
    cushion = MINIMUM_CUSHION if minutes == MIN_LIFETIME_MINUTES else timedelta(0)
    return now.replace(microsecond=0) + timedelta(minutes=minutes) + cushion


def checkout_session_params(order: Order, settings: Settings, expires_at: datetime) -> dict:
    """Line items at the order's snapshot prices; the order number is the only reference Stripe gets (no
    name, phone or address); the email is only prefilled on the payment page."""
    line_items = stripe_line_items(order)
    if sum(i["quantity"] * i["price_data"]["unit_amount"] for i in line_items) != order.total_minor:
        raise ValueError(f"order {order.number}: its lines do not add up to its total")
    public = settings.public_url
    params = {
        "mode": "payment",
        "line_items": line_items,
        "client_reference_id": order.number,
        "metadata": {"order_number": order.number},
        "payment_intent_data": {"metadata": {"order_number": order.number}},
        "expires_at": int(expires_at.timestamp()),
        # Stripe fills in {CHECKOUT_SESSION_ID}; the page looks the payment up by it.
        "success_url": f"{public}/payments/stripe/success?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{public}/payments/stripe/cancel?order={order.number}",
    }
    if order.customer_email:
        params["customer_email"] = order.customer_email
    return params


def _line(order: Order, name: str, unit_amount: int, quantity: int = 1) -> dict:
    return {
        "quantity": quantity,
        "price_data": {"currency": order.currency.lower(), "unit_amount": unit_amount, "product_data": {"name": name}},
    }


def stripe_line_items(order: Order) -> list[dict]:
    """The order's lines at their snapshot prices, and delivery as a line. Stripe's line items cannot be negative
    and its own discounts need a coupon made in advance, so an order with a discount is one line for its total
    (naming the items and the code): Stripe then charges exactly the order total, which the webhook checks."""
    if not order.discount_minor:
        items = [_line(order, item_label(item), item.unit_price_minor, item.quantity) for item in order.items]
        if order.delivery_minor:
            items.append(_line(order, "Delivery", order.delivery_minor))
        return items
    summary = ", ".join(f"{item.quantity} × {item_label(item)}" for item in order.items)
    extras = f"discount {order.discount_code}" + (", delivery" if order.delivery_minor else "")
    return [_line(order, f"Order {order.number}: {summary} ({extras})"[:250], order.total_minor)]
