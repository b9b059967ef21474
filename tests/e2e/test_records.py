"""Every conversation becomes records, captured from Rasa's events by the records consumer."""

from __future__ import annotations

import sqlite3
import uuid

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from checkout.db.models import ConsumerPosition, Conversation, Customer, Message, Order
from checkout.orders.export import order_to_dict
from cli.context import AppContext
from cli.main import shop
from tests.e2e.conversation import Shopper

pytestmark = pytest.mark.e2e


def parse(stack, text: str) -> dict:
    response = httpx.post(
        f"{stack.settings.rasa_url}/model/parse",
        params={"token": stack.settings.rasa_api_token},
        json={"text": text},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def test_a_conversation_produces_exactly_the_expected_records(stack):
    """Through the default source, the tracker store followed. The same events come through RabbitMQ in
    tests/e2e/test_scale_out.py (every message of 20 conversations, in order) and through Rasa's SQL broker table in
    tests/integration/test_records.py: the broker changes how events arrive, not what they say."""
    sender = f"e2e-records-{uuid.uuid4().hex[:8]}"
    metadata = {
        "channel": "telegram",
        "user_id": 90210,
        "first_name": "Ana",
        "last_name": "Lima",
        "username": "analima",
        "language_code": "pt",
    }
    turns = ["hello there", "show me your hoodies", "how much is the heavyweight hoodie"]
    expected = []
    for number, text in enumerate(turns, start=1):
        replies = stack.say(text, sender=sender, metadata={**metadata, "message_id": number})
        expected.append(("in", text, str(number)))
        expected += [("out", r.get("text"), None) for r in replies]

    def recorded(session):
        conversation = session.scalar(select(Conversation).where(Conversation.sender_id == sender))
        return conversation if conversation and len(conversation.messages) >= len(expected) else None

    stack.wait_until(recorded)
    with stack.db.reading() as session:
        [customer] = session.scalars(select(Customer).where(Customer.channel_user_id == "90210"))
        assert (customer.channel, customer.name, customer.username, customer.language) == (
            "telegram",
            "Ana Lima",
            "analima",
            "pt",
        )
        [conversation] = session.scalars(select(Conversation).where(Conversation.customer_id == customer.id))
        messages = conversation.messages
        assert [(m.direction, m.text, m.channel_message_id) for m in messages] == expected
        shopper_messages = [m for m in messages if m.direction == "in"]
        for message, text in zip(shopper_messages, turns, strict=True):
            truth = parse(stack, text)
            assert message.intent == truth["intent"]["name"]
            assert message.confidence == pytest.approx(truth["intent"]["confidence"], abs=1e-6)
        assert [m.intent for m in shopper_messages] == ["greet", "browse_catalog", "product_info"]
        assert any(e["entity"] == "category" for e in shopper_messages[1].entities)
        assert all(
            m.response_name
            for m in messages
            if m.direction == "out" and m.text and m.text.startswith(("Hi", "Hello", "Hey"))
        )
        assert customer.first_seen == conversation.started_at == messages[0].created_at
        assert conversation.last_message_at == messages[-1].created_at
        assert [m.created_at for m in messages] == sorted(m.created_at for m in messages)


def snapshot(stack) -> list:
    with stack.db.reading() as session:
        return [
            tuple(sorted((c.id, c.channel_user_id, c.name) for c in session.scalars(select(Customer)))),
            tuple(
                (c.id, c.customer_id, c.started_at, c.last_message_at)
                for c in session.scalars(select(Conversation).order_by(Conversation.id))
            ),
            tuple(
                (m.id, m.conversation_id, m.direction, m.text, m.intent, m.confidence)
                for m in session.scalars(select(Message).order_by(Message.id))
            ),
        ]


def run_cli(stack, *args, input=None):
    context = AppContext(stack.settings)
    result = CliRunner().invoke(shop, list(args), obj=context, input=input, catch_exceptions=False)
    if "db" in context.__dict__:
        context.db.dispose()
    assert result.exit_code == 0, result.output
    return result.output


def events_size(stack) -> int:
    with sqlite3.connect(stack.events_file()) as c:
        return c.execute("SELECT max(id) FROM events").fetchone()[0]


def test_replaying_the_whole_event_stream_changes_nothing(stack):
    shopper = Shopper(stack, "replay")
    shopper.say("hi")
    shopper.say("what do you sell")
    stack.wait_until(
        lambda s: (
            s.scalar(select(func.count(Message.id)).join(Conversation).where(Conversation.sender_id == shopper.sender))
            >= 4
        )
    )
    # The snapshot covers every conversation of the shared stack: taken while the consumer still records a
    # reply of this one (or the end of an earlier test's), the replay would seem to change what it only finished.
    stack.caught_up()
    before = snapshot(stack)
    run_cli(stack, "records", "replay")
    end = events_size(stack)
    stack.wait_until(lambda s: s.scalar(select(func.max(ConsumerPosition.position))) >= end, what="the replay")
    assert snapshot(stack) == before


def test_a_stopped_consumer_catches_up_in_order(stack):
    shopper = Shopper(stack, "catch-up")
    stack.consumer.stop()
    try:
        texts = [f"do you have hoodies in size {size} number {i}" for i, size in enumerate(["S", "M", "L", "XL"] * 5)]
        for text in texts:
            shopper.say(text)
        with stack.db.reading() as session:  # nothing recorded while the consumer is down
            assert (
                session.scalar(
                    select(func.count(Message.id)).join(Conversation).where(Conversation.sender_id == shopper.sender)
                )
                == 0
            )
    finally:
        stack.consumer.start()

    def all_recorded(session):
        rows = session.scalars(
            select(Message.text)
            .join(Conversation)
            .where(Conversation.sender_id == shopper.sender, Message.direction == "in")
            .order_by(Message.id)
        )
        rows = list(rows)
        return rows if len(rows) >= 20 else None

    assert stack.wait_until(all_recorded, timeout=60) == texts


MARKERS = {
    "name": "Quintessa Marchbanks",
    "phone": "+44 7700 900987",
    "email": "quintessa.m@example.net",
    "address": "42 Wobbly Lane, Little Snoring NR21 0AA",
}


def full_dump(stack) -> str:
    lines = []
    for url in filter(
        None, (stack.settings.database_url, stack.settings.rasa_tracker_url, stack.settings.rasa_events_url)
    ):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as c:
            lines += list(c.iterdump())
    return "\n".join(lines)


def test_forget_erases_the_person_from_every_database_and_keeps_the_order_amounts(stack):
    shopper = Shopper(stack, "forget")
    shopper.say("add a black beanie")
    shopper.say("checkout")
    shopper.say(MARKERS["name"])
    shopper.say(MARKERS["phone"])
    shopper.say(MARKERS["address"])
    shopper.say(MARKERS["email"])
    assert "Shall I place the order?" in shopper.text, shopper.text
    shopper.press("Yes, place order")
    [order] = shopper.orders()
    shopper.say(f"my name is {MARKERS['name']}, did you get it?")
    stack.wait_until(
        lambda s: s.scalar(
            select(func.count(Message.id))
            .join(Conversation)
            .where(Conversation.sender_id == shopper.sender, Message.text.contains("did you get it"))
        )
    )
    with stack.db.reading() as session:
        customer_id = session.scalar(select(Customer.id).where(Customer.channel_user_id == shopper.sender))
        before = order_to_dict(session.get(Order, order.id))
    dump = full_dump(stack)
    assert all(marker in dump for marker in MARKERS.values())

    run_cli(stack, "customers", "forget", str(customer_id), "--yes")

    dump = full_dump(stack)
    for marker in (*MARKERS.values(), shopper.sender, "Quintessa"):
        assert marker not in dump
    with stack.db.reading() as session:
        after = order_to_dict(session.get(Order, order.id))
    assert after["items"] == before["items"] and after["total"] == before["total"]
    assert sum(float(i["line_total"]) for i in after["items"]) == pytest.approx(float(after["total"]))
    assert after["customer"] == {"name": None, "phone": None, "email": None, "address": None}
    # The same chat writing again is a new customer with nothing from before.
    assert shopper.say("hi")
    stack.wait_until(lambda s: s.scalar(select(Customer).where(Customer.channel_user_id == shopper.sender)))
    assert all(marker not in full_dump(stack) for marker in MARKERS.values())
