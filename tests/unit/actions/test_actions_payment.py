"""Paying in chat: the method buttons after "yes", the chosen provider's step (a Stripe link from the fake Stripe
on loopback, or the manual instructions), and every way a payment button can be pressed wrongly."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actions.order_actions import ActionOrderStatus
from actions.payment_actions import ActionStartPayment
from checkout.db.models import Order, Payment
from checkout.orders.lifecycle import change_status
from tests.fake_stripe import API_KEY, FakeStripe
from tests.unit.actions.action_harness import (
    PAYMENT_INSTRUCTIONS,
    choose,
    confirm,
    press,
    render,
    responses,
    run,
    summary,
    tracker,
    use_settings,
)


@pytest.fixture
def fake():
    server = FakeStripe().start()
    yield server
    server.stop()


@pytest.fixture
def card_shop(shop, fake, monkeypatch):
    """Card (Stripe) first, then bank transfer, as SHOP_PAYMENT_METHODS=stripe,manual."""
    use_settings(
        shop,
        monkeypatch,
        shop_payment_methods="stripe,manual",
        stripe_secret_key=API_KEY,
        stripe_api_base=fake.url,
        stripe_max_retries=0,
        stripe_timeout_seconds=2,
    )
    return shop


def place(shop, sender="web-ana") -> dict:
    shop.fill_cart(sender, [("HOOD-HVY-BLK-M", 2)])
    _, pending = summary(sender)
    messages, _ = confirm(pending, sender=sender)
    assert responses(messages) == ["utter_order_placed"], messages
    return messages[0]


def test_with_several_methods_yes_asks_how_to_pay(card_shop, fake):
    placed = place(card_shop)
    number = card_shop.orders()[0].number
    assert "How would you like to pay?" in render(placed)
    assert placed["buttons"] == [
        {"title": "Pay by card", "payload": choose("stripe", number)},
        {"title": "Bank transfer or cash on delivery", "payload": choose("manual", number)},
    ]
    assert fake.requests == [] and card_shop.orders()[0].payments == []  # nothing started before the choice


def test_card_gives_a_stripe_link_as_a_button_and_the_same_link_again(card_shop, fake):
    placed = place(card_shop)
    messages, _ = press(placed["buttons"][0])
    assert responses(messages) == ["utter_payment_step"]
    (session,) = fake.sessions.values()
    assert messages[0]["buttons"] == [{"title": "Pay now", "url": session["url"], "type": "web_url"}]
    text = render(messages[0])
    assert "€118.00" in text and "UTC" in text
    assert session["amount_total"] == 11800 and session["client_reference_id"] == card_shop.orders()[0].number
    again, _ = press(placed["buttons"][0])
    assert again[0]["buttons"] == messages[0]["buttons"] and len(fake.creates) == 1


def test_bank_transfer_gives_the_instructions(card_shop, fake):
    placed = place(card_shop)
    messages, _ = press(placed["buttons"][1])
    assert responses(messages) == ["utter_payment_step"] and render(messages[0]) == f"€118.00: {PAYMENT_INSTRUCTIONS}"
    assert [p.method for p in card_shop.orders()[0].payments] == ["manual"]
    assert fake.requests == []


def test_stripe_failing_is_explained_and_the_order_stays_payable(card_shop, fake):
    placed = place(card_shop)
    fake.fail_next(500)
    messages, _ = press(placed["buttons"][0])
    [order] = card_shop.orders()
    assert "could not be started" in render(messages[0]) and order.number in render(messages[0])
    assert messages[0]["buttons"] == placed["buttons"]  # try again, or choose another way
    assert order.status == "awaiting_payment" and card_shop.stock("HOOD-HVY-BLK-M") == 8
    retried, _ = press(placed["buttons"][0])
    assert retried[0]["buttons"][0]["url"].startswith(fake.url)


def test_only_stripe_offered_puts_the_link_in_the_order_message(shop, fake, monkeypatch):
    use_settings(shop, monkeypatch, shop_payment_methods="stripe", stripe_secret_key=API_KEY, stripe_api_base=fake.url)
    placed = place(shop)
    assert placed["buttons"] == [
        {"title": "Pay now", "url": next(iter(fake.sessions.values()))["url"], "type": "web_url"}
    ]
    assert "Stripe's secure page" in render(placed)


def test_stripe_without_a_key_is_not_offered(shop, monkeypatch):
    use_settings(shop, monkeypatch, shop_payment_methods="stripe,manual", stripe_secret_key="")
    placed = place(shop)
    assert placed["buttons"] == [] and PAYMENT_INSTRUCTIONS in render(placed)


def test_a_button_for_someone_elses_order_finds_nothing(card_shop, fake):
    placed = place(card_shop, sender="web-ana")
    messages, _ = press(placed["buttons"][0], sender="web-bob")
    assert responses(messages) == ["utter_order_not_found"]
    assert fake.requests == []


def test_a_paid_or_cancelled_order_has_nothing_to_pay(card_shop, fake):
    placed = place(card_shop)
    with card_shop.db.transaction() as session:
        change_status(session, session.scalar(select(Order)), "cancelled", actor="test")
    messages, _ = press(placed["buttons"][0])
    assert responses(messages) == ["utter_nothing_to_pay"] and "cancelled" in render(messages[0])
    assert fake.requests == []


def test_a_method_no_longer_offered_asks_again(card_shop, monkeypatch):
    placed = place(card_shop)
    number = card_shop.orders()[0].number
    telegram = {"title": "x", "payload": choose("telegram", number)}
    messages, _ = press(telegram)
    assert "How would you like to pay?" in render(messages[0]) and messages[0]["buttons"] == placed["buttons"]
    assert card_shop.count(Payment) == 0


@pytest.mark.parametrize(
    "entities",
    [
        {},
        {"payment_method": "stripe"},
        {"order_number": "A7K2Q9"},
        {"payment_method": "stripe", "order_number": "not a number"},
    ],
)
def test_a_payload_missing_what_to_pay_is_answered(card_shop, entities):
    messages, _ = run(
        ActionStartPayment(),
        tracker("web-ana", "/choose_payment_method", "choose_payment_method", entities, confidence=1.0),
    )
    assert responses(messages) == ["utter_payment_choice_unclear"]


def test_the_status_of_an_unpaid_order_offers_the_ways_to_pay(card_shop):
    place(card_shop)
    number = card_shop.orders()[0].number
    messages, _ = run(
        ActionOrderStatus(), tracker("web-ana", f"status of {number}", "order_status", {"order_number": number})
    )
    assert [b["title"] for b in messages[0]["buttons"]] == ["Pay by card", "Bank transfer or cash on delivery"]


def test_cancelling_in_chat_closes_the_open_stripe_link(card_shop, fake):
    placed = place(card_shop)
    press(placed["buttons"][0])
    number = card_shop.orders()[0].number
    messages, _ = confirm(f"cancel_order:{number}")
    assert responses(messages) == ["utter_order_cancelled"]
    (session,) = fake.sessions.values()
    assert session["status"] == "expired"  # nobody can pay an order that will not ship
