"""Paying by Telegram invoice end to end: a shopper in Telegram (our fake Bot API server), the real gateway,
Rasa server and action server. The action server queues the invoice; the gateway sends it with sendInvoice,
answers Telegram's pre-checkout query and records the payment."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from checkout.db.models import Order, Payment
from tests.e2e.conftest import TELEGRAM_PROVIDER_TOKEN, WAIT_SECONDS
from tests.telegram_chat import TelegramChat, text_of

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def telegram(telegram_shop):
    return telegram_shop


def test_a_purchase_paid_by_telegram_invoice(telegram):
    chat = TelegramChat(telegram.fake, 880_001)
    assert "Added 1 × Dad Cap (black)" in chat.say("add 1 black dad cap"), chat.text
    assert "full name" in chat.say("checkout"), chat.text
    assert "phone" in chat.say("Marie Dupont"), chat.text
    assert "address" in chat.say("+33 6 12 34 56 78"), chat.text
    assert "email" in chat.say("12 rue de la République, 69002 Lyon"), chat.text
    assert "Shall I place the order?" in chat.press("Skip"), chat.text
    placed = chat.press("Yes, place order")
    with telegram.stack.db.reading() as session:
        [order] = session.scalars(select(Order).where(Order.sender_id == str(chat.chat_id))).all()
    assert f"Order {order.number} is placed" in placed and "How would you like to pay?" in placed, placed
    assert [b["text"] for b in chat.buttons] == ["Pay in Telegram", "Bank transfer or cash on delivery"]
    choice = list(chat.last)

    reply = chat.press("Pay in Telegram")
    assert f"invoice for order {order.number} (€22.00)" in reply, reply
    [invoice] = telegram.fake.wait_for(
        lambda: telegram.fake.calls_to("sendInvoice", chat.chat_id), WAIT_SECONDS, "the invoice"
    )
    assert invoice.params["prices"] == [{"label": "1 × Dad Cap (black)", "amount": 2200}]
    assert (invoice.params["currency"], invoice.params["provider_token"]) == ("EUR", TELEGRAM_PROVIDER_TOKEN)
    chat.last = choice
    chat.press("Pay in Telegram")  # the same button again: no second invoice
    assert len(telegram.fake.calls_to("sendInvoice", chat.chat_id)) == 1

    answer = chat.pre_checkout(invoice.params)
    assert answer["ok"] is True and answer["after"] < 5
    telegram.fake.push(chat.successful_payment_update(invoice.params, charge_id="tg-charge-e2e"))
    telegram.fake.wait_for(
        lambda: any(f"Payment received for order {order.number}" in text_of(c) for c in chat.delivered()),
        WAIT_SECONDS,
        "the paid notice",
    )
    with telegram.stack.db.reading() as session:
        paid = session.get(Order, order.id)
        [payment] = session.scalars(select(Payment).where(Payment.order_id == order.id)).all()
    assert paid.status == "paid"
    assert (payment.method, payment.status, payment.reference) == ("telegram", "paid", "tg-charge-e2e")
    assert payment.provider_data["provider_payment_charge_id"] == "ch_e2e"
    assert "paid" in chat.say(f"status of {order.number}"), chat.text
