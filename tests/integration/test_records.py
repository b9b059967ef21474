"""The records consumer: Rasa's broker events become customer, conversation and message rows, each once."""

from __future__ import annotations

import json
import random
import sqlite3
import time

import pytest
from sqlalchemy import func, select

from checkout.customers.identity import CONVERSATION_TIMEOUT, ShopperIdentity, current_conversation, identify
from checkout.db.models import ConsumerPosition, Conversation, Customer, Message
from checkout.records import sql_source
from checkout.records.recorder import DUPLICATE, IGNORED, RECORDED, apply_event, record_unanswered_message
from checkout.records.reruns import TurnReruns
from checkout.records.sql_source import SqlBrokerSource, consume_batch, reset_position
from tests.records_events import SHOP_SECRET, bot_event, other_event, stamp, user_event

TELEGRAM = {
    "channel": "telegram",
    "user_id": 555,
    "first_name": "Ana",
    "last_name": "Lima",
    "username": "analima",
    "language_code": "pt",
}


def rows(session, model):
    return list(session.scalars(select(model).order_by(model.id)))


def test_a_conversation_becomes_one_customer_one_conversation_and_its_messages(clean_db):
    events = [
        user_event("555", "hi", "greet", 0.98, metadata={**TELEGRAM, "message_id": 1}),
        other_event("555"),
        bot_event("555", "Hi Ana!", "utter_greet"),
        user_event(
            "555",
            "2 black hoodies",
            "add_to_cart",
            0.87,
            [{"entity": "product", "value": "hoodie", "start": 8, "end": 15}],
            metadata={**TELEGRAM, "message_id": 2},
        ),
        bot_event("555", "Added 2 × Hoodie.", None),
    ]
    with clean_db.transaction() as session:
        outcomes = [apply_event(session, e, SHOP_SECRET) for e in events]
        assert outcomes == [RECORDED, IGNORED, RECORDED, RECORDED, RECORDED]
    with clean_db.reading() as session:
        [customer] = rows(session, Customer)
        assert (customer.channel, customer.channel_user_id, customer.name, customer.username, customer.language) == (
            "telegram",
            "555",
            "Ana Lima",
            "analima",
            "pt",
        )
        [conversation] = rows(session, Conversation)
        assert (conversation.customer_id, conversation.sender_id, conversation.channel) == (
            customer.id,
            "555",
            "telegram",
        )
        assert customer.first_seen == conversation.started_at
        messages = rows(session, Message)
        assert [
            (m.direction, m.text, m.intent, m.confidence, m.response_name, m.channel_message_id) for m in messages
        ] == [
            ("in", "hi", "greet", 0.98, None, "1"),
            ("out", "Hi Ana!", None, None, "utter_greet", None),
            ("in", "2 black hoodies", "add_to_cart", 0.87, None, "2"),
            ("out", "Added 2 × Hoodie.", None, None, None, None),
        ]
        assert messages[2].entities == [{"entity": "product", "value": "hoodie", "start": 8, "end": 15}]
        assert all(m.conversation_id == conversation.id for m in messages)
        assert conversation.last_message_at == messages[-1].created_at


def test_applying_the_whole_stream_again_changes_nothing(clean_db):
    events = [user_event("s1", "hi"), bot_event("s1", "hello"), user_event("s2", "yo"), bot_event("s2", "hey")]
    with clean_db.transaction() as session:
        for event in events:
            apply_event(session, event, SHOP_SECRET)
    before = _snapshot(clean_db)
    with clean_db.transaction() as session:
        assert {apply_event(session, json.loads(json.dumps(e)), SHOP_SECRET) for e in events} == {DUPLICATE}
    assert _snapshot(clean_db) == before


def web_message(text: str, message_id: str) -> dict:
    return user_event("s1", text, metadata={"channel": "web", "user_id": "s1", "message_id": message_id})


def recorded_texts(db) -> list[str | None]:
    with db.reading() as session:
        return [m.text for m in rows(session, Message)]


def test_a_turn_published_twice_is_recorded_once(clean_db):
    """A Rasa server killed after publishing a turn and before saving it: the client sends the message again (same
    message id), another server runs the turn again; its answers come with new timestamps and are skipped."""
    first_run = [web_message("add 1 hoodie", "w-1"), bot_event("s1", "Added 1"), bot_event("s1", "Anything else?")]
    second_run = [web_message("add 1 hoodie", "w-1"), bot_event("s1", "Added 1"), bot_event("s1", "Anything else?")]
    next_turn = [web_message("checkout", "w-2"), bot_event("s1", "Your name?")]
    reruns = TurnReruns()
    with clean_db.transaction() as session:
        outcomes = [apply_event(session, e, SHOP_SECRET, reruns) for e in first_run + second_run + next_turn]
    assert outcomes == [RECORDED] * 3 + [DUPLICATE] * 3 + [RECORDED] * 2
    assert recorded_texts(clean_db) == ["add 1 hoodie", "Added 1", "Anything else?", "checkout", "Your name?"]


def test_a_turn_published_in_part_then_again_whole_is_recorded_whole_once(clean_db):
    reruns = TurnReruns()
    events = [
        web_message("add 1 hoodie", "w-1"),
        bot_event("s1", "Added 1"),  # the server died here
        web_message("add 1 hoodie", "w-1"),
        bot_event("s1", "Added 1"),
        bot_event("s1", "Anything else?"),
    ]
    with clean_db.transaction() as session:
        for event in events:
            apply_event(session, event, SHOP_SECRET, reruns)
    assert recorded_texts(clean_db) == ["add 1 hoodie", "Added 1", "Anything else?"]


def test_a_message_first_recorded_unanswered_gets_all_its_answers(clean_db):
    """The gateway's own record of a message Rasa was too slow for is no rerun: Rasa's answers are all recorded."""
    identity = ShopperIdentity.from_rasa("s1", "rest", {"channel": "web", "user_id": "s1"})
    reruns = TurnReruns()
    with clean_db.transaction() as session:
        record_unanswered_message(session, identity, "add 1 hoodie", "w-1", shop_secret=SHOP_SECRET)
        for event in (web_message("add 1 hoodie", "w-1"), bot_event("s1", "Added 1"), bot_event("s1", "More?")):
            apply_event(session, event, SHOP_SECRET, reruns)
    assert recorded_texts(clean_db) == ["add 1 hoodie", "Added 1", "More?"]


def test_a_stream_read_again_from_a_turns_start_is_recorded_once(clean_db):
    """A consumer restarted mid-turn reads the unacknowledged events again with a fresh memory."""
    events = [web_message("add 1 hoodie", "w-1"), bot_event("s1", "Added 1"), bot_event("s1", "More?")]
    with clean_db.transaction() as session:
        for event in events[:2]:
            apply_event(session, event, SHOP_SECRET, TurnReruns())
    reruns = TurnReruns()
    with clean_db.transaction() as session:
        assert [apply_event(session, e, SHOP_SECRET, reruns) for e in events] == [DUPLICATE, DUPLICATE, RECORDED]
    assert recorded_texts(clean_db) == ["add 1 hoodie", "Added 1", "More?"]


def test_silence_longer_than_the_timeout_starts_a_new_conversation(clean_db):
    first = stamp()
    later = first + CONVERSATION_TIMEOUT.total_seconds() + 60
    with clean_db.transaction() as session:
        apply_event(session, user_event("s1", "hi", timestamp=first), SHOP_SECRET)
        apply_event(session, bot_event("s1", "hello", timestamp=first + 1), SHOP_SECRET)
        apply_event(session, user_event("s1", "back again", timestamp=later), SHOP_SECRET)
        apply_event(session, bot_event("s1", "welcome back", timestamp=later + 1), SHOP_SECRET)
    with clean_db.reading() as session:
        old, new = rows(session, Conversation)
        assert old.ended_at == old.last_message_at and new.ended_at is None
        assert [m.text for m in new.messages] == ["back again", "welcome back"]
        assert len(rows(session, Customer)) == 1


def test_the_action_and_the_consumer_land_on_the_same_conversation(clean_db):
    """Actions run before Rasa publishes the turn's events: the conversation they open must be reused."""
    identity = ShopperIdentity("rest", "s1", "s1")
    said_at = time.time() - 0.5  # the user event's timestamp is a moment before the action ran
    with clean_db.transaction() as session:
        customer = identify(session, identity)
        action_conversation = current_conversation(session, customer, identity).id  # created "now"
    with clean_db.transaction() as session:
        apply_event(session, user_event("s1", "checkout", timestamp=said_at), SHOP_SECRET)
    with clean_db.reading() as session:
        [conversation] = rows(session, Conversation)
        assert conversation.id == action_conversation


def test_a_message_rasa_never_answered_is_recorded_once(clean_db):
    identity = ShopperIdentity.from_rasa("555", "rest", {**TELEGRAM})
    with clean_db.transaction() as session:
        assert record_unanswered_message(session, identity, "hello?", "9", shop_secret=SHOP_SECRET) == RECORDED
    with clean_db.transaction() as session:  # Rasa processed it after all: same channel message id
        assert (
            apply_event(session, user_event("555", "hello?", metadata={**TELEGRAM, "message_id": 9}), SHOP_SECRET)
            == DUPLICATE
        )
    with clean_db.reading() as session:
        assert session.scalar(select(func.count(Message.id))) == 1


def test_a_message_whose_turn_ran_twice_is_recorded_once(clean_db):
    """A turn lost with its Rasa server is sent again (checkout/assistant_client.py): should both runs reach the
    broker (Rasa publishes before it saves), the shopper's message is one record, by the id our client gave it."""
    web = {"channel": "web", "user_id": "web-ana", "message_id": "5d1c0e7f9a2b4c6d8e0f1a2b3c4d5e6f"}
    with clean_db.transaction() as session:
        assert (
            apply_event(session, user_event("web-ana", "2 caps", "add_to_cart", metadata=web), SHOP_SECRET) == RECORDED
        )
        # the second run: another Rasa server, another moment, another Rasa event id
        assert (
            apply_event(session, user_event("web-ana", "2 caps", "add_to_cart", metadata=web), SHOP_SECRET) == DUPLICATE
        )
    with clean_db.reading() as session:
        [message] = rows(session, Message)
        assert message.channel_message_id == web["message_id"]


def test_a_shopper_message_keeps_the_model_that_read_it_and_its_ranking(clean_db):
    ranking = [("add_to_cart", 0.61237), ("product_info", 0.3), ("greet", 0.05)]
    identity = ShopperIdentity.from_rasa("555", "rest", {**TELEGRAM})
    with clean_db.transaction() as session:
        apply_event(
            session,
            user_event("555", "2 black hoodies", "add_to_cart", 0.61237, model_id="m-1", ranking=ranking),
            SHOP_SECRET,
        )
        apply_event(session, bot_event("555", "Added.", None), SHOP_SECRET)
        record_unanswered_message(session, identity, "hello?", "9", shop_secret=SHOP_SECRET)
    with clean_db.reading() as session:
        said, answered, unanswered = rows(session, Message)
    assert (said.model_id, said.intent_ranking) == (
        "m-1",
        [
            {"name": "add_to_cart", "confidence": 0.6124},
            {"name": "product_info", "confidence": 0.3},
            {"name": "greet", "confidence": 0.05},
        ],
    )
    assert (answered.model_id, answered.intent_ranking) == (None, None)
    assert (unanswered.model_id, unanswered.intent_ranking, unanswered.intent) == (None, None, None)


def _snapshot(db) -> list:
    with db.reading() as session:
        return [
            [(c.id, c.channel, c.channel_user_id, c.name, c.first_seen, c.last_seen) for c in rows(session, Customer)],
            [(c.id, c.started_at, c.last_message_at, c.ended_at) for c in rows(session, Conversation)],
            [
                (m.id, m.conversation_id, m.direction, m.text, m.intent, m.source_event_id)
                for m in rows(session, Message)
            ],
        ]


# --- reading Rasa's SQL event broker table ---------------------------------------------------------------


class RasaBrokerTable:
    """The table Rasa's SQLEventBroker writes (rasa/core/brokers/sql.py), in a SQLite file."""

    def __init__(self, path):
        self.path = path
        with sqlite3.connect(path) as c:
            c.execute("CREATE TABLE events (id INTEGER NOT NULL PRIMARY KEY, sender_id VARCHAR(255), data TEXT)")

    def publish(self, *events, ids=None):
        with sqlite3.connect(self.path) as c:
            for i, event in enumerate(events):
                c.execute(
                    "INSERT INTO events (id, sender_id, data) VALUES (?, ?, ?)",
                    (ids[i] if ids else None, event.get("sender_id"), json.dumps(event)),
                )

    def url(self):
        return f"sqlite:///{self.path}"


@pytest.fixture
def broker(tmp_path):
    return RasaBrokerTable(tmp_path / "rasa_events.db")


def drain(db, source) -> int:
    total = 0
    while (n := consume_batch(db, source, limit=7, shop_secret=SHOP_SECRET)) > 0:
        total += n
    return total


def test_the_consumer_reads_in_order_from_where_it_stopped(clean_db, broker):
    broker.publish(*[user_event("s1", f"message {i}") for i in range(10)])
    source = SqlBrokerSource(broker.url())
    assert drain(clean_db, source) == 10
    broker.publish(*[user_event("s1", f"message {i}") for i in range(10, 20)], other_event("s1"))
    with sqlite3.connect(broker.path) as c:
        c.execute("INSERT INTO events (sender_id, data) VALUES ('s1', '{broken')")
    assert drain(clean_db, SqlBrokerSource(broker.url())) == 12  # a new source: the position is in the database
    with clean_db.reading() as session:
        assert [m.text for m in rows(session, Message)] == [f"message {i}" for i in range(20)]
        assert session.get(ConsumerPosition, SqlBrokerSource.name).position == 22


def test_replaying_the_broker_table_from_the_start_changes_nothing(clean_db, broker):
    broker.publish(*[e for i in range(5) for e in (user_event(f"s{i}", "hi"), bot_event(f"s{i}", "hello"))])
    drain(clean_db, SqlBrokerSource(broker.url()))
    before = _snapshot(clean_db)
    reset_position(clean_db)
    assert drain(clean_db, SqlBrokerSource(broker.url())) == 10
    assert _snapshot(clean_db) == before


def test_a_gap_in_ids_is_waited_for_before_reading_past_it(clean_db, broker, monkeypatch):
    """On PostgreSQL a lower id can commit after a higher one; reading past it at once would skip it."""
    broker.publish(user_event("s1", "one"), ids=[1])
    broker.publish(user_event("s1", "three"), ids=[3])
    source = SqlBrokerSource(broker.url())
    assert drain(clean_db, source) == 1
    broker.publish(user_event("s1", "two"), ids=[2])  # the late commit
    assert drain(clean_db, source) == 2
    with clean_db.reading() as session:
        assert [m.text for m in rows(session, Message)] == ["one", "two", "three"]
    broker.publish(user_event("s1", "five"), ids=[5])  # id 4 never commits (rolled back)
    monkeypatch.setattr(sql_source, "GAP_WAIT_SECONDS", 0.0)
    assert drain(clean_db, source) == 1


def test_a_replaced_broker_database_is_read_from_the_start(clean_db, broker, tmp_path):
    broker.publish(*[user_event("s1", f"m{i}") for i in range(3)])
    drain(clean_db, SqlBrokerSource(broker.url()))
    fresh = RasaBrokerTable(tmp_path / "fresh.db")
    fresh.publish(user_event("s1", "after the reset"))
    assert drain(clean_db, SqlBrokerSource(fresh.url())) == 1
    with clean_db.reading() as session:
        assert rows(session, Message)[-1].text == "after the reset"


def test_events_for_a_broker_that_has_not_started_yet(clean_db, tmp_path):
    assert consume_batch(clean_db, SqlBrokerSource(f"sqlite:///{tmp_path / 'none.db'}"), shop_secret=SHOP_SECRET) == 0


def test_shuffled_redelivery_of_seen_events_changes_nothing(clean_db):
    events = [e for i in range(4) for e in (user_event(f"s{i}", "hi"), bot_event(f"s{i}", "hello"))]
    with clean_db.transaction() as session:
        for event in events:
            apply_event(session, event, SHOP_SECRET)
    before = _snapshot(clean_db)
    random.Random(7).shuffle(events)
    with clean_db.transaction() as session:
        for event in events:
            apply_event(session, event, SHOP_SECRET)
    assert _snapshot(clean_db) == before
