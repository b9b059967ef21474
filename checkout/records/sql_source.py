"""Reading Rasa's events from one of its SQL tables, in id order, from where the consumer stopped.

Two tables qualify, both named `events` by Rasa with the same `id`, `sender_id` and `data` columns:
- the SQL tracker store's (rasa/core/tracker_store.py), the embedded default: Rasa appends every new event of a
  turn to it in the transaction that saves the turn, never updates one and never deletes one (only forgetting a
  person does, see rasa_stores.py). Its `data` is the event's as_dict(); the sender is the column.
- the SQL event broker's (rasa/core/brokers/sql.py), when RASA_EVENTS_URL is set: the same events, published one
  by one before the tracker store saves them; its `data` carries the sender.
"""

from __future__ import annotations

import json
import logging
import time

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, func, inspect, select
from sqlalchemy.orm import Session

from checkout.db.database import Database, sqlalchemy_url
from checkout.db.models import ConsumerPosition
from checkout.records.recorder import apply_event
from checkout.records.reruns import TurnReruns
from checkout.settings import Settings

log = logging.getLogger(__name__)

# The columns both of Rasa's `events` tables have (the tracker store's has more).
RASA_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("data", Text),
)
BROKER_EVENTS = RASA_EVENTS
# On PostgreSQL, ids are taken before commit, so a row can become visible after a higher id. A gap is
# waited for this long before the consumer reads past it (on SQLite writes commit in id order).
GAP_WAIT_SECONDS = 5.0


class SqlEventSource:
    """One of Rasa's `events` tables; `name` keys the consumer's position in it."""

    name = "rasa-events"

    def __init__(self, url: str):
        self.engine = create_engine(sqlalchemy_url(url), hide_parameters=True)  # no chat texts in errors
        self._gap_seen: dict[int, float] = {}
        self._table_exists = False

    def _ready(self) -> bool:
        """Rasa creates the table when it starts; once seen, it is not looked up again on every poll."""
        self._table_exists = self._table_exists or inspect(self.engine).has_table("events")
        return self._table_exists

    def read_after(self, position: int, limit: int) -> list[tuple[int, str, str]]:
        """(id, sender_id, data) of the next rows."""
        if not self._ready():
            return []
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(RASA_EVENTS.c.id, RASA_EVENTS.c.sender_id, RASA_EVENTS.c.data)
                .where(RASA_EVENTS.c.id > position)
                .order_by(RASA_EVENTS.c.id)
                .limit(limit)
            )
            return [(row.id, row.sender_id, row.data) for row in rows]

    def highest_id(self) -> int:
        if not self._ready():
            return 0
        with self.engine.connect() as connection:
            # An aggregate without GROUP BY returns exactly one row.
            return connection.execute(select(func.coalesce(func.max(RASA_EVENTS.c.id), 0))).scalar_one()

    def readable(self, position: int, rows: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
        """The rows up to the first gap that may still fill (see GAP_WAIT_SECONDS)."""
        ready, expected = [], position + 1
        for row in rows:
            if row[0] != expected:
                first_seen = self._gap_seen.setdefault(expected, time.monotonic())
                if time.monotonic() - first_seen < GAP_WAIT_SECONDS:
                    break
                self._gap_seen.pop(expected, None)
            ready.append(row)
            expected = row[0] + 1
        return ready

    def dispose(self) -> None:
        self.engine.dispose()


class SqlBrokerSource(SqlEventSource):
    name = "rasa-sql-broker"


class TrackerStoreSource(SqlEventSource):
    name = "rasa-tracker-store"


def sql_event_source(settings: Settings) -> SqlEventSource:
    """Rasa's SQL event broker when RASA_EVENTS_URL names one; otherwise the tracker store itself (no broker: see
    cli.rasa_engine.event_broker_config). Not for RabbitMQ (RASA_EVENT_BROKER_URL), which has no table."""
    if settings.rasa_events_url:
        return SqlBrokerSource(settings.rasa_events_url)
    return TrackerStoreSource(settings.rasa_tracker_url)


def consume_batch(
    db: Database, source: SqlEventSource, limit: int = 200, *, shop_secret: str, reruns: TurnReruns | None = None
) -> int:
    """Applies the next events and moves the position in the same transaction. Returns how many were read."""
    with db.transaction() as session:
        position = _position(session, source.name)
        if position.position > source.highest_id():
            # The Rasa database was replaced (e.g. var/ wiped): start over; applying is idempotent.
            log.warning("%s is behind the saved position %s: reading it from the start", source.name, position.position)
            position.position = 0
        rows = source.readable(position.position, source.read_after(position.position, limit))
        for row_id, sender_id, data in rows:
            body = _event(row_id, sender_id, data)
            if body is not None:
                apply_event(session, body, shop_secret, reruns)
        if rows:
            position.position = rows[-1][0]
        return len(rows)


def _event(row_id: int, sender_id: str, data: str) -> dict | None:
    """The event as a broker publishes it: Rasa's as_dict() plus its `sender_id`."""
    try:
        body = json.loads(data)
    except (TypeError, ValueError):
        log.warning("event %s is not JSON; skipped", row_id)
        return None
    if not isinstance(body, dict):
        return None
    body.setdefault("sender_id", sender_id)
    return body


def reset_position(db: Database, source_name: str = SqlBrokerSource.name) -> None:
    """The next run reads the whole stream again (nothing changes: every event is applied once)."""
    with db.transaction() as session:
        _position(session, source_name).position = 0


def _position(session: Session, name: str) -> ConsumerPosition:
    position = session.get(ConsumerPosition, name)
    if position is None:
        position = ConsumerPosition(source=name, position=0)
        session.add(position)
    return position
