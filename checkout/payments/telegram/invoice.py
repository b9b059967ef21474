"""What a Telegram invoice for an order says: sendInvoice's fields, built from the order's snapshot.

The amounts are the order lines' snapshot prices in minor units (Telegram counts in the currency's smallest
unit, as we do); nothing typed in the chat reaches them. The payload is a random attempt key: it tells our
gateway which payment attempt a pre-checkout query or a payment is about, and tells anyone else nothing
(no order number, name or chat id)."""

from __future__ import annotations

import secrets
from typing import TypedDict

from checkout.db.models import Order
from checkout.orders.labels import item_label

# sendInvoice's limits (Bot API): title 1-32 characters, description 1-255, payload 1-128 bytes.
MAX_TITLE, MAX_DESCRIPTION, MAX_PAYLOAD_BYTES = 32, 255, 128
# Telegram sets no documented limit on a price's label; a long product name is cut here so a label stays readable.
MAX_PRICE_LABEL = 100
KEY_PREFIX = "tgi1-"  # marks our attempt keys (a payment for another bot's invoice is told apart at once)


class LabeledPrice(TypedDict):
    """The Bot API's LabeledPrice: one line of the invoice."""

    label: str
    amount: int


def new_attempt_key() -> str:
    """192 random bits, URL-safe: unguessable, so nobody can aim a payment at an attempt they were not sent."""
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    assert len(key.encode()) <= MAX_PAYLOAD_BYTES
    return key


def invoice_request(order: Order, attempt_key: str) -> dict:
    """sendInvoice's fields for the order, except the provider token (a secret the gateway adds when sending:
    it is never stored in the database)."""
    if len(attempt_key.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError("an invoice payload is at most 128 bytes")
    prices: list[LabeledPrice] = [
        {"label": _cut(f"{item.quantity} × {item_label(item)}", MAX_PRICE_LABEL), "amount": item.line_total_minor}
        for item in order.items
    ]
    # Telegram's LabeledPrice may be negative: the discount is a line of its own, so the prices add up to the total.
    if order.discount_minor:
        prices.append(
            {"label": _cut(f"Discount {order.discount_code}", MAX_PRICE_LABEL), "amount": -order.discount_minor}
        )
    if order.delivery_minor:
        prices.append({"label": "Delivery", "amount": order.delivery_minor})
    if not prices or sum(p["amount"] for p in prices) != order.total_minor:
        raise ValueError(f"order {order.number}: its lines do not add up to its total")
    return {
        "title": _cut(f"Order {order.number}", MAX_TITLE),
        "description": _cut(", ".join(p["label"] for p in prices if p["amount"] > 0), MAX_DESCRIPTION),
        "payload": attempt_key,
        "currency": order.currency,
        "prices": prices,
        # A forwarded copy gets a link to the bot instead of a Pay button: only the shopper pays their order.
        "start_parameter": "shop",
    }


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
