"""The real stack on free loopback ports: Rasa server, action server and web app, with a fresh database."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from checkout.catalog.importer import import_catalog
from checkout.catalog.terms_file import publish_catalog_terms
from checkout.db.database import Database
from checkout.db.migrate import upgrade
from checkout.settings import PROJECT_ROOT, Settings, load_settings
from cli.processes import Supervisor
from cli.rasa_engine import write_endpoints
from cli.run_command import DEMO_CATALOG, process_specs
from cli.training import ensure_model

ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
            self.process.wait(15)
        assert self.process is None or self.process.returncode == 0, "the consumer must stop cleanly on SIGTERM"


@dataclass
class Stack:
    settings: Settings
    db: Database
    log_path: Path
    consumer: ConsumerProcess | None = field(default=None, repr=False)

    def wait_until(self, condition, timeout: float = 20, what: str = "the records"):
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
        self, message: str, sender: str | None = None, metadata: dict | None = None, timeout: float = 30
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
        return all(httpx.get(u, timeout=5).status_code == 200 for u in urls)


@pytest.fixture(scope="session")
def model() -> Path:
    """The trained model for the current data (trained once, then taken from the cache)."""
    return ensure_model(load_settings(environ={}).model_cache_path)


@contextlib.contextmanager
def running_stack(tmp: Path, model: Path, log_name: str, catalog: Path = DEMO_CATALOG, **overrides):
    """Rasa, the action server, the web app, the trainer and the records consumer on free ports, with fresh
    databases and `catalog` imported (its words published for the NLU component, as after an import)."""
    base = load_settings(environ={}, env_file=tmp / "no.env")
    settings = base.replace(
        **{
            "database_url": f"sqlite:///{tmp / 'shop.db'}",
            "rasa_tracker_url": f"sqlite:///{tmp / 'rasa.db'}",
            "rasa_events_url": f"sqlite:///{tmp / 'rasa_events.db'}",
            "shop_catalog_terms_file": str(tmp / "catalog_terms.json"),
            "rasa_port": free_port(),
            "action_server_port": free_port(),
            "web_port": free_port(),
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
        yield Stack(settings, db, log_path, consumer)
    finally:
        consumer.stop()
        supervisor.stop()
        log.close()
        db.dispose()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, model) -> Stack:
    with running_stack(tmp_path_factory.mktemp("stack"), model, "e2e-stack.log") as running:
        yield running
