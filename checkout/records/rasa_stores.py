"""Erasing a person's conversations from Rasa's own tables (tracker store and SQL event broker)."""

from __future__ import annotations

import json

from sqlalchemy import (
    Column,
    Connection,
    Delete,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Update,
    create_engine,
    delete,
    inspect,
    select,
    update,
)

from checkout.db.database import sqlalchemy_url
from checkout.records.sql_source import BROKER_EVENTS

# Both of Rasa's SQL stores name their table `events`; they live in different databases.
_TRACKER_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
FORGOTTEN_SENDER = "forgotten"
FORGOTTEN_EVENT = json.dumps({"event": "forgotten", "sender_id": FORGOTTEN_SENDER})
# What stays of the newest row of a forgotten person in the tracker store: an event Rasa can read, of nobody.
_PLACEHOLDER = {
    "sender_id": FORGOTTEN_SENDER,
    "type_name": "action",
    "intent_name": None,
    "action_name": "action_listen",
    "data": json.dumps({"event": "action", "name": "action_listen"}),
}


def forget_in_tracker_store(url: str, sender_ids: list[str]) -> int:
    """Deletes the conversations: Rasa starts afresh if the person writes again. On SQLite the table's newest row,
    when it is theirs, is blanked instead: SQLite gives a new row the highest id plus one, so deleting the newest
    rows would hand their ids out again, below the position of the records consumer that follows this table."""
    if not sender_ids:
        return 0
    engine = create_engine(sqlalchemy_url(url), hide_parameters=True)  # no chat ids or texts in errors
    try:
        if not inspect(engine).has_table("events"):
            return 0
        with engine.begin() as connection:
            newest = _newest_if_theirs(connection, sender_ids) if engine.dialect.name == "sqlite" else None
            theirs = _TRACKER_EVENTS.c.sender_id.in_(sender_ids)
            statement = delete(_TRACKER_EVENTS).where(theirs, _TRACKER_EVENTS.c.id != (newest or 0))
            erased = _execute(connection, statement)
            if newest is not None:
                erased += _execute(
                    connection, update(_TRACKER_EVENTS).where(_TRACKER_EVENTS.c.id == newest).values(_PLACEHOLDER)
                )
            return erased
    finally:
        engine.dispose()


def _newest_if_theirs(connection: Connection, sender_ids: list[str]) -> int | None:
    newest = connection.execute(
        select(_TRACKER_EVENTS.c.id, _TRACKER_EVENTS.c.sender_id).order_by(_TRACKER_EVENTS.c.id.desc()).limit(1)
    ).first()
    return newest.id if newest is not None and newest.sender_id in sender_ids else None


def forget_in_sql_broker(url: str, sender_ids: list[str]) -> int:
    """Blanks the events instead of deleting them: SQLite may reuse the id of a deleted last row, and the
    records consumer reads by id."""
    if not sender_ids:
        return 0
    engine = create_engine(sqlalchemy_url(url), hide_parameters=True)  # no chat ids or texts in errors
    try:
        if not inspect(engine).has_table("events"):
            return 0
        with engine.begin() as connection:
            statement = (
                update(BROKER_EVENTS)
                .where(BROKER_EVENTS.c.sender_id.in_(sender_ids))
                .values(sender_id=FORGOTTEN_SENDER, data=FORGOTTEN_EVENT)
            )
            return _execute(connection, statement)
    finally:
        engine.dispose()


def _execute(connection: Connection, statement: Delete | Update) -> int:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA secure_delete = ON")  # overwrite, do not just unlink, the rows
    return connection.execute(statement).rowcount
