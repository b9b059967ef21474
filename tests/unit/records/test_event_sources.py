"""Which of Rasa's event streams the records consumer follows, from the settings."""

from __future__ import annotations

from checkout.customers.forgetting import sql_broker_urls
from checkout.records.consumer import source_description
from checkout.records.sql_source import SqlBrokerSource, TrackerStoreSource, sql_event_source
from checkout.settings import Settings

TRACKER = "sqlite:////srv/shop/rasa.db"
EVENTS = "sqlite:////srv/shop/rasa_events.db"


def test_by_default_the_consumer_follows_the_tracker_store_itself():
    settings = Settings(rasa_tracker_url=TRACKER)
    source = sql_event_source(settings)
    assert isinstance(source, TrackerStoreSource) and str(source.engine.url) == TRACKER
    assert source_description(settings) == "Rasa's tracker store"


def test_rasa_events_url_still_selects_the_sql_event_broker():
    settings = Settings(rasa_tracker_url=TRACKER, rasa_events_url=EVENTS)
    source = sql_event_source(settings)
    assert isinstance(source, SqlBrokerSource) and str(source.engine.url) == EVENTS
    assert source.name != TrackerStoreSource.name  # each keeps its own position
    assert source_description(settings) == "Rasa's SQL event broker"


def test_an_amqp_url_selects_rabbitmq():
    settings = Settings(rasa_events_url=EVENTS, rasa_event_broker_url="amqp://mq", rasa_event_queue="shop")
    assert source_description(settings) == "RabbitMQ queue shop"


def test_forgetting_reaches_the_sql_broker_and_the_file_an_older_installation_left(tmp_path, monkeypatch):
    assert sql_broker_urls(Settings(rasa_events_url=EVENTS)) == [EVENTS]
    monkeypatch.setattr(Settings, "var_dir", property(lambda self: tmp_path))
    assert sql_broker_urls(Settings()) == []
    (tmp_path / "rasa_events.db").touch()
    assert sql_broker_urls(Settings()) == [f"sqlite:///{tmp_path / 'rasa_events.db'}"]
