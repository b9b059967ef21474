"""A turn lost with its Rasa server (the balancer answers 502, or the connection breaks) is recovered by both Rasa
clients, against a fake Rasa on loopback: from the tracker when the turn ran, by sending it once more when it did
not, and never for a timeout. Every call about a conversation names it for the balancer."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

import checkout.assistant_client
from checkout.assistant_client import (
    SENDER_HEADER,
    AssistantClient,
    AssistantUnavailable,
    AsyncAssistantClient,
    short_sender,
)
from tests.fake_rasa import FakeRasa, LostTurn, closed_port

TOKEN = "api-token"
SENDER = "web-ana/1 2"  # quoted in paths and in the header
QUOTED = "web-ana%2F1%202"


def replies(body: dict) -> list[dict]:
    """What Rasa's REST channel answers: one message per text, per message with buttons, per image."""
    sender = body["sender"]
    return [
        {"recipient_id": sender, "text": f"echo: {body['message']}"},
        {"recipient_id": sender, "text": "Which one?", "buttons": [{"title": "Hoodies", "payload": "/browse"}]},
        {"recipient_id": sender, "image": "https://images.example/hoodie.png"},
    ]


@pytest.fixture(autouse=True)
def quick_recovery(monkeypatch):
    monkeypatch.setattr(checkout.assistant_client, "RECOVERY_PAUSE_SECONDS", 0.01)


@pytest.fixture
def rasa():
    fake = FakeRasa(replies, api_token=TOKEN)
    yield fake
    fake.close()


@pytest.fixture(params=["sync", "async"])
def client(request):
    """`client(port)` gives a send(sender, text, metadata) of the sync or the async client."""

    def make(port: int, token: str = TOKEN, timeout: float = 5.0):
        url = f"http://127.0.0.1:{port}"
        if request.param == "sync":
            return AssistantClient(url, token, timeout).send

        def send(*args):
            async def turn():
                async_client = AsyncAssistantClient(url, timeout=timeout, api_token=token)
                try:
                    return await async_client.send(*args)
                finally:
                    await async_client.close()

            return asyncio.run(turn())

        return send

    return make


def rest_calls(fake: FakeRasa) -> list[tuple[str, str, str | None]]:
    return [seen for seen in fake.seen if seen[1] == "/webhooks/rest/webhook"]


def tracker_reads(fake: FakeRasa) -> list[tuple[str, str, str | None]]:
    return [seen for seen in fake.seen if seen[0] == "GET"]


def test_a_turn_lost_after_it_ran_is_answered_from_the_tracker_without_a_resend(rasa, client):
    rasa.lost_turns = [LostTurn(502, after_turn=True)]
    answered = client(rasa.port)(SENDER, "hoodies?", {"channel": "web", "message_id": "m-1"})
    assert answered == replies({"sender": SENDER, "message": "hoodies?"})
    assert [body["metadata"]["message_id"] for body in rasa.received] == ["m-1"]  # sent once
    assert tracker_reads(rasa) == [("GET", f"/conversations/{QUOTED}/tracker", QUOTED)]


@pytest.mark.parametrize("lost", [LostTurn(502), LostTurn(503), LostTurn(None)], ids=str)
def test_a_turn_lost_before_it_ran_is_sent_once_more_with_the_same_metadata(rasa, client, lost):
    rasa.lost_turns = [lost]
    answered = client(rasa.port)(SENDER, "hoodies?", {"channel": "web", "message_id": "m-1"})
    assert answered == replies({"sender": SENDER, "message": "hoodies?"})
    assert [body["metadata"] for body in rasa.received] == [{"channel": "web", "message_id": "m-1"}] * 2
    assert len(tracker_reads(rasa)) == 1
    assert [e["event"] for e in rasa.trackers[SENDER]].count("user") == 1  # the turn ran once


def test_a_turn_lost_twice_is_unavailable_after_one_resend(rasa, client):
    rasa.lost_turns = [LostTurn(None), LostTurn(502)]
    with pytest.raises(AssistantUnavailable, match="502"):
        client(rasa.port)(SENDER, "hoodies?", {"message_id": "m-1"})
    assert len(rasa.received) == 2


def test_rasa_refusing_connections_is_unavailable(client):
    started = time.monotonic()
    with pytest.raises(AssistantUnavailable, match="ConnectError"):
        client(closed_port())(SENDER, "hoodies?", {"message_id": "m-1"})
    assert time.monotonic() - started < 3


def test_a_slow_turn_is_not_sent_again(client):
    def slow(body):
        time.sleep(1.0)
        return replies(body)

    fake = FakeRasa(slow, api_token=TOKEN)
    try:
        with pytest.raises(AssistantUnavailable, match="Timeout"):
            client(fake.port, timeout=0.3)(SENDER, "hoodies?", {"message_id": "m-1"})
        time.sleep(1.2)  # the slow turn ends; nothing else arrives
        assert len(fake.received) == 1 and tracker_reads(fake) == []
    finally:
        fake.close()


def test_an_error_answer_is_not_sent_again(rasa, client):
    rasa.lost_turns = [LostTurn(500)]
    with pytest.raises(AssistantUnavailable, match="500"):
        client(rasa.port)(SENDER, "hoodies?", {"message_id": "m-1"})
    assert len(rasa.received) == 1 and tracker_reads(rasa) == []


def test_an_unreadable_tracker_means_the_turn_is_sent_again(rasa, client):
    rasa.lost_turns = [LostTurn(502)]
    answered = client(rasa.port, token="wrong")(SENDER, "hoodies?", {"message_id": "m-1"})
    assert answered == replies({"sender": SENDER, "message": "hoodies?"})
    assert len(rasa.received) == 2


def test_every_message_gets_an_id_of_its_own_unless_it_has_one(rasa, client):
    send = client(rasa.port)
    send(SENDER, "one")
    send(SENDER, "two", {"channel": "web"})
    send(SENDER, "three", {"message_id": 42})
    ids = [body["metadata"]["message_id"] for body in rasa.received]
    assert len(set(ids)) == 3 and ids[2] == 42
    assert all(isinstance(i, str) and len(i) == 32 for i in ids[:2])
    assert rasa.received[1]["metadata"]["channel"] == "web"


def test_a_telegram_message_id_is_found_in_the_tracker_whatever_its_type(rasa, client):
    rasa.lost_turns = [LostTurn(502, after_turn=True)]
    assert client(rasa.port)(SENDER, "hi", {"message_id": 7})[0]["text"] == "echo: hi"
    assert len(rasa.received) == 1


def test_every_call_about_a_conversation_names_it_for_the_balancer(rasa):
    client = AssistantClient(f"http://127.0.0.1:{rasa.port}", TOKEN)
    rasa.lost_turns = [LostTurn(502)]
    client.send(SENDER, "hi")
    client.resume_conversation(SENDER)
    rasa.failing_loads = True
    with pytest.raises(AssistantUnavailable):
        client.load_model("models/x.tar.gz")
    assert rasa.seen == [
        ("POST", "/webhooks/rest/webhook", QUOTED),
        ("GET", f"/conversations/{QUOTED}/tracker", QUOTED),
        ("POST", "/webhooks/rest/webhook", QUOTED),
        ("POST", f"/conversations/{QUOTED}/tracker/events", QUOTED),
        ("PUT", "/model", None),  # about no conversation: any server takes it
    ]
    assert SENDER_HEADER == "X-Sender-Id"


def test_the_async_client_names_the_conversation_too(rasa, client):
    rasa.lost_turns = [LostTurn(502)]
    client(rasa.port)("12345", "hi")
    assert {header for _, _, header in rasa.seen} == {"12345"}


def test_a_recovery_is_logged_without_the_sender_or_the_text(rasa, client, caplog):
    rasa.lost_turns = [LostTurn(502, after_turn=True), LostTurn(502)]
    with caplog.at_level(logging.INFO, logger="checkout.assistant_client"):
        send = client(rasa.port)
        send(SENDER, "my secret address", {"message_id": "m-1"})
        send(SENDER, "my secret address", {"message_id": "m-2"})
        rasa.lost_turns = [LostTurn(502)]
        client(rasa.port, token="wrong-token")(SENDER, "my secret address", {"message_id": "m-3"})
    lines = [r.getMessage() for r in caplog.records if r.name == "checkout.assistant_client"]
    assert len(lines) == 4
    assert "taken from its tracker" in lines[0] and "sending it again" in lines[1]
    assert "unreadable: HTTPStatusError: 401 Unauthorized" in lines[2] and "sending it again" in lines[3]
    assert all(short_sender(SENDER) in line for line in lines)
    assert not any(secret in line for line in lines for secret in ("secret", "web-ana", QUOTED, TOKEN, "wrong-token"))
