"""The buttons that start a payment: pressed in the chat, they tell the assistant which method and which order.

A button carries the order number, so one pressed again later (after a failed attempt, from an older message)
still pays the right order; the action checks that the order is the shopper's and still awaits payment."""

from __future__ import annotations

import functools

import yaml

from checkout.button_payloads import rasa_payload
from checkout.settings import PROJECT_ROOT

CHOOSE_INTENT = "choose_payment_method"
TITLE_PREFIX = "phrase_pay_with_"


@functools.cache
def payment_titles() -> dict[str, str]:
    """Each method's button title as domain.yml words it (responses phrase_pay_with_<method>): the same words in
    the chat and in messages sent outside a turn (the outbox)."""
    responses = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    return {
        name.removeprefix(TITLE_PREFIX): variants[0]["text"]
        for name, variants in responses.items()
        if name.startswith(TITLE_PREFIX)
    }


def choose_payload(method: str, order_number: str) -> str:
    return rasa_payload(CHOOSE_INTENT, payment_method=method, order_number=order_number)


def payment_buttons(methods: list[str], order_number: str) -> list[dict]:
    titles = payment_titles()
    return [{"title": titles.get(m, m), "payload": choose_payload(m, order_number)} for m in methods]
