"""The production layout on one machine, started by the project's own command: `shop run --rasa-instances N
--action-instances M`, with HAProxy, PostgreSQL (databases of its own, dropped afterwards), Redis and RabbitMQ (a
queue of its own). Used by tests/e2e/test_scale_out.py and by scripts/benchmark.py --rasa-instances."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from checkout.catalog.importer import import_catalog
from checkout.db.database import Database, sqlalchemy_url
from checkout.db.migrate import upgrade
from checkout.settings import PROJECT_ROOT
from checkout.statuses import ModelOrigin, ModelState
from checkout.trainer.registry import register_model
from cli.balancer import haproxy_binary
from tests.ports import reserve_consecutive_ports, reserve_port

REDIS = ("127.0.0.1", 6379)
RABBITMQ = ("127.0.0.1", 5672)
SHOP = PROJECT_ROOT / ".venv" / "bin" / "shop"


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.HTTPError, OSError):
            result = condition()
            if result:
                return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {timeout:.0f} s")
        time.sleep(0.2)


def _listening(address: tuple[str, int]) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(address) == 0


def postgres_server_url() -> str:
    """The PostgreSQL server the tests use (TEST_DATABASE_URL's), its maintenance database."""
    url = make_url(sqlalchemy_url(os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"))
    return url.set(database="postgres").render_as_string(hide_password=False)


def missing_engine() -> str | None:
    """What of HAProxy, Redis, RabbitMQ and PostgreSQL is not there to run the layout, or None."""
    if haproxy_binary() is None:
        return "HAProxy is not installed (`make haproxy`)"
    for name, address in (("Redis", REDIS), ("RabbitMQ", RABBITMQ)):
        if not _listening(address):
            return f"{name} is not running on {address[0]}:{address[1]}"
    try:
        with create_engine(postgres_server_url()).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means: no server to run against
        return f"PostgreSQL is not reachable ({type(exc).__name__})"
    return None


@contextlib.contextmanager
def fresh_databases(*names: str):
    """New PostgreSQL databases, dropped afterwards (with whatever still holds a connection to them)."""
    server = create_engine(postgres_server_url(), isolation_level="AUTOCOMMIT")
    urls = []
    with server.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            urls.append(make_url(postgres_server_url()).set(database=name).render_as_string(hide_password=False))
    try:
        yield urls
    finally:
        with server.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@dataclass
class ScaledShop:
    env: dict[str, str]
    database_url: str
    tracker_url: str
    rasa_ports: list[int]
    action_ports: list[int]
    web_url: str
    balancer_url: str
    var_dir: Path
    log_path: Path
    process: subprocess.Popen

    @property
    def db(self) -> Database:
        return Database(self.database_url)

    def rasa_pid(self, port: int) -> int:
        """The process id of the Rasa server on `port` (a child of `shop run`)."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                argv = (entry / "cmdline").read_bytes().split(b"\0")
                # Rasa runs through our launcher (cli/rasa_launcher.py) in Rasa's own environment.
                is_rasa = argv[0].endswith(b".venv-rasa/bin/python") and b"--port" in argv
                if is_rasa and argv[argv.index(b"--port") + 1] == str(port).encode():
                    return int(entry.name)
        raise AssertionError(f"no Rasa server on port {port}")

    def servers_up(self) -> set[str]:
        return {name for name, row in self.haproxy_stats().items() if name != "BACKEND" and row["status"] == "UP"}

    def haproxy_stats(self) -> dict[str, dict[str, str]]:
        """HAProxy's counters per server of the Rasa pool (`show stat` on its stats socket)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.var_dir / "haproxy.sock"))
            s.sendall(b"show stat\n")
            raw = b""
            while chunk := s.recv(65536):
                raw += chunk
        lines = raw.decode().strip().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]
        return {row["svname"]: row for row in rows if row["pxname"] == "rasa_servers"}


@contextlib.contextmanager
def scaled_shop(
    tmp: Path, model: Path, log_path: Path, catalog_csv: bytes, rasa_instances: int = 2, action_instances: int = 2
):
    tag = uuid.uuid4().hex[:10]
    with fresh_databases(f"shop_{tag}", f"tracker_{tag}") as (database_url, tracker_url):
        upgrade(database_url)
        db = Database(database_url)
        with db.transaction() as session:
            assert import_catalog(session, catalog_csv, "EUR").ok
        # The model to serve is the live one: no catalog learning (a training) starts beside the test.
        register_model(db, model, ModelOrigin.START, ModelState.LIVE)
        db.dispose()
        rasa_port, action_port, web_port = reserve_consecutive_ports(3), reserve_consecutive_ports(3), reserve_port()
        env = {
            "DATABASE_URL": database_url,
            "RASA_TRACKER_URL": tracker_url,
            "REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/0",
            "RASA_EVENT_BROKER_URL": f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}/%2F",
            "RASA_EVENT_QUEUE": f"scale_out_{tag}",
            "RASA_PORT": str(rasa_port),
            "ACTION_SERVER_PORT": str(action_port),
            "WEB_PORT": str(web_port),
            "SHOP_VAR_DIR": str(tmp / "var"),
            "SHOP_CATALOG_TERMS_FILE": str(tmp / "var" / "catalog_terms.json"),
            "SHOP_SECRET_KEY": "scale-out-secret",
            "RASA_API_TOKEN": "scale-out-token",
            "SHOP_NAME": "Scale-out Shop",
            # The simulated shoppers all come from 127.0.0.1; real ones have addresses of their own.
            "SHOP_CHAT_LIMIT_PER_ADDRESS": "100000/minute",
        }
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [SHOP, "run", "--rasa-instances", str(rasa_instances), "--action-instances", str(action_instances)],
                env={**os.environ, **env},
                cwd=str(PROJECT_ROOT),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            shop = ScaledShop(
                env,
                database_url,
                tracker_url,
                [rasa_port + i for i in range(1, rasa_instances + 1)],
                [action_port + i for i in range(1, action_instances + 1)],
                f"http://127.0.0.1:{web_port}",
                f"http://127.0.0.1:{rasa_port}",
                tmp / "var",
                log_path,
                process,
            )
            try:
                wait_until(lambda: "| ready:" in log_path.read_text() or process.poll() is not None, 600, "shop run")
                assert process.poll() is None, f"shop run stopped: see {log_path}"
                # HAProxy takes a server in after two passed health checks, a moment after it answers on its port.
                everyone = {f"rasa{i}" for i in range(1, rasa_instances + 1)}
                wait_until(lambda: shop.servers_up() == everyone, 60, "every Rasa server in the balancer")
                yield shop
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
