"""The records consumer process: follows Rasa's event broker and records every chat message."""

from __future__ import annotations

import logging
import threading

from checkout.db.database import Database
from checkout.records.rabbitmq_source import consume_queue
from checkout.records.sql_source import SqlBrokerSource, consume_batch
from checkout.settings import Settings

log = logging.getLogger(__name__)
POLL_SECONDS = 0.3
MAX_BACKOFF_SECONDS = 30.0


def run_consumer(settings: Settings, db: Database, stop: threading.Event) -> None:
    """Until `stop` is set. Errors (database or broker unavailable) are logged and retried with backoff:
    the position only moves with what was recorded, so a retry loses and doubles nothing."""
    backoff = 1.0
    while not stop.is_set():
        try:
            if settings.rasa_event_broker_url:
                consume_queue(db, settings.rasa_event_broker_url, settings.rasa_event_queue, stop)
            else:
                follow_sql_broker(db, SqlBrokerSource(settings.rasa_events_url), stop)
            backoff = 1.0
        except Exception as exc:  # noqa: BLE001 - the consumer must outlive any single failure
            log.error("records consumer: %s: %s; retrying in %.0f s", type(exc).__name__, exc, backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)


def follow_sql_broker(db: Database, source: SqlBrokerSource, stop: threading.Event) -> None:
    try:
        while not stop.is_set():
            if consume_batch(db, source) == 0:
                stop.wait(POLL_SECONDS)
    finally:
        source.dispose()
