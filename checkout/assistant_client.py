"""Talking to the Rasa server over HTTP: the REST channel for shopper messages, the HTTP API for handoffs.

Used by the web chat, the Telegram gateway and the CLI; none of them imports Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import httpx

from checkout.records.redaction import redact_card_numbers

# Longer messages are cut before they reach the NLU model: nobody types more in a chat, and the
# model's cost grows with length.
MAX_MESSAGE_CHARS = 2000


def typed_text(text: object) -> str | None:
    """What a shopper typed, made safe to forward: Rasa reads a leading "/" as an intent command
    (that is how buttons work), so typed "/restart" must reach the NLU model as plain "restart"."""
    if not isinstance(text, str):
        return None
    stripped = text.lstrip()
    return stripped.lstrip("/") if stripped.startswith("/") else text


class AssistantUnavailable(RuntimeError):
    """Rasa did not answer in time or answered with an error."""


def rest_body(sender_id: str, text: str, metadata: dict | None) -> dict:
    # A card number typed into the chat never reaches Rasa's tracker (nor, so, any record or log).
    message = redact_card_numbers((text or "")[:MAX_MESSAGE_CHARS])
    return {"sender": sender_id, "message": message, "metadata": metadata or {}}


def bot_messages(replies: object) -> list[dict]:
    """Rasa's answer as a list of message dicts; anything else in it is dropped."""
    return [m for m in replies if isinstance(m, dict)] if isinstance(replies, list) else []


class AsyncAssistantClient:
    """The REST channel for asyncio gateways (Telegram), with one connection pool for the process."""

    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url
        self._http = httpx.AsyncClient(timeout=timeout)

    async def send(self, sender_id: str, text: str, metadata: dict | None = None) -> list[dict]:
        try:
            response = await self._http.post(
                f"{self.base_url}/webhooks/rest/webhook", json=rest_body(sender_id, text, metadata)
            )
            response.raise_for_status()
            return bot_messages(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise AssistantUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        await self._http.aclose()


@dataclass
class AssistantClient:
    base_url: str
    api_token: str = ""
    timeout: float = 10.0

    def send(self, sender_id: str, text: str, metadata: dict | None = None) -> list[dict]:
        """One shopper message through the REST channel; returns the bot's messages in order (the same shape
        as AsyncAssistantClient.send)."""
        response = self._call("POST", "/webhooks/rest/webhook", json=rest_body(sender_id, text, metadata))
        return bot_messages(self._json(response))

    def resume_conversation(self, sender_id: str) -> None:
        """Lets the assistant answer again in a conversation it was paused in (after a human handoff).
        The action_listen closes the turns the shopper wrote to the seller, so the next message is read
        as a fresh turn rather than as the continuation of a turn the bot never answered."""
        events = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        self._call("POST", f"/conversations/{quote(sender_id, safe='')}/tracker/events", json=events, api=True)

    def parse(self, text: str) -> dict:
        """What the running model makes of a message (`POST /model/parse`: intent, ranking, entities), without
        a turn in any conversation."""
        parsed = self._json(self._call("POST", "/model/parse", json={"text": text}, api=True))
        if not isinstance(parsed, dict):
            raise AssistantUnavailable(f"/model/parse answered {type(parsed).__name__}, not an object")
        return parsed

    def load_model(self, model_file: str, timeout: float = 300.0) -> None:
        """Rasa replaces its model in place (`PUT /model`); conversations carry on with the new one."""
        self._call("PUT", "/model", json={"model_file": model_file}, api=True, timeout=timeout)

    def _call(
        self, method: str, path: str, *, json: object, api: bool = False, timeout: float | None = None
    ) -> httpx.Response:
        """One request; any failure (unreachable, timed out, an error status) is AssistantUnavailable. `api`:
        Rasa's HTTP API, which wants the token; the REST channel does not."""
        params = {"token": self.api_token} if api else None
        try:
            response = httpx.request(
                method, self.base_url + path, params=params, json=json, timeout=timeout or self.timeout
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise AssistantUnavailable(f"{type(exc).__name__}: {exc}") from exc
        return response

    @staticmethod
    def _json(response: httpx.Response) -> object:
        try:
            return response.json()
        except ValueError as exc:
            raise AssistantUnavailable(f"not JSON, {type(exc).__name__}: {exc}") from exc
