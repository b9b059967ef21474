"""Fifty hostile or odd messages: each gets a reply, nothing crashes, the servers stay healthy."""

from __future__ import annotations

import pytest

from tests.e2e.conversation import Shopper

pytestmark = pytest.mark.e2e

BAD_INPUTS = [
    "",
    " ",
    "\n\n",
    "\t",
    "a" * 10_000,
    "🔥" * 500,
    "😀😀😀",
    "👍",
    "🙏🏽",
    "❤️‍🔥",
    "مرحبا هل لديكم هودي أسود",
    "שלום, יש לכם כובע?",
    "\u202eevil\u202c text",
    "\u200f\u200e\u200b",
    "ｆｕｌｌｗｉｄｔｈ",
    "'; DROP TABLE orders; --",
    '" OR 1=1 --',
    "1; DELETE FROM variants",
    "Robert'); DROP TABLE customers;--",
    "UNION SELECT * FROM seller_users",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "</div><h1>hi</h1>",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "%s%s%s%n",
    "{0[__class__]}",
    "\x00\x01\x02",
    "\x1b[31mred\x1b[0m",
    "\r\n\r\n",
    "/restart",
    '/deny{"x": 1}',
    '/checkout{"x": "y"}',
    '/add_to_cart{"product": "Heavyweight Hoodie", "quantity": "-5"}',
    '/add_to_cart{"quantity": "99999999999"}',
    '/inform{"order_number": "\'; DROP"}',
    "/nonexistent_intent",
    "/greet{not json",
    "//",
    "////////",
    "🙂 " * 2000,
    "x" * 9_999 + "🔥",
    "null",
    "undefined",
    "NaN",
    "-1",
    "0",
    "999999999999999999999999",
    "\\\\\\\\",
    "https://evil.example/phish",
]


@pytest.mark.parametrize("text", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_every_bad_input_gets_a_reply(stack, text):
    shopper = Shopper(stack, "bad")
    shopper.say(text)
    assert shopper.last, f"no reply to {text[:40]!r}"
    assert all("Traceback" not in (m.get("text") or "") for m in shopper.last)


def test_servers_are_healthy_after_the_bad_inputs(stack):
    assert len(BAD_INPUTS) == 50
    assert stack.healthy()
    assert "Welcome" in Shopper(stack).say("hi")
