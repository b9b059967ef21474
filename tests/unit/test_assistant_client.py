"""Both Rasa clients give their callers the same reply shape: the bot's message dicts, nothing else."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from checkout.assistant_client import AssistantClient, AssistantUnavailable, AsyncAssistantClient

BODIES = [
    ([{"text": "hi"}, "stray", {"text": "bye", "buttons": []}], [{"text": "hi"}, {"text": "bye", "buttons": []}]),
    ({"not": "a list"}, []),
    ([], []),
]


def rasa_answering(body):
    return httpx.MockTransport(lambda request: httpx.Response(200, json=body))


def post_through(transport):
    """httpx.post as the sync client calls it, answered by `transport` instead of a server."""
    return lambda url, **kw: httpx.Client(transport=transport).post(url, json=kw["json"])


@pytest.mark.parametrize("body, messages", BODIES)
def test_the_sync_and_async_clients_return_the_same_messages(monkeypatch, body, messages):
    monkeypatch.setattr(httpx, "post", post_through(rasa_answering(body)))
    assert AssistantClient("http://rasa").send("s1", "hello") == messages

    async def send_async():
        client = AsyncAssistantClient("http://rasa")
        client._http = httpx.AsyncClient(transport=rasa_answering(body))
        try:
            return await client.send("s1", "hello")
        finally:
            await client.close()

    assert asyncio.run(send_async()) == messages


def test_an_answer_that_is_not_json_is_an_unavailable_assistant(monkeypatch):
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>proxy error</html>"))
    monkeypatch.setattr(httpx, "post", post_through(transport))
    with pytest.raises(AssistantUnavailable, match="JSONDecodeError"):
        AssistantClient("http://rasa").send("s1", "hello")
