"""How we drive the Rasa engine in .venv-rasa: its environment, its endpoints file, its command lines.

Rasa runs on Python 3.10 with SQLAlchemy 1.4, so we never import it; we write its configuration and
start it as a process.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from sqlalchemy.engine import make_url

from checkout.db.database import sqlalchemy_url
from checkout.settings import PROJECT_ROOT, Settings

RASA_BIN = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"
# `rasa run` through cli/rasa_launcher.py, which takes the API token from the environment (RASA_API_TOKEN).
RASA_SERVER = [str(PROJECT_ROOT / ".venv-rasa" / "bin" / "python"), "-m", "cli.rasa_launcher"]


def rasa_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",  # no phoning home, and no network here anyway
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore",
        }
    )
    # Rasa loads our NLU component (nlu_components/, which uses checkout.understanding) by module path.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH", "")]))
    return env


def sql_store_config(url: str) -> dict:
    """Rasa's SQL tracker store and SQL event broker want the URL in pieces; Rasa brings its own driver
    (psycopg2 for PostgreSQL)."""
    parsed = make_url(sqlalchemy_url(url))  # postgres:// as DATABASE_URL accepts it
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database:
            raise ValueError("Rasa's SQL stores need a SQLite file, not an in-memory database")
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return {"type": "SQL", "dialect": "sqlite", "db": parsed.database}
    if backend != "postgresql":
        raise ValueError(f"Rasa's SQL stores support sqlite and postgresql here, not {backend}")
    config: dict[str, str | int | None] = {
        "type": "SQL",
        "dialect": "postgresql",
        "url": parsed.host or "localhost",
        "db": parsed.database,
    }
    if parsed.port:
        config["port"] = parsed.port
    if parsed.username:
        config["username"] = parsed.username
    if parsed.password:
        config["password"] = parsed.password
    return config


LEAN_TRACKER_STORE = "lean_rasa_turns.LeanSQLTrackerStore"


def tracker_store_config(url: str) -> dict:
    """Rasa's SQL tracker store as our LeanSQLTrackerStore (packages/lean_rasa_turns: the same table, rows and
    trackers, less work per turn) when Rasa's environment has it; Rasa's own otherwise: Rasa replaces a class it
    cannot import by an in-memory store, with only a warning, and would lose every conversation and record."""
    config = sql_store_config(url)
    return {**config, "type": LEAN_TRACKER_STORE} if lean_rasa_turns_installed() else config


def lean_rasa_turns_installed() -> bool:
    return any(RASA_BIN.parent.parent.glob("lib/python3*/site-packages/lean_rasa_turns/__init__.py"))


def event_broker_config(settings: Settings) -> dict | None:
    """RabbitMQ when configured; Rasa's SQL event broker when RASA_EVENTS_URL is set; otherwise none.

    Without a broker the records consumer follows the tracker store's own `events` table, which Rasa appends a
    turn's events to in the transaction that saves the turn (checkout/records/sql_source.py). A broker costs each
    turn, before the reply goes out, a second load and replay of the conversation (Rasa's TrackerStore.stream_events
    finds the new events that way) and, for the SQL broker, a commit per event: a quarter of Rasa's time at 20
    shoppers (README, "Measurements"). Several Rasa servers publish to RabbitMQ (cli/layout.py requires it)."""
    if settings.rasa_event_broker_url:
        parts = urlsplit(settings.rasa_event_broker_url)
        if parts.scheme not in ("amqp", "amqps"):
            raise ValueError("RASA_EVENT_BROKER_URL must be an amqp:// URL (RabbitMQ)")
        return {
            "type": "pika",
            "url": parts.hostname or "localhost",
            "port": parts.port or 5672,
            "username": unquote(parts.username or "guest"),
            "password": unquote(parts.password or "guest"),
            "queues": [settings.rasa_event_queue],
        }
    if not settings.rasa_events_url:
        return None
    if _database_identity(settings.rasa_events_url) == _database_identity(settings.rasa_tracker_url):
        raise ValueError(
            "RASA_EVENTS_URL must not be the tracker store's database: Rasa's SQL event broker and "
            "tracker store both use a table named `events`"
        )
    return sql_store_config(settings.rasa_events_url)


def _database_identity(url: str) -> tuple:
    parsed = make_url(sqlalchemy_url(url))
    if parsed.get_backend_name() == "sqlite":
        return ("sqlite", str(Path(parsed.database or "").resolve()))
    return (parsed.get_backend_name(), parsed.host or "localhost", parsed.port or 5432, parsed.database)


def lock_store_config(settings: Settings) -> dict:
    """In-memory locks for one Rasa process; with Redis, our atomic ticket lock (packages/redis_ticket_lock),
    since Rasa 3.6's own Redis lock store can give two servers the same ticket (RasaHQ/rasa#9213)."""
    if not settings.redis_url:
        return {"type": "in_memory"}
    parts = urlsplit(settings.redis_url)
    config: dict[str, str | int | float | bool] = {
        "type": "redis_ticket_lock.AtomicRedisLockStore",
        "url": parts.hostname or "localhost",
        "port": parts.port or 6379,
        "db": int(parts.path.strip("/") or 0),
        "use_ssl": parts.scheme == "rediss",
        "lease_seconds": settings.rasa_lock_lease_seconds,
    }
    if parts.password:
        config["password"] = unquote(parts.password)
    return config


def endpoints_config(settings: Settings) -> dict:
    config = {
        # Not "enable_selective_domain": rasa-sdk 3.11+ answers 449 for a call without the domain and
        # expects a retry with it, which Rasa 3.6 never makes.
        "action_endpoint": {"url": settings.action_server_url},
        "tracker_store": tracker_store_config(settings.rasa_tracker_url),
        "event_broker": event_broker_config(settings),
        "lock_store": lock_store_config(settings),
    }
    return {key: value for key, value in config.items() if value is not None}


def use_wal_for_sqlite(url: str) -> None:
    """WAL journal mode is a property of the SQLite file, so setting it once here makes Rasa's own
    connections use it: readers stop blocking the writer that saves each turn."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        with sqlite3.connect(parsed.database) as connection:
            connection.execute("PRAGMA journal_mode=WAL")


def write_endpoints(settings: Settings, path: Path) -> Path:
    """Rasa's endpoints file for these settings (the root endpoints.yml is the documented default)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    use_wal_for_sqlite(settings.rasa_tracker_url)
    if settings.rasa_events_url and not settings.rasa_event_broker_url:
        use_wal_for_sqlite(settings.rasa_events_url)
    # Only for this user: it holds the tracker store's and the broker's passwords.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file an older version wrote keeps its mode through O_CREAT
    with os.fdopen(descriptor, "w") as file:
        file.write(
            "# Written by `shop run` from the settings; edit .env, not this file.\n"
            + yaml.safe_dump(endpoints_config(settings), sort_keys=False)
        )
    return path


def rasa_run_command(settings: Settings, model: Path, endpoints: Path, port: int | None = None) -> list[str]:
    """Rasa's server. Its API token is not on this command line (every user can read it with `ps`): the launcher
    takes RASA_API_TOKEN from the environment the process is started with (Settings.as_environment)."""
    if not settings.rasa_api_token:
        raise ValueError("Rasa's HTTP API needs a token (see cli.secrets.with_generated_secrets)")
    return [
        *RASA_SERVER,
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(PROJECT_ROOT / "credentials.yml"),
        # The HTTP API lets the seller hand a conversation back to the bot; it refuses calls without the token.
        "--enable-api",
        "--interface",
        settings.rasa_host,
        "--port",
        str(port or settings.rasa_port),
        # Our web app and gateway call Rasa server-side; no browser talks to it directly.
        "--cors",
        settings.web_url,
    ]


def rasa_train_command(out_dir: Path, model_name: str, root: Path = PROJECT_ROOT) -> list[str]:
    return [
        str(RASA_BIN),
        "train",
        "--config",
        str(root / "config.yml"),
        "--domain",
        str(root / "domain.yml"),
        "--data",
        str(root / "data"),
        "--out",
        str(out_dir),
        "--fixed-model-name",
        model_name,
    ]
