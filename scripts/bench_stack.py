"""The benchmark's shop: our whole stack as `shop run` starts it, on free loopback ports and fresh SQLite files."""

from __future__ import annotations

import contextlib
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pika
import yaml
from sqlalchemy import func, select

from checkout.catalog.importer import import_catalog
from checkout.catalog.terms_file import publish_catalog_terms
from checkout.db.database import Database
from checkout.db.migrate import upgrade
from checkout.db.models import Message
from checkout.settings import PROJECT_ROOT, Settings, load_settings
from cli.processes import Supervisor
from cli.rasa_engine import write_endpoints
from cli.run_command import DEMO_CATALOG, process_specs
from cli.scenario_runner import free_port
from cli.training import ensure_model

# How Rasa's events reach the records consumer: no broker, the consumer follows the tracker store (the embedded
# default); Rasa's SQL event broker (RASA_EVENTS_URL); RabbitMQ (RASA_EVENT_BROKER_URL).
BROKERS = ("tracker-store", "sql", "rabbitmq")
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
# Rasa's tracker store: ours (packages/lean_rasa_turns, the default where installed), or Rasa's own SQLTrackerStore
# and its own check of action replies, for comparison.
TRACKER_STORES = ("lean", "rasa")


@dataclass
class OurStack:
    settings: Settings
    db: Database
    tracker_store: str  # the class Rasa was given

    @property
    def url(self) -> str:
        return f"{self.settings.rasa_url}/webhooks/rest/webhook"

    def report_records_lag(self, timeout: float = 120) -> None:
        """How long after the last reply the records consumer has every shopper message in the database: it
        follows Rasa's events, so it always trails the conversation a little."""
        done = time.perf_counter()
        with sqlite3.connect(self.settings.rasa_tracker_url.removeprefix("sqlite:///")) as tracker_store:
            expected = tracker_store.execute("SELECT count(*) FROM events WHERE type_name = 'user'").fetchone()[0]
        recorded = 0
        while time.perf_counter() - done < timeout:
            with self.db.reading() as session:
                recorded = session.scalar(select(func.count(Message.id)).where(Message.direction == "in")) or 0
            if recorded >= expected:
                lag = time.perf_counter() - done
                print(f"  records: all {recorded} shopper messages so far recorded {lag:.2f} s after the last reply")
                return
            time.sleep(0.05)
        print(f"  records: only {recorded} of {expected} shopper messages recorded after {timeout:.0f} s")


def bench_settings(tmp: Path, broker: str) -> Settings:
    settings = load_settings(environ={}, env_file=tmp / "none").replace(
        database_url=f"sqlite:///{tmp / 'shop.db'}",
        rasa_tracker_url=f"sqlite:///{tmp / 'rasa.db'}",
        shop_catalog_terms_file=str(tmp / "catalog_terms.json"),
        rasa_port=free_port(),
        action_server_port=free_port(),
        web_port=free_port(),
        shop_secret_key="bench",
        rasa_api_token="bench",
    )
    if broker == "sql":
        return settings.replace(rasa_events_url=f"sqlite:///{tmp / 'rasa_events.db'}")
    if broker == "rabbitmq":
        return settings.replace(rasa_event_broker_url=RABBITMQ_URL, rasa_event_queue=f"bench_{uuid.uuid4().hex[:8]}")
    return settings


def load_shop(settings: Settings) -> Database:
    """Our tables and the demo catalog, with stock enough for any run."""
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    catalog = DEMO_CATALOG.read_text().replace(",10,hoodies,", ",1000000,hoodies,")
    with db.transaction() as session:
        assert import_catalog(session, catalog.encode(), settings.shop_currency).ok
        publish_catalog_terms(session, Path(settings.shop_catalog_terms_file))
    return db


def endpoints_file(settings: Settings, tmp: Path, tracker_store: str) -> Path:
    path = write_endpoints(settings, tmp / "endpoints.yml")
    if tracker_store == "rasa":
        config = yaml.safe_load(path.read_text())
        config["tracker_store"]["type"] = "SQL"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@contextlib.contextmanager
def our_stack(tmp: Path, model: Path | None, broker: str, tracker_store: str, log: IO[str]) -> Iterator[OurStack]:
    """Rasa, the action server, the web app, the trainer and the records consumer, ready to answer."""
    settings = bench_settings(tmp, broker)
    db = load_shop(settings)
    model = model or ensure_model(settings.model_cache_path)
    endpoints = endpoints_file(settings, tmp, tracker_store)
    supervisor = Supervisor(process_specs(settings, model, endpoints), out=log, cwd=str(PROJECT_ROOT))
    supervisor.start()
    try:
        supervisor.wait_ready(timeout=300)
        yield OurStack(settings, db, yaml.safe_load(endpoints.read_text())["tracker_store"]["type"])
    finally:
        supervisor.stop()
        db.dispose()
        if settings.rasa_event_broker_url:
            delete_queue(settings)


def delete_queue(settings: Settings) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(settings.rasa_event_broker_url))
    try:
        connection.channel().queue_delete(queue=settings.rasa_event_queue)
    finally:
        connection.close()
