"""The configuration we write for the Rasa engine (it runs in its own environment; we never import it)."""

import pytest
import yaml

from checkout.settings import Settings
from cli import rasa_engine
from cli.rasa_engine import (
    endpoints_config,
    event_broker_config,
    lock_store_config,
    rasa_environment,
    rasa_run_command,
    sql_store_config,
    write_endpoints,
)


def test_tracker_store_sqlite_creates_the_directory(tmp_path):
    path = tmp_path / "var" / "rasa.db"
    assert sql_store_config(f"sqlite:///{path}") == {"type": "SQL", "dialect": "sqlite", "db": str(path)}
    assert path.parent.is_dir()
    assert not path.exists()  # Rasa creates the file itself


def test_tracker_store_postgresql_in_pieces():
    assert sql_store_config("postgresql://shop:s3cret@db.internal:5433/shopdb") == {
        "type": "SQL",
        "dialect": "postgresql",
        "url": "db.internal",
        "db": "shopdb",
        "port": 5433,
        "username": "shop",
        "password": "s3cret",
    }


def test_tracker_store_postgresql_minimal():
    assert sql_store_config("postgresql:///shopdb") == {
        "type": "SQL",
        "dialect": "postgresql",
        "url": "localhost",
        "db": "shopdb",
    }


def test_tracker_store_postgresql_password_is_decoded():
    config = sql_store_config("postgresql://shop:p%40ss%3Aword@127.0.0.1/shopdb")
    assert config["password"] == "p@ss:word"
    assert config["url"] == "127.0.0.1"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql+psycopg", "postgresql+psycopg2"])
def test_tracker_store_accepts_the_urls_database_url_accepts(scheme):
    # DATABASE_URL moves the tracker too, and operators write postgres:// (Heroku style) or name a driver.
    config = sql_store_config(f"{scheme}://u:pw@h:5432/d")
    assert config == {
        "type": "SQL",
        "dialect": "postgresql",
        "url": "h",
        "db": "d",
        "port": 5432,
        "username": "u",
        "password": "pw",
    }


def test_tracker_store_refuses_other_engines():
    with pytest.raises(ValueError, match="mysql"):
        sql_store_config("mysql://u:p@h/d")


def test_lock_store_in_memory_without_redis():
    assert lock_store_config(Settings(redis_url="")) == {"type": "in_memory"}


def test_lock_store_is_our_atomic_ticket_lock_on_redis():
    assert lock_store_config(Settings(redis_url="redis://:pw@host:6380/2", rasa_lock_lease_seconds=3.5)) == {
        "type": "redis_ticket_lock.AtomicRedisLockStore",
        "url": "host",
        "port": 6380,
        "db": 2,
        "use_ssl": False,
        "lease_seconds": 3.5,
        "password": "pw",
    }


def test_lock_store_redis_defaults_and_tls():
    config = lock_store_config(Settings(redis_url="redis://localhost"))
    assert (config["url"], config["port"], config["db"], "password" in config) == ("localhost", 6379, 0, False)
    assert lock_store_config(Settings(redis_url="rediss://h"))["use_ssl"] is True


def test_lock_store_redis_password_is_decoded():
    assert lock_store_config(Settings(redis_url="redis://:p%40ss@host:6380/2"))["password"] == "p@ss"


def test_endpoints_config_follows_the_settings(tmp_path):
    settings = Settings(
        action_server_host="10.0.0.5",
        action_server_port=6055,
        rasa_tracker_url=f"sqlite:///{tmp_path / 'rasa.db'}",
        redis_url="redis://r:6379/1",
    )
    config = endpoints_config(settings)
    assert config["action_endpoint"] == {"url": "http://10.0.0.5:6055/webhook"}
    assert config["tracker_store"]["db"] == str(tmp_path / "rasa.db")
    lock_store = config["lock_store"]
    assert (lock_store["type"], lock_store["url"], lock_store["db"]) == (
        "redis_ticket_lock.AtomicRedisLockStore",
        "r",
        1,
    )


def test_write_endpoints_is_yaml_rasa_can_read(tmp_path, monkeypatch):
    monkeypatch.setattr(rasa_engine, "lean_rasa_turns_installed", lambda: False)  # Rasa's own class: see below
    settings = Settings(
        rasa_tracker_url="postgresql://shop:pw@127.0.0.1:5432/shop",
        redis_url="",
        rasa_events_url=f"sqlite:///{tmp_path / 'events.db'}",
    )
    path = write_endpoints(settings, tmp_path / "nested" / "endpoints.yml")
    assert path == tmp_path / "nested" / "endpoints.yml"
    text = path.read_text()
    assert text.startswith("#")
    data = yaml.safe_load(text)
    assert list(data) == ["action_endpoint", "tracker_store", "event_broker", "lock_store"]
    assert data["action_endpoint"]["url"] == "http://127.0.0.1:5055/webhook"
    assert data["tracker_store"] == {
        "type": "SQL",
        "dialect": "postgresql",
        "url": "127.0.0.1",
        "db": "shop",
        "port": 5432,
        "username": "shop",
        "password": "pw",
    }
    assert data["lock_store"] == {"type": "in_memory"}
    assert data["event_broker"] == {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "events.db")}


@pytest.mark.parametrize("installed", [True, False])
def test_the_tracker_store_is_ours_only_where_rasas_environment_has_it(monkeypatch, installed):
    monkeypatch.setattr(rasa_engine, "lean_rasa_turns_installed", lambda: installed)
    config = endpoints_config(Settings(rasa_tracker_url="postgresql://shop:pw@db:5432/shop"))["tracker_store"]
    assert config["type"] == ("lean_rasa_turns.LeanSQLTrackerStore" if installed else "SQL")
    assert {k: v for k, v in config.items() if k != "type"} == {
        "dialect": "postgresql",
        "url": "db",
        "db": "shop",
        "port": 5432,
        "username": "shop",
        "password": "pw",
    }


def test_no_event_broker_by_default_the_records_consumer_follows_the_tracker_store(tmp_path):
    settings = Settings(rasa_tracker_url=f"sqlite:///{tmp_path / 'rasa.db'}")
    assert event_broker_config(settings) is None
    data = yaml.safe_load(write_endpoints(settings, tmp_path / "endpoints.yml").read_text())
    assert list(data) == ["action_endpoint", "tracker_store", "lock_store"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["endpoints.yml", "rasa.db"]  # no broker file either


def test_event_broker_is_rabbitmq_when_an_amqp_url_is_set():
    settings = Settings(rasa_event_broker_url="amqp://shop:p%40ss@mq.internal:5673/%2F", rasa_event_queue="shop_events")
    assert event_broker_config(settings) == {
        "type": "pika",
        "url": "mq.internal",
        "port": 5673,
        "username": "shop",
        "password": "p@ss",
        "queues": ["shop_events"],
    }
    with pytest.raises(ValueError, match="amqp"):
        event_broker_config(Settings(rasa_event_broker_url="kafka://k:9092"))


@pytest.mark.parametrize("events_url", ["postgresql://u:p@db:5432/shop", "postgres://other:x@db/shop"])
def test_the_sql_event_broker_never_shares_the_tracker_stores_database(events_url):
    # Both of Rasa's SQL stores use a table named `events`: sharing a database would mix them.
    settings = Settings(rasa_tracker_url="postgresql://u:p@db:5432/shop", rasa_events_url=events_url)
    with pytest.raises(ValueError, match="RASA_EVENTS_URL"):
        event_broker_config(settings)
    assert (
        event_broker_config(settings.replace(rasa_events_url="postgresql://u:p@db:5432/shop_events"))["db"]
        == "shop_events"
    )


def test_rasa_environment_switches_off_telemetry():
    env = rasa_environment({"PATH": "/usr/bin", "RASA_TELEMETRY_ENABLED": "true"})
    assert env["PATH"] == "/usr/bin"
    assert env["RASA_TELEMETRY_ENABLED"] == "false"


def test_rasa_run_command_uses_the_settings(tmp_path):
    settings = Settings(rasa_host="127.0.0.2", rasa_port=5099, rasa_api_token="t0ken")
    command = rasa_run_command(settings, tmp_path / "m.tar.gz", tmp_path / "endpoints.yml")
    assert command[1:4] == ["-m", "cli.rasa_launcher", "run"]
    assert "t0ken" not in command and "--auth-token" not in command  # the launcher adds it from the environment
    assert command[command.index("--model") + 1] == str(tmp_path / "m.tar.gz")
    assert command[command.index("--endpoints") + 1] == str(tmp_path / "endpoints.yml")
    assert command[command.index("--interface") + 1] == "127.0.0.2"
    assert command[command.index("--port") + 1] == "5099"


def test_rasa_api_is_never_started_without_a_token(tmp_path):
    with pytest.raises(ValueError):
        rasa_run_command(Settings(), tmp_path / "m.tar.gz", tmp_path / "endpoints.yml")
