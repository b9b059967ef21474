"""Paying by card end to end: the real Rasa server, action server and web app, with Stripe played by the fake
Stripe on loopback (the action server's stripe-python talks to it over HTTP) and its webhooks signed as Stripe
signs them."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select

from checkout.db.models import OutboxMessage
from checkout.notifications import SELLER_CHANNEL
from tests.e2e.conversation import Shopper
from tests.fake_stripe import WEBHOOK_SECRET, sign, stripe_event

pytestmark = pytest.mark.e2e


def post_event(stack, event: dict, secret: str = WEBHOOK_SECRET) -> httpx.Response:
    body = json.dumps(event).encode()
    return httpx.post(
        f"{stack.settings.web_url}/webhooks/stripe",
        content=body,
        timeout=60,
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(body, secret)},
    )


def titles(shopper: Shopper) -> list[str]:
    return [b["title"] for b in shopper.buttons]


def test_choosing_card_pays_through_stripe(card_stack, fake_stripe):
    shopper = Shopper(card_stack, "card")
    earlier = len(fake_stripe.creates)  # the fake is the module's: counted from here, whatever ran before
    assert "Added 2 × Heavyweight Hoodie (black, M)" in shopper.say("add 2 black hoodies in M")
    shopper.check_out()
    placed = shopper.press("Yes, place order")
    [order] = shopper.orders()
    assert f"Order {order.number} is placed" in placed and "How would you like to pay?" in placed
    assert titles(shopper) == ["Pay by card", "Bank transfer or cash on delivery"]
    choice = list(shopper.buttons)

    assert "Stripe's secure page" in shopper.press("Pay by card")
    (pay_now,) = shopper.buttons
    (create,) = fake_stripe.creates[earlier:]
    session_id = pay_now["url"].rsplit("/", 1)[1]
    assert pay_now["title"] == "Pay now" and fake_stripe.sessions[session_id]["url"] == pay_now["url"]
    assert fake_stripe.sessions[session_id]["amount_total"] == order.total_minor == 11800
    assert create.form["client_reference_id"] == order.number
    assert create.idempotency_key == f"checkout-{order.number}-stripe-1"
    assert create.form["success_url"].startswith(f"{card_stack.settings.web_url}/payments/stripe/success")

    shopper.last = [{"buttons": choice}]
    shopper.press("Pay by card")  # the same button again: the same link, no second session
    assert shopper.buttons == [pay_now] and len(fake_stripe.creates) == earlier + 1

    page = httpx.get(
        f"{card_stack.settings.web_url}/payments/stripe/success", params={"session_id": session_id}, timeout=60
    )
    assert page.status_code == 200 and "confirming the payment for order" in page.text and order.number in page.text

    forged = post_event(
        card_stack, stripe_event("checkout.session.completed", fake_stripe.complete(session_id)), secret="whsec_guess"
    )
    assert forged.status_code == 400 and shopper.orders()[0].status == "awaiting_payment"
    event = stripe_event("checkout.session.completed", fake_stripe.sessions[session_id])
    for _ in range(2):
        assert post_event(card_stack, event).status_code == 200
    assert shopper.orders()[0].status == "paid"
    with card_stack.db.reading() as session:
        notices = list(
            session.scalars(
                select(OutboxMessage).where(OutboxMessage.order_id == order.id, OutboxMessage.channel != SELLER_CHANNEL)
            )
        )
    assert [(n.kind, n.recipient) for n in notices] == [("order_paid", shopper.sender)]

    page = httpx.get(
        f"{card_stack.settings.web_url}/payments/stripe/success", params={"session_id": session_id}, timeout=60
    )
    assert "Payment received" in page.text
    assert "paid" in shopper.say(f"status of {order.number}")


def test_stripe_down_then_bank_transfer(card_stack, fake_stripe):
    shopper = Shopper(card_stack, "down")
    shopper.say("add 1 black dad cap")
    shopper.check_out()
    shopper.press("Yes, place order")
    [order] = shopper.orders()
    fake_stripe.fail_next(500, 500, 500)  # the first try and both retries
    reply = shopper.press("Pay by card")
    assert "could not be started" in reply and order.number in reply
    assert titles(shopper) == ["Pay by card", "Bank transfer or cash on delivery"]
    assert shopper.orders()[0].status == "awaiting_payment"
    assert "IBAN" in shopper.press("Bank transfer or cash on delivery")
    page = httpx.get(
        f"{card_stack.settings.web_url}/payments/stripe/cancel", params={"order": order.number}, timeout=60
    )
    assert "Payment not completed" in page.text and order.number in page.text
    assert card_stack.healthy()
