"""The real stack on reserved loopback ports: Rasa server, action server and web app, with a fresh database.

The session's `model` and `stack` fixtures are in tests/conftest.py, shared with tests/browser/: one session,
one stack. Modules that need a stack of their own (other settings, another catalog) use `running_stack`."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from checkout.catalog.importer import import_catalog
from checkout.catalog.terms_file import publish_catalog_terms
from checkout.db.database import Database
from checkout.db.migrate import upgrade
from checkout.db.models import ConsumerPosition
from checkout.settings import PROJECT_ROOT, Settings, load_settings
from cli.processes import Supervisor
from cli.rasa_engine import write_endpoints
from cli.run_command import DEMO_CATALOG, process_specs
from tests.fake_stripe import API_KEY, WEBHOOK_SECRET, FakeStripe
from tests.ports import reserve_port

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
# A generous bound for what takes well under a second on an idle machine: a deadline only costs time when
# something is wrong, and two cores shared with a Rasa training can be slow by a factor of ten.
WAIT_SECONDS = 60
# The Telegram gateway's "the answer is coming" note after 6 s of Rasa (tested with a fake Rasa in
# tests/integration/test_telegram_gateway.py) would come before the answer whenever a busy machine makes the
# real Rasa that slow; the e2e gateways wait longer before sending it.
GATEWAY_ENV = {"TELEGRAM_RASA_TIMEOUT_SECONDS": "50"}


class ConsumerProcess:
    """The records consumer as `shop run` starts it, but stoppable and restartable by a test."""

    def __init__(self, command: list[str], env: dict[str, str], log):
        self.command, self.env, self.log = command, env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command,
            env={**os.environ, **self.env},
            cwd=str(PROJECT_ROOT),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(WAIT_SECONDS)
        assert self.process is None or self.process.returncode == 0, "the consumer must stop cleanly on SIGTERM"


@dataclass
class Stack:
    settings: Settings
    db: Database
    log_path: Path
    consumer: ConsumerProcess | None = field(default=None, repr=False)

    def wait_until(self, condition, timeout: float = WAIT_SECONDS, what: str = "the records"):
        """Polls `condition(session)` until it is truthy (the consumer records shortly after each turn)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.db.reading() as session:
                result = condition(session)
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not appear within {timeout} s")
            time.sleep(0.2)

    def say(
        self, message: str, sender: str | None = None, metadata: dict | None = None, timeout: float = 120
    ) -> list[dict]:
        """One shopper turn through Rasa's REST channel; returns the bot messages."""
        body = {"sender": sender or "e2e-" + uuid.uuid4().hex[:8], "message": message}
        if metadata is not None:
            body["metadata"] = metadata
        response = httpx.post(f"{self.settings.rasa_url}/webhooks/rest/webhook", json=body, timeout=timeout)
        response.raise_for_status()
        return response.json()

    def healthy(self) -> bool:
        urls = [
            f"{self.settings.rasa_url}/",
            f"{self.settings.web_url}/healthz",
            f"http://{self.settings.action_server_host}:{self.settings.action_server_port}/health",
        ]
        return all(httpx.get(u, timeout=WAIT_SECONDS).status_code == 200 for u in urls)

    def events_file(self) -> str:
        """The SQLite file of the `events` table the records consumer follows: the tracker store's, or the SQL
        event broker's when RASA_EVENTS_URL is set."""
        return (self.settings.rasa_events_url or self.settings.rasa_tracker_url).removeprefix("sqlite:///")

    def caught_up(self, timeout: float = WAIT_SECONDS) -> None:
        """Waits until the records consumer has recorded every event Rasa saved so far (not with RabbitMQ)."""
        with sqlite3.connect(self.events_file()) as c:
            end = c.execute("SELECT max(id) FROM events").fetchone()[0] or 0
        self.wait_until(
            lambda s: (s.scalar(select(func.max(ConsumerPosition.position))) or 0) >= end,
            timeout,
            what=f"the records consumer at event {end}",
        )


def warm_up(settings: Settings, supervisor: Supervisor) -> None:
    """Ready means a conversation turn is answered, not only that each server's port answers: Rasa with its
    model, the action server, the tracker store and the event broker all take part in it. Whatever they load
    on first use is then loaded before any test's own time limits count (the web chat gives Rasa 10 s)."""
    started = time.monotonic()
    response = httpx.post(
        f"{settings.rasa_url}/webhooks/rest/webhook",
        json={"sender": "e2e-warm-up", "message": "hi"},
        timeout=300,
    )
    response.raise_for_status()
    assert response.json(), "Rasa answered the warm-up turn with nothing"
    supervisor.log("e2e", f"warm-up turn answered in {time.monotonic() - started:.1f} s")


@contextlib.contextmanager
def running_stack(tmp: Path, model: Path, log_name: str, catalog: Path = DEMO_CATALOG, **overrides):
    """Rasa, the action server, the web app, the trainer and the records consumer on reserved ports, with
    fresh databases and `catalog` imported (its words published for the NLU component, as after an import)."""
    base = load_settings(environ={}, env_file=tmp / "no.env")
    settings = base.replace(
        **{
            "database_url": f"sqlite:///{tmp / 'shop.db'}",
            "rasa_tracker_url": f"sqlite:///{tmp / 'rasa.db'}",
            "shop_catalog_terms_file": str(tmp / "catalog_terms.json"),
            "rasa_port": reserve_port(),
            "action_server_port": reserve_port(),
            "web_port": reserve_port(),
            "shop_secret_key": "e2e-secret",
            "shop_name": "E2E Shop",
            "rasa_api_token": "e2e-rasa-token",
            **overrides,
        }
    )
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    with db.transaction() as session:
        assert import_catalog(session, catalog.read_bytes(), settings.shop_currency).ok
        publish_catalog_terms(session, Path(settings.shop_catalog_terms_file))
    endpoints = write_endpoints(settings, tmp / "endpoints.yml")
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / log_name
    log = log_path.open("w")
    specs = process_specs(settings, model, endpoints)
    [records] = [s for s in specs if s.name == "records"]
    supervisor = Supervisor([s for s in specs if s.name != "records"], out=log, cwd=str(PROJECT_ROOT))
    consumer = ConsumerProcess(records.command, records.env, log)
    supervisor.start()
    consumer.start()
    try:
        supervisor.wait_ready(timeout=300)
        warm_up(settings, supervisor)
        yield Stack(settings, db, log_path, consumer)
    finally:
        consumer.stop()
        supervisor.stop()
        log.close()
        db.dispose()


@pytest.fixture(scope="session")
def fake_stripe():
    """Stripe's API on loopback for the card payment and promo-code tests."""
    server = FakeStripe().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def card_stack(tmp_path_factory, model, fake_stripe):
    """A shop taking cards (the fake Stripe) and the manual method, with delivery at 4.90 below 100: one stack
    for the card payment and the promo-code tests (a Rasa start saved)."""
    with running_stack(
        tmp_path_factory.mktemp("card-stack"),
        model,
        log_name="e2e-card-stack.log",
        shop_payment_methods="stripe,manual",
        stripe_secret_key=API_KEY,
        stripe_api_base=fake_stripe.url,
        stripe_webhook_secret=WEBHOOK_SECRET,
        shop_delivery_fee="4.90",
        shop_free_delivery_from="100",
    ) as running:
        yield running


TELEGRAM_PROVIDER_TOKEN = "284685063:TEST:e2e-provider-token"


@pytest.fixture(scope="session")
def telegram_shop(tmp_path_factory, model):
    """A shop in Telegram (the fake Bot API and the real gateway) that takes Telegram invoices and the manual method:
    one stack for the invoice and the campaign tests (a Rasa start saved)."""
    from tests.fake_telegram import FakeTelegram
    from tests.telegram_chat import start_gateway, stop_gateway

    with running_stack(
        tmp_path_factory.mktemp("telegram-stack"),
        model,
        log_name="e2e-telegram-stack.log",
        shop_payment_methods="telegram,manual",
        telegram_payment_provider_token=TELEGRAM_PROVIDER_TOKEN,
    ) as stack:
        fake = FakeTelegram()
        log_path = stack.log_path.parent / "e2e-telegram-gateway.log"
        log_path.write_text("")
        gateway = start_gateway(stack.settings, fake, log_path, **GATEWAY_ENV)
        yield type("Telegram", (), dict(fake=fake, stack=stack, log_path=log_path))
        stop_gateway(gateway)
        fake.close()
