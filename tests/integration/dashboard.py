"""Helpers for the seller dashboard under the Flask test client: the seller's login, CSRF-protected form posts,
and conversations built with the ORM. The fixtures (`app`, `seller`, `shop`, `rasa`) are in conftest.py."""

from __future__ import annotations

import re
from datetime import timedelta

from checkout.db.models import Conversation, Message, utcnow

EMAIL, PASSWORD = "owner@example.com", "correct horse battery"
XSS = "<script>alert(1)</script>"
RASA_TOKEN = "test-rasa-token"


def csrf_token(client, path: str = "/seller/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(client, email: str = EMAIL, password: str = PASSWORD):
    return client.post("/seller/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)})


def post_form(client, path: str, data: dict | None = None, page: str | None = None):
    """A form post with the CSRF token of a dashboard page."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, page or "/seller/orders")})


def add_conversation(
    session, customer, texts: list[tuple[str, str]], handed_over: bool = False, **fields
) -> Conversation:
    """A conversation of ("in"|"out", text) messages, a minute apart, ending now."""
    now = utcnow()
    conversation = Conversation(
        customer_id=customer.id,
        sender_id=customer.channel_user_id,
        channel=customer.channel,
        started_at=now - timedelta(minutes=len(texts)),
        last_message_at=now,
        handoff_requested_at=now if handed_over else None,
        **fields,
    )
    session.add(conversation)
    session.flush()
    for i, (direction, text) in enumerate(texts):
        session.add(
            Message(
                conversation_id=conversation.id,
                direction=direction,
                text=text,
                intent="greet" if direction == "in" else None,
                confidence=0.9 if direction == "in" else None,
                created_at=now - timedelta(minutes=len(texts) - i),
            )
        )
    session.flush()
    return conversation
