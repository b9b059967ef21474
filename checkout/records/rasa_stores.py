"""Erasing a person's conversations from Rasa's own tables (tracker store and SQL event broker)."""

from __future__ import annotations

import json

from sqlalchemy import Column, Delete, Integer, MetaData, String, Table, Update, create_engine, delete, inspect, update

from checkout.db.database import sqlalchemy_url
from checkout.records.sql_source import BROKER_EVENTS

# Both of Rasa's SQL stores name their table `events`; they live in different databases.
_TRACKER_EVENTS = Table("events", MetaData(), Column("id", Integer, primary_key=True), Column("sender_id", String(255)))
FORGOTTEN_EVENT = json.dumps({"event": "forgotten", "sender_id": "forgotten"})


def forget_in_tracker_store(url: str, sender_ids: list[str]) -> int:
    """Deletes the conversations: Rasa starts afresh if the person writes again."""
    if not sender_ids:
        return 0
    return _execute(url, delete(_TRACKER_EVENTS).where(_TRACKER_EVENTS.c.sender_id.in_(sender_ids)))


def forget_in_sql_broker(url: str, sender_ids: list[str]) -> int:
    """Blanks the events instead of deleting them: SQLite may reuse the id of a deleted last row, and the
    records consumer reads by id."""
    if not sender_ids:
        return 0
    return _execute(
        url,
        update(BROKER_EVENTS)
        .where(BROKER_EVENTS.c.sender_id.in_(sender_ids))
        .values(sender_id="forgotten", data=FORGOTTEN_EVENT),
    )


def _execute(url: str, statement: Delete | Update) -> int:
    engine = create_engine(sqlalchemy_url(url))
    try:
        if not inspect(engine).has_table("events"):
            return 0
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA secure_delete = ON")  # overwrite, do not just unlink, the rows
            return connection.execute(statement).rowcount
    finally:
        engine.dispose()
