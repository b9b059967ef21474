"""What a Telegram invoice says: the order's lines in minor units, sendInvoice's length limits, and a payload
that is an opaque key of at most 128 bytes with nothing personal in it."""

from __future__ import annotations

import pytest

from checkout.db.models import Order, OrderItem
from checkout.payments.registry import offered_methods
from checkout.payments.telegram.invoice import (
    MAX_DESCRIPTION,
    MAX_PAYLOAD_BYTES,
    MAX_TITLE,
    invoice_request,
    new_attempt_key,
)
from checkout.settings import Settings


def order(lines: list[tuple[str, str | None, str | None, int, int]], currency: str = "EUR", **fields) -> Order:
    items = [
        OrderItem(sku=f"SKU-{i}", name=name, color=color, size=size, quantity=quantity, unit_price_minor=unit)
        for i, (name, color, size, quantity, unit) in enumerate(lines)
    ]
    defaults = dict(
        number="A7K2Q9",
        currency=currency,
        customer_name="Marie Dupont",
        customer_phone="+33612345678",
        customer_email="marie@example.com",
        customer_address="12 rue de la République, Lyon",
        sender_id="900123",
        total_minor=sum(i.quantity * i.unit_price_minor for i in items),
    )
    return Order(items=items, **{**defaults, **fields})


def test_the_lines_become_labeled_prices_in_minor_units():
    invoice = invoice_request(
        order(
            [
                ("Heavyweight Hoodie", "black", "M", 2, 5900),
                ("Dad Cap", "black", None, 1, 2200),
                ("Sticker Pack", None, None, 3, 490),
            ]
        ),
        new_attempt_key(),
    )
    assert invoice["prices"] == [
        {"label": "2 × Heavyweight Hoodie (black, M)", "amount": 11800},
        {"label": "1 × Dad Cap (black)", "amount": 2200},
        {"label": "3 × Sticker Pack", "amount": 1470},
    ]
    assert sum(p["amount"] for p in invoice["prices"]) == 15470
    assert invoice["currency"] == "EUR" and invoice["title"] == "Order A7K2Q9"
    assert invoice["description"] == "2 × Heavyweight Hoodie (black, M), 1 × Dad Cap (black), 3 × Sticker Pack"
    assert "provider_token" not in invoice  # a secret: added by the gateway when it sends, never stored


def test_a_zero_decimal_currency_is_counted_in_whole_units():
    invoice = invoice_request(order([("Tenugui", None, None, 2, 1500)], currency="JPY"), new_attempt_key())
    assert invoice["currency"] == "JPY" and invoice["prices"] == [{"label": "2 × Tenugui", "amount": 3000}]


def test_long_names_and_many_lines_stay_within_telegrams_limits():
    lines = [("Limited Edition Oversized Heavyweight Hoodie With A Very Long Name", "washed black", "XXL", 1, 100)] * 9
    invoice = invoice_request(order(lines, number="Z9Z9Z9Z9Z9Z9"), new_attempt_key())
    assert len(invoice["description"]) <= MAX_DESCRIPTION and invoice["description"].endswith("…")
    assert len(invoice["title"]) <= MAX_TITLE
    assert all(len(p["label"]) <= 100 for p in invoice["prices"])
    assert sum(p["amount"] for p in invoice["prices"]) == 900


def test_the_payload_is_a_random_key_of_at_most_128_bytes_with_nothing_personal():
    placed = order([("Dad Cap", "black", None, 1, 2200)])
    keys = {new_attempt_key() for _ in range(1000)}
    assert len(keys) == 1000  # random, so unguessable and never shared by two attempts
    key = next(iter(keys))
    payload = invoice_request(placed, key)["payload"]
    assert payload == key and len(payload.encode()) <= MAX_PAYLOAD_BYTES
    for personal in ("A7K2Q9", "Marie", "Dupont", "+33612345678", "marie@example.com", "République", "900123"):
        assert personal.lower() not in payload.lower()


def test_a_payload_over_128_bytes_or_lines_that_do_not_add_up_are_refused():
    placed = order([("Dad Cap", "black", None, 1, 2200)])
    with pytest.raises(ValueError):
        invoice_request(placed, "x" * (MAX_PAYLOAD_BYTES + 1))
    placed.total_minor = 2000  # a total that is not the sum of its lines would be charged wrongly
    with pytest.raises(ValueError):
        invoice_request(placed, new_attempt_key())


@pytest.mark.parametrize(
    "token, channel, offered",
    [
        ("123:TEST:abc", "telegram", ["telegram", "manual"]),
        ("123:TEST:abc", "rest", ["manual"]),  # an invoice can only be paid in Telegram
        ("", "telegram", ["manual"]),  # no provider token: no invoices
    ],
)
def test_telegram_invoices_are_offered_only_with_a_token_and_in_telegram(token, channel, offered):
    settings = Settings(shop_payment_methods="telegram,manual", telegram_payment_provider_token=token)
    assert offered_methods(settings, channel) == offered
