"""The records consumer process: follows Rasa's events and records every chat message."""

from __future__ import annotations

import logging
import threading

from checkout.db.database import Database
from checkout.records.rabbitmq_source import consume_queue
from checkout.records.reruns import TurnReruns
from checkout.records.sql_source import SqlEventSource, consume_batch, sql_event_source
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
            secret = settings.shop_secret_key  # keys the hashes of forgotten chats
            if settings.rasa_event_broker_url:
                consume_queue(db, settings.rasa_event_broker_url, settings.rasa_event_queue, stop, shop_secret=secret)
            else:
                follow_sql_table(db, sql_event_source(settings), stop, secret)
            backoff = 1.0
        except Exception as exc:  # noqa: BLE001 - the consumer must outlive any single failure
            log.error("records consumer: %s: %s; retrying in %.0f s", type(exc).__name__, exc, backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)


def follow_sql_table(db: Database, source: SqlEventSource, stop: threading.Event, shop_secret: str) -> None:
    reruns = TurnReruns()
    try:
        while not stop.is_set():
            if consume_batch(db, source, shop_secret=shop_secret, reruns=reruns) == 0:
                stop.wait(POLL_SECONDS)
    finally:
        source.dispose()


def source_description(settings: Settings) -> str:
    if settings.rasa_event_broker_url:
        return f"RabbitMQ queue {settings.rasa_event_queue}"
    return "Rasa's SQL event broker" if settings.rasa_events_url else "Rasa's tracker store"
