"""What reaches the logs: no shopper data in database errors (hide_parameters), no chat id in the gateways' lines."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import IntegrityError

from checkout.assistant_client import AssistantUnavailable
from checkout.db.models import Customer
from checkout.log_redaction import chat_ref
from checkout.records import rasa_stores
from checkout.records.sql_source import SqlEventSource
from checkout.settings import Settings

NAME, PHONE, CHAT = "Zephyrine Quokkaberg", "+447700900461", "5550001234"


def test_a_database_error_names_no_value(clean_db):
    with clean_db.transaction() as session:
        session.add(Customer(channel="telegram", channel_user_id=CHAT, name="First"))
    # The same chat twice: a unique key says no.
    with pytest.raises(IntegrityError) as caught, clean_db.transaction() as session:
        session.add(Customer(channel="telegram", channel_user_id=CHAT, name=NAME, phone=PHONE))
    message = str(caught.value)
    assert "INSERT INTO customers" in message  # the statement still says what failed...
    assert NAME not in message and PHONE not in message  # ...but not with whose data


def test_every_engine_of_ours_hides_its_parameters(tmp_path, monkeypatch):
    assert SqlEventSource(f"sqlite:///{tmp_path / 'events.db'}").engine.hide_parameters
    made = []
    real = rasa_stores.create_engine
    monkeypatch.setattr(rasa_stores, "create_engine", lambda *a, **k: made.append(real(*a, **k)) or made[-1])
    rasa_stores.forget_in_tracker_store(f"sqlite:///{tmp_path / 'rasa.db'}", [CHAT])
    rasa_stores.forget_in_sql_broker(f"sqlite:///{tmp_path / 'events.db'}", [CHAT])
    assert len(made) == 2 and all(engine.hide_parameters for engine in made)


class Unreachable:
    async def send(self, sender, text, metadata):
        raise AssistantUnavailable("connection refused")


class BrokenDatabase:
    def transaction(self):
        raise RuntimeError("the database is down")


def test_the_gateways_log_a_chat_by_a_hash_only(caplog):
    from bot.relay import ask_assistant

    gw = SimpleNamespace(
        channel="telegram",
        assistant=Unreachable(),
        settings=Settings(telegram_rasa_timeout_seconds=5),
        db=BrokenDatabase(),
    )
    said = []

    async def say(text):
        said.append(text)

    with caplog.at_level(logging.INFO):
        assert asyncio.run(ask_assistant(gw, CHAT, "hi", {"message_id": 7}, say)) is None
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Rasa did not answer" in logged and "could not record" in logged
    assert CHAT not in logged and chat_ref(CHAT) in logged
    assert said  # the shopper was told
