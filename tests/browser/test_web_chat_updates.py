"""A shopper buys in the web chat on a phone; when the seller marks the order paid, the notice arrives in the
open chat page by itself (the page polls the outbox)."""

from __future__ import annotations

import random
import string

import pytest
from sqlalchemy import select

from checkout.db.models import Order, OutboxMessage
from checkout.orders.seller_actions import mark_paid

pytestmark = pytest.mark.e2e


def test_order_paid_notice_reaches_the_open_web_chat(stack, phone):
    page = phone.page
    name = "Chat " + "".join(random.choices(string.ascii_lowercase, k=8)).capitalize()
    page.goto(stack.settings.web_url + "/")

    def say(text: str, expect: str) -> None:
        page.fill("#chat-input", text)
        page.press("#chat-input", "Enter")
        page.locator(".msg-bot .bubble", has_text=expect).last.wait_for(timeout=30_000)

    def press(title: str, expect: str) -> None:
        page.locator(".msg-bot button", has_text=title).last.click()
        page.locator(".msg-bot .bubble", has_text=expect).last.wait_for(timeout=30_000)

    say("add 1 black dad cap", "Added 1 × Dad Cap")
    say("checkout", "full name")
    say(name, "phone")
    say("+33 6 12 34 56 78", "address")
    say("12 rue de la République, 69002 Lyon", "email")
    press("Skip", "Shall I place the order?")
    press("Yes, place order", "is placed")
    with stack.db.transaction() as session:
        order = session.scalar(select(Order).where(Order.customer_name == name))
        assert order.channel == "web"
        mark_paid(session, order.number, actor="seller:browser-test@example.com")
        number = order.number

    page.locator(".msg-bot .bubble", has_text=f"Payment received for order {number}").wait_for(timeout=15_000)
    phone.shot("phone-web-chat-paid-notice")
    with stack.db.reading() as session:
        [notice] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "order_paid", OutboxMessage.order_id == order.id)
        )
    assert notice.status in ("sending", "sent")  # sent once the page's next poll acknowledges it
    page.wait_for_timeout(5_000)
    with stack.db.reading() as session:
        assert session.get(OutboxMessage, notice.id).status == "sent"
    assert page.locator(".msg-bot .bubble", has_text=f"Payment received for order {number}").count() == 1
    assert phone.problems == []
