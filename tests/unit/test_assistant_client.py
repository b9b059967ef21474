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


def request_through(transport):
    """httpx.request as the sync client calls it, answered by `transport` instead of a server."""
    return lambda method, url, **kw: httpx.Client(transport=transport).request(
        method, url, params=kw["params"], json=kw["json"]
    )


@pytest.mark.parametrize("body, messages", BODIES)
def test_the_sync_and_async_clients_return_the_same_messages(monkeypatch, body, messages):
    monkeypatch.setattr(httpx, "request", request_through(rasa_answering(body)))
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
    monkeypatch.setattr(httpx, "request", request_through(transport))
    with pytest.raises(AssistantUnavailable, match="JSONDecodeError"):
        AssistantClient("http://rasa").send("s1", "hello")


def test_the_api_token_goes_to_rasas_http_api_only_and_errors_name_their_kind(monkeypatch):
    seen = []

    def rasa(request):
        seen.append((request.method, request.url.raw_path.decode().split("?")[0], request.url.params.get("token")))
        if request.url.path == "/model":
            return httpx.Response(500, json={"message": "no such model"})
        return httpx.Response(200, json={"intent": {"name": "greet"}} if "parse" in request.url.path else [])

    monkeypatch.setattr(httpx, "request", request_through(httpx.MockTransport(rasa)))
    client = AssistantClient("http://rasa", api_token="secret")
    client.send("s1", "hello")
    assert client.parse("hello") == {"intent": {"name": "greet"}}
    client.resume_conversation("web/1 2")
    with pytest.raises(AssistantUnavailable, match="HTTPStatusError"):
        client.load_model("models/x.tar.gz")
    assert seen == [
        ("POST", "/webhooks/rest/webhook", None),
        ("POST", "/model/parse", "secret"),
        ("POST", "/conversations/web%2F1%202/tracker/events", "secret"),
        ("PUT", "/model", "secret"),
    ]
