"""A seller in a real browser: logs in, finds an order a shopper placed through the REST channel, reads
the conversation that produced it, marks it paid and fulfils it; on a phone and on a desktop screen."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from checkout.access.sellers import add_seller
from checkout.db.models import Conversation, Message, OutboxMessage
from tests.e2e.conversation import Shopper, set_stock

pytestmark = pytest.mark.e2e

EMAIL, PASSWORD = "browser-seller@example.com", "correct horse battery"
XSS = "<script>alert(1)</script>"
# Names take no digits, and a script tag as a name reads to the NLU model as something else than a name;
# markup that would render bold/italic shows, as text, that nothing typed is ever read as HTML.
XSS_NAME = "<b>Marie</b> <i>Dupont</i>"


def place_order(stack) -> tuple[Shopper, str]:
    """A shopper whose name and address are HTML buys a hoodie through the REST channel."""
    set_stock(stack, "HOOD-HVY-BLK-M", 50)
    shopper = Shopper(stack, "browser")
    shopper.last = stack.say(
        "hey do u have the black hoodie in M??",
        sender=shopper.sender,
        metadata={"user_id": shopper.sender, "first_name": XSS},
    )
    assert "Added 1 × Heavyweight Hoodie (black, M)" in shopper.say("ok I'll take 1")
    shopper.check_out(name=XSS_NAME, address=f"12 rue {XSS}, 69002 Lyon")
    shopper.press("Yes, place order")
    shopper.say(XSS)
    [order] = shopper.orders()
    return shopper, order.number


def wait_for_transcript(stack, sender: str) -> None:
    """The records consumer turns Rasa's events into messages a moment after each turn."""
    stack.wait_until(
        lambda session: (
            XSS
            in session.scalars(
                select(Message.text)
                .join(Conversation)
                .where(Conversation.sender_id == sender, Message.direction == "in")
            ).all()
        ),
        what="the shopper's messages",
    )


def test_seller_finds_the_order_reads_the_transcript_marks_it_paid_and_fulfils_it(stack, watched):
    shopper, number = place_order(stack)
    wait_for_transcript(stack, shopper.sender)
    email = f"{watched.size}-{uuid.uuid4().hex[:6]}-{EMAIL}"
    with stack.db.transaction() as session:
        add_seller(session, email, PASSWORD)
    page, base = watched.page, stack.settings.web_url

    page.goto(f"{base}/seller")
    assert page.url.startswith(f"{base}/seller/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{base}/seller/orders")
    page.fill("input[name=q]", number)
    page.click("button:has-text('Show')")
    # The unfiltered list may show the order too: click its link on the search's page, not on the page the
    # search is navigating away from.
    page.wait_for_url(lambda url: f"q={number}" in url)
    page.click(f"a:has-text('{number}')")
    page.wait_for_url(f"{base}/seller/orders/{number}")
    expect(page.locator("h1 .badge.status-awaiting_payment")).to_be_visible()
    # Shown as text, never run (an alert() would show up as a dialog in watched.problems).
    expect(page.locator("dd.pre").first).to_have_text(f"12 rue {XSS}, 69002 Lyon")
    expect(page.locator("dl.facts a").first).to_have_text(XSS_NAME)

    page.click("summary:has-text('Transcript')")
    transcript = page.locator(".transcript")
    expect(transcript.get_by_text("hey do u have the black hoodie in M??")).to_be_visible()
    expect(transcript.get_by_text(XSS, exact=True)).to_be_visible()
    watched.shot(f"{watched.size}-order-transcript")

    page.fill("input[name=reference]", "bank transfer 2026-11-22")
    page.click("button:has-text('Mark paid')")
    expect(page.get_by_text(f"Order {number} is marked paid.")).to_be_visible()
    expect(page.locator("h1 .badge.status-paid")).to_be_visible()
    page.fill("textarea[name=note]", "DHL tracking 00340434")
    page.click("button:has-text('Mark fulfilled')")
    expect(page.get_by_text(f"Order {number} is marked fulfilled.")).to_be_visible()
    expect(page.locator("h1 .badge.status-fulfilled")).to_be_visible()
    watched.shot(f"{watched.size}-order-fulfilled")

    with stack.db.reading() as session:
        told = list(
            session.scalars(
                select(OutboxMessage).where(OutboxMessage.recipient == shopper.sender).order_by(OutboxMessage.id)
            )
        )
    assert [(m.channel, m.kind) for m in told] == [("rest", "order_paid"), ("rest", "order_fulfilled")]
    assert told[1].text.endswith("DHL tracking 00340434")

    for name in ("customers", "insights", "inbox", "catalog"):
        page.click(f"nav a:has-text('{name.capitalize()}')")
        page.wait_for_url(f"{base}/seller/{name}")
        watched.shot(f"{watched.size}-{name}")
        if name == "customers":
            expect(page.get_by_role("link", name=XSS_NAME).first).to_be_visible()
    if watched.size == "phone":  # nothing wider than the screen: no sideways scrolling on a phone
        for name in ("orders", "customers", "insights", "catalog", f"orders/{number}"):
            page.goto(f"{base}/seller/{name}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
    page.click("button:has-text('Log out')")
    page.wait_for_url(f"{base}/seller/login")
    assert watched.problems == []
