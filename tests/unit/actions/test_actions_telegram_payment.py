"""Paying by Telegram invoice from the action server: offered only in Telegram and with a provider token; the
button opens one attempt and queues its invoice for the gateway (the action server never talks to Telegram)."""

from __future__ import annotations

from sqlalchemy import select

from actions.order_actions import ActionOrderStatus
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.models import OutboxMessage, Payment
from checkout.orders.placement import DeliveryDetails, place_order
from checkout.payments.telegram.provider import INVOICE_KIND
from tests.unit.actions.action_harness import choose, press, render, responses, run, tracker, use_settings

TOKEN = "284685063:TEST:abc"
SENDER = "555001"  # a Telegram chat id, as the gateway sends it


def placed_in_telegram(shop) -> str:
    shop.fill_cart(SENDER, [("CAP-DAD-BLK", 1)], channel="telegram")
    with shop.db.transaction() as session:
        customer = identify(session, ShopperIdentity("telegram", SENDER, SENDER))
        details = DeliveryDetails("Marie Dupont", "+33612345678", "12 rue de la République, Lyon", None)
        return place_order(session, customer, None, details, "EUR").number


def status(number: str, channel: str):
    messages, _ = run(
        ActionOrderStatus(),
        tracker(SENDER, f"status of {number}", "order_status", {"order_number": number}, channel=channel),
    )
    return messages[0]


def test_in_telegram_the_invoice_is_offered_first_and_queued_once(shop, monkeypatch):
    use_settings(shop, monkeypatch, shop_payment_methods="telegram,manual", telegram_payment_provider_token=TOKEN)
    number = placed_in_telegram(shop)
    buttons = status(number, "telegram")["buttons"]
    assert buttons == [
        {"title": "Pay in Telegram", "payload": choose("telegram", number)},
        {"title": "Bank transfer or cash on delivery", "payload": choose("manual", number)},
    ]
    for _ in range(2):  # pressed twice: the same answer, one attempt, one invoice
        messages, _ = press(buttons[0], sender=SENDER, channel="telegram")
        assert responses(messages) == ["utter_payment_step"] and messages[0]["buttons"] == []
        assert render(messages[0]) == (
            f'I\'ve sent you an invoice for order {number} (€22.00). Tap "Pay" on it to pay right here in Telegram.'
        )
    with shop.db.reading() as session:
        [payment] = session.scalars(select(Payment)).all()
        [row] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == INVOICE_KIND)).all()
    assert (payment.method, payment.status, payment.amount_minor) == ("telegram", "pending", 2200)
    assert row.recipient == SENDER and row.dedupe_key == f"telegram-invoice:{payment.id}"


def test_without_a_provider_token_there_is_no_invoice(shop, monkeypatch):
    use_settings(shop, monkeypatch, shop_payment_methods="telegram,manual", telegram_payment_provider_token="")
    number = placed_in_telegram(shop)
    assert [b["title"] for b in status(number, "telegram")["buttons"]] == ["Bank transfer or cash on delivery"]
    messages, _ = press({"payload": choose("telegram", number)}, sender=SENDER, channel="telegram")
    # A button from before the token was removed: asked again, with what is offered now.
    assert "How would you like to pay?" in render(messages[0])
    assert [b["title"] for b in messages[0]["buttons"]] == ["Bank transfer or cash on delivery"]
    assert shop.count(Payment, Payment.method == "telegram") == 0


def test_outside_telegram_there_is_no_invoice(shop, monkeypatch):
    use_settings(shop, monkeypatch, shop_payment_methods="telegram,manual", telegram_payment_provider_token=TOKEN)
    number = placed_in_telegram(shop)
    # The same buttons pressed in the web chat (another channel, so another customer) find no order there.
    messages, _ = press({"payload": choose("telegram", number)}, sender=SENDER, channel="rest")
    assert responses(messages) == ["utter_order_not_found"]
    assert shop.count(Payment) == 0 and shop.count(OutboxMessage, OutboxMessage.kind == INVOICE_KIND) == 0
