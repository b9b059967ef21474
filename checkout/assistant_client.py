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
        body = rest_body(sender_id, text, metadata)
        try:
            response = httpx.post(f"{self.base_url}/webhooks/rest/webhook", json=body, timeout=self.timeout)
            response.raise_for_status()
            return bot_messages(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise AssistantUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def resume_conversation(self, sender_id: str) -> None:
        """Lets the assistant answer again in a conversation it was paused in (after a human handoff).
        The action_listen closes the turns the shopper wrote to the seller, so the next message is read
        as a fresh turn rather than as the continuation of a turn the bot never answered."""
        self._append_events(sender_id, [{"event": "resume"}, {"event": "action", "name": "action_listen"}])

    def parse(self, text: str) -> dict:
        """What the running model makes of a message (`POST /model/parse`: intent, ranking, entities), without
        a turn in any conversation."""
        try:
            response = httpx.post(
                f"{self.base_url}/model/parse",
                params={"token": self.api_token},
                json={"text": text},
                timeout=self.timeout,
            )
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise AssistantUnavailable(str(exc)) from exc

    def load_model(self, model_file: str, timeout: float = 300.0) -> None:
        """Rasa replaces its model in place (`PUT /model`); conversations carry on with the new one."""
        try:
            response = httpx.put(
                f"{self.base_url}/model",
                params={"token": self.api_token},
                json={"model_file": model_file},
                timeout=timeout,
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise AssistantUnavailable(str(exc)) from exc

    def _append_events(self, sender_id: str, events: list[dict]) -> None:
        url = f"{self.base_url}/conversations/{quote(sender_id, safe='')}/tracker/events"
        try:
            response = httpx.post(url, params={"token": self.api_token}, json=events, timeout=self.timeout)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise AssistantUnavailable(str(exc)) from exc
