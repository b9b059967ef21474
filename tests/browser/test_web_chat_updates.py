"""A shopper buys in the web chat on a phone; when the seller marks the order paid, the notice arrives in the
open chat page by itself (the page polls the outbox)."""

from __future__ import annotations

import random
import string

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from checkout.db.models import Order, OutboxMessage
from checkout.orders.seller_actions import mark_paid

pytestmark = pytest.mark.e2e
TURN_MS = 120_000  # one turn through the web app, Rasa and the action server, on a busy machine at worst
BOT_BUBBLES = ".msg-bot .bubble:not(.bubble-typing)"
# True once a bot bubble after the first `n` contains `text`: the answer to this turn, never an earlier one.
NEW_BUBBLE_WITH = """([selector, n, text]) => Array.from(document.querySelectorAll(selector)).slice(n)
    .some(b => b.textContent.replace(/\\s+/g, " ").toLowerCase().includes(text.toLowerCase()))"""


def test_order_paid_notice_reaches_the_open_web_chat(stack, phone):
    page = phone.page
    name = "Chat " + "".join(random.choices(string.ascii_lowercase, k=8)).capitalize()
    page.goto(stack.settings.web_url + "/")
    log = page.locator("#chat-log")

    def answered(before: int, text: str) -> None:
        """Waits for this turn's answer, and for the page to take the next message (it drops one sent while
        a turn is in flight)."""
        page.wait_for_function(NEW_BUBBLE_WITH, arg=[BOT_BUBBLES, before, text], timeout=TURN_MS)
        expect(log).to_have_attribute("aria-busy", "false")

    def say(text: str, reply: str) -> None:
        before = page.locator(BOT_BUBBLES).count()
        page.fill("#chat-input", text)
        page.press("#chat-input", "Enter")
        expect(page.locator("#chat-input")).to_have_value("")  # the page took it
        answered(before, reply)

    def press(title: str, reply: str) -> None:
        before = page.locator(BOT_BUBBLES).count()
        page.locator(".msg-bot button", has_text=title).last.click()
        answered(before, reply)

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
        number = order.number
    mark_paid(stack.db, number, actor="seller:browser-test@example.com")

    notice_bubbles = page.locator(".msg-bot .bubble", has_text=f"Payment received for order {number}")
    expect(notice_bubbles).to_have_count(1, timeout=TURN_MS)  # the page polls every 4 s
    phone.shot("phone-web-chat-paid-notice")
    with stack.db.reading() as session:
        [notice] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "order_paid", OutboxMessage.order_id == order.id)
        )
    assert notice.status in ("pending", "sent")  # sent once the page acknowledges it (a POST with its CSRF token)
    # The page acknowledges what a poll brought as soon as it shows it, whenever the request gets through on a busy
    # machine; a lost acknowledgement is made again after the next poll.
    stack.wait_until(
        lambda session: session.get(OutboxMessage, notice.id).status == "sent", what="the acknowledged notice"
    )
    # And a poll after that shows it no second time.
    with page.expect_response(lambda r: "/chat/updates" in r.url, timeout=TURN_MS):
        pass
    expect(notice_bubbles).to_have_count(1)
    assert phone.problems == []
