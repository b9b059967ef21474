"""The buttons that start a payment: pressed in the chat, they tell the assistant which method and which order.

A button carries the order number, so one pressed again later (after a failed attempt, from an older message)
still pays the right order; the action checks that the order is the shopper's and still awaits payment."""
from __future__ import annotations

import json

CHOOSE_INTENT = "choose_payment_method"
# Titles for buttons sent outside a conversation turn (the outbox); in the chat they come from domain.yml.
OUTBOX_TITLES = {"manual": "Bank transfer or cash on delivery", "stripe": "Pay by card", "telegram": "Pay in Telegram"}


def choose_payload(method: str, order_number: str) -> str:
    """Rasa parses this as the choose_payment_method intent with these entities, whatever the NLU model says."""
    return f"/{CHOOSE_INTENT}" + json.dumps({"payment_method": method, "order_number": order_number})


def payment_buttons(methods: list[str], order_number: str, titles: dict[str, str] | None = None) -> list[dict]:
    titles = titles or OUTBOX_TITLES
    return [{"title": titles.get(m, m), "payload": choose_payload(m, order_number)} for m in methods]
