"""The records consumer following Rasa's SQL tracker store (the embedded default, no event broker), real SQLite."""

from __future__ import annotations

import json
import sqlite3

import pytest
from sqlalchemy import select

from checkout.db.models import ConsumerPosition, Message
from checkout.records.rasa_stores import forget_in_tracker_store
from checkout.records.sql_source import SqlBrokerSource, TrackerStoreSource, consume_batch, reset_position
from tests.records_events import bot_event, other_event, user_event

# The table as Rasa 3.6's SQLTrackerStore creates it on SQLite (SQLAlchemy 1.4's DDL for its SQLEvent model).
RASA_TRACKER_DDL = [
    "CREATE TABLE events (id INTEGER NOT NULL, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL, "
    "timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT, PRIMARY KEY (id))",
    "CREATE INDEX ix_events_sender_id ON events (sender_id)",
]


class RasaTrackerTable:
    """Saves turns as SQLTrackerStore.save does: each new event a row, its as_dict() as `data`, the sender a column."""

    def __init__(self, path):
        self.path = path
        with sqlite3.connect(path) as c:
            for statement in RASA_TRACKER_DDL:
                c.execute(statement)

    def save(self, *events: dict) -> None:
        with sqlite3.connect(self.path) as c:
            for event in events:
                data = {k: v for k, v in event.items() if k != "sender_id"}
                intent = data.get("parse_data", {}).get("intent", {}).get("name")
                c.execute(
                    "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        event["sender_id"],
                        data["event"],
                        data.get("timestamp"),
                        intent,
                        data.get("name"),
                        json.dumps(data),
                    ),
                )

    def url(self) -> str:
        return f"sqlite:///{self.path}"


@pytest.fixture
def tracker_store(tmp_path):
    return RasaTrackerTable(tmp_path / "rasa.db")


def drain(db, source) -> int:
    total = 0
    while (n := consume_batch(db, source, limit=7, shop_secret="")) > 0:
        total += n
    return total


def texts(db) -> list[tuple[str, str]]:
    with db.reading() as session:
        return [(m.direction, m.text) for m in session.scalars(select(Message).order_by(Message.id))]


def turn(sender: str, text: str) -> list[dict]:
    """The events of one turn in the order Rasa saves them: the message, the actions, the reply."""
    return [user_event(sender, text), other_event(sender), bot_event(sender, f"re: {text}"), other_event(sender)]


def test_every_message_of_the_tracker_store_is_recorded_once_in_order(clean_db, tracker_store):
    tracker_store.save(*turn("s1", "hi"), *turn("s2", "hello"))
    assert drain(clean_db, TrackerStoreSource(tracker_store.url())) == 8
    tracker_store.save(*turn("s1", "two hoodies"), *turn("s2", "checkout"))
    assert drain(clean_db, TrackerStoreSource(tracker_store.url())) == 8  # a new source: the position is kept
    assert drain(clean_db, TrackerStoreSource(tracker_store.url())) == 0
    assert texts(clean_db) == [
        ("in", "hi"),
        ("out", "re: hi"),
        ("in", "hello"),
        ("out", "re: hello"),
        ("in", "two hoodies"),
        ("out", "re: two hoodies"),
        ("in", "checkout"),
        ("out", "re: checkout"),
    ]
    with clean_db.reading() as session:
        assert session.get(ConsumerPosition, TrackerStoreSource.name).position == 16
    reset_position(clean_db, TrackerStoreSource.name)
    assert drain(clean_db, TrackerStoreSource(tracker_store.url())) == 16
    assert len(texts(clean_db)) == 8  # read again, recorded once


def test_moving_from_the_sql_broker_to_the_tracker_store_records_nothing_twice(clean_db, tracker_store, tmp_path):
    """An installation that used Rasa's SQL event broker reads the tracker store from its start after the upgrade:
    the same events, so the same keys."""
    events = [*turn("s1", "hi"), *turn("s1", "what do you sell")]
    tracker_store.save(*events)
    with sqlite3.connect(tmp_path / "rasa_events.db") as c:
        c.execute("CREATE TABLE events (id INTEGER NOT NULL PRIMARY KEY, sender_id VARCHAR(255), data TEXT)")
        c.executemany("INSERT INTO events (sender_id, data) VALUES (?, ?)", [("s1", json.dumps(e)) for e in events])
    drain(clean_db, SqlBrokerSource(f"sqlite:///{tmp_path / 'rasa_events.db'}"))
    before = texts(clean_db)
    assert drain(clean_db, TrackerStoreSource(tracker_store.url())) == 8
    assert texts(clean_db) == before and len(before) == 4


def test_forgetting_the_newest_conversation_does_not_hand_its_ids_out_again(clean_db, tracker_store):
    """SQLite numbers a new row after the highest id left: were the forgotten person's newest rows deleted, the next
    turns would get ids the consumer has read past, and never be recorded."""
    tracker_store.save(*turn("keep", "hi"), *turn("forget-me", "I am Zephyrine, 17 Marmalade Crescent"))
    drain(clean_db, TrackerStoreSource(tracker_store.url()))
    assert forget_in_tracker_store(tracker_store.url(), ["forget-me"]) == 4
    tracker_store.save(*turn("next", "do you have hoodies"))
    drain(clean_db, TrackerStoreSource(tracker_store.url()))
    assert [t for t in texts(clean_db) if "Zephyrine" not in t[1]][-2:] == [
        ("in", "do you have hoodies"),
        ("out", "re: do you have hoodies"),
    ]
    with sqlite3.connect(tracker_store.path) as c:
        rows = c.execute("SELECT id, sender_id, type_name, intent_name, action_name, data FROM events").fetchall()
    assert [r[0] for r in rows] == [1, 2, 3, 4, 8, 9, 10, 11, 12]
    assert rows[4] == (8, "forgotten", "action", None, "action_listen", '{"event": "action", "name": "action_listen"}')
    assert not any("Zephyrine" in str(r) or "forget-me" in str(r) for r in rows)


def test_forgetting_an_older_conversation_deletes_all_of_it(clean_db, tracker_store):
    tracker_store.save(*turn("forget-me", "hi"), *turn("keep", "hello"))
    assert forget_in_tracker_store(tracker_store.url(), ["forget-me"]) == 4
    with sqlite3.connect(tracker_store.path) as c:
        assert c.execute("SELECT DISTINCT sender_id FROM events").fetchall() == [("keep",)]


def test_a_tracker_store_rasa_has_not_created_yet(clean_db, tmp_path):
    assert consume_batch(clean_db, TrackerStoreSource(f"sqlite:///{tmp_path / 'none.db'}"), shop_secret="") == 0
    assert forget_in_tracker_store(f"sqlite:///{tmp_path / 'none.db'}", ["s1"]) == 0
