"""Reading Rasa's SQL event broker table, in id order, from where the consumer stopped."""

from __future__ import annotations

import json
import logging
import time

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, func, inspect, select
from sqlalchemy.orm import Session

from checkout.db.database import Database, sqlalchemy_url
from checkout.db.models import ConsumerPosition
from checkout.records.recorder import apply_event

log = logging.getLogger(__name__)

# Rasa's SQLEventBroker table (rasa/core/brokers/sql.py): the name is fixed by Rasa.
BROKER_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("data", Text),
)
# On PostgreSQL, ids are taken before commit, so a row can become visible after a higher id. A gap is
# waited for this long before the consumer reads past it (on SQLite writes commit in id order).
GAP_WAIT_SECONDS = 5.0


class SqlBrokerSource:
    name = "rasa-sql-broker"

    def __init__(self, url: str):
        self.engine = create_engine(sqlalchemy_url(url))
        self._gap_seen: dict[int, float] = {}
        self._table_exists = False

    def _ready(self) -> bool:
        """Rasa creates the table when it starts; once seen, it is not looked up again on every poll."""
        self._table_exists = self._table_exists or inspect(self.engine).has_table("events")
        return self._table_exists

    def read_after(self, position: int, limit: int) -> list[tuple[int, str]]:
        if not self._ready():
            return []
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(BROKER_EVENTS.c.id, BROKER_EVENTS.c.data)
                .where(BROKER_EVENTS.c.id > position)
                .order_by(BROKER_EVENTS.c.id)
                .limit(limit)
            )
            return [(row.id, row.data) for row in rows]

    def highest_id(self) -> int:
        if not self._ready():
            return 0
        with self.engine.connect() as connection:
            # An aggregate without GROUP BY returns exactly one row.
            return connection.execute(select(func.coalesce(func.max(BROKER_EVENTS.c.id), 0))).scalar_one()

    def readable(self, position: int, rows: list[tuple[int, str]]) -> list[tuple[int, str]]:
        """The rows up to the first gap that may still fill (see GAP_WAIT_SECONDS)."""
        ready, expected = [], position + 1
        for row_id, data in rows:
            if row_id != expected:
                first_seen = self._gap_seen.setdefault(expected, time.monotonic())
                if time.monotonic() - first_seen < GAP_WAIT_SECONDS:
                    break
                self._gap_seen.pop(expected, None)
            ready.append((row_id, data))
            expected = row_id + 1
        return ready

    def dispose(self) -> None:
        self.engine.dispose()


def consume_batch(db: Database, source: SqlBrokerSource, limit: int = 200) -> int:
    """Applies the next events and moves the position in the same transaction. Returns how many were read."""
    with db.transaction() as session:
        position = _position(session, source.name)
        if position.position > source.highest_id():
            # The broker database was replaced (e.g. var/ wiped): start over; applying is idempotent.
            log.warning("broker table is behind the saved position %s: reading it from the start", position.position)
            position.position = 0
        rows = source.readable(position.position, source.read_after(position.position, limit))
        for row_id, data in rows:
            try:
                body = json.loads(data)
            except (TypeError, ValueError):
                log.warning("broker event %s is not JSON; skipped", row_id)
                continue
            apply_event(session, body)
        if rows:
            position.position = rows[-1][0]
        return len(rows)


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
