"""Talking to the Rasa server over HTTP: the REST channel for shopper messages, the HTTP API for handoffs.

Used by the web chat, the Telegram gateway and the CLI; none of them imports Rasa.

Scaled out, the calls go to a balancer in front of several Rasa servers, which keeps each conversation on one of
them by the SENDER_HEADER every call about a conversation carries. A server can die in the middle of a turn: the
balancer then answers 502 (or the connection breaks) whether the turn did nothing, ran its actions without saving
the tracker, or saved the tracker and only the answer was lost. `send` recovers such a lost turn (see
`AssistantClient.send`); the actions it may run twice apply each shopper message's changes once (checkout/
message_effects.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from checkout.log_redaction import chat_ref
from checkout.records.redaction import redact_card_numbers
from checkout.tracker_replies import replies_in_tracker

log = logging.getLogger(__name__)

# The balancer hashes on it, so that one conversation stays on one Rasa server (and its lock and its cache).
SENDER_HEADER = "X-Sender-Id"
# Answers of a balancer (or a proxy) whose server died under the request or was down: the turn is lost to us,
# whether or not it ran; the tracker tells which. Not 504: a proxy that gave up waiting leaves the turn running, and
# a copy sent now would run it a second time behind it.
LOST_STATUSES = frozenset({502, 503})
# The connection was refused, reset or closed before an answer. Timeouts are not among them: a slow turn may still
# be running, and a copy sent now would run it a second time behind it (bot/relay.py waits for slow turns).
LOST_CONNECTIONS = (httpx.NetworkError, httpx.RemoteProtocolError)
# Before looking the lost turn up: the balancer's health check needs a moment to notice a dead server.
RECOVERY_PAUSE_SECONDS = 0.5

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


class LostTurn(AssistantUnavailable):
    """No answer from Rasa itself: the server died under the request, or none could be reached (LOST_STATUSES,
    LOST_CONNECTIONS). The turn may have run, in part or in full."""


def rest_body(sender_id: str, text: str, metadata: dict | None) -> dict:
    # A card number typed into the chat never reaches Rasa's tracker (nor, so, any record or log).
    message = redact_card_numbers((text or "")[:MAX_MESSAGE_CHARS])
    return {"sender": sender_id, "message": message, "metadata": metadata or {}}


def with_message_id(metadata: dict | None) -> dict:
    """The metadata with a `message_id` of its own when the caller gave none: a lost turn is found in the tracker
    by it, its actions apply their changes once per id, and its record is kept once."""
    metadata = dict(metadata or {})
    if metadata.get("message_id") is None:
        metadata["message_id"] = new_message_id()
    return metadata


def new_message_id() -> str:
    return uuid.uuid4().hex


def sender_headers(sender_id: str) -> dict[str, str]:
    # Quoted: a header is ASCII on one line, and `shop chat --sender` takes any text. The balancer only hashes it.
    return {SENDER_HEADER: quote(sender_id, safe="")}


def bot_messages(replies: object) -> list[dict]:
    """Rasa's answer as a list of message dicts; anything else in it is dropped."""
    return [m for m in replies if isinstance(m, dict)] if isinstance(replies, list) else []


def unavailable(exc: Exception) -> AssistantUnavailable:
    """The failure as our error, LostTurn when Rasa itself never answered. Named without the URL httpx puts in
    its message, which names the conversation and carries the API token: these messages are logged."""
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        lost, described = status in LOST_STATUSES, f"{status} {exc.response.reason_phrase}"
    else:
        lost, described = isinstance(exc, LOST_CONNECTIONS), str(exc)
    return (LostTurn if lost else AssistantUnavailable)(f"{type(exc).__name__}: {described}")


def conversation_path(sender_id: str, rest: str) -> str:
    return f"/conversations/{quote(sender_id, safe='')}/{rest}"


def short_sender(sender_id: str) -> str:
    """The conversation in a log line: enough to follow it, without the chat id itself."""
    return chat_ref(sender_id)


def recovered(sender_id: str, replies: list[dict] | None, lost: LostTurn) -> list[dict] | None:
    """Logs what a lost turn's tracker said; returns the replies found in it (None: the turn is to be resent)."""
    # A warning: a lost turn means a Rasa server died or was taken out mid-turn, which an operator wants to see.
    if replies is None:
        log.warning(
            "turn of conversation %s lost (%s), not in its tracker: sending it again", short_sender(sender_id), lost
        )
    else:
        log.warning(
            "turn of conversation %s lost (%s) after it ran: %d replies taken from its tracker",
            short_sender(sender_id),
            lost,
            len(replies),
        )
    return replies


class AsyncAssistantClient:
    """The REST channel for asyncio gateways (Telegram, WhatsApp), with one connection pool for the process."""

    def __init__(self, base_url: str, timeout: float = 10.0, api_token: str = ""):
        self.base_url = base_url
        self.api_token = api_token  # Rasa's HTTP API: reading the tracker of a lost turn
        self._http = httpx.AsyncClient(timeout=timeout)

    async def send(self, sender_id: str, text: str, metadata: dict | None = None) -> list[dict]:
        """As AssistantClient.send."""
        body = rest_body(sender_id, text, with_message_id(metadata))
        try:
            return await self._turn(body)
        except LostTurn as lost:
            await asyncio.sleep(RECOVERY_PAUSE_SECONDS)
            replies = recovered(sender_id, await self._replies_in_tracker(sender_id, body["metadata"]), lost)
        return replies if replies is not None else await self._turn(body)

    async def _turn(self, body: dict) -> list[dict]:
        try:
            response = await self._http.post(
                f"{self.base_url}/webhooks/rest/webhook", json=body, headers=sender_headers(body["sender"])
            )
            response.raise_for_status()
            return bot_messages(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise unavailable(exc) from exc

    async def _replies_in_tracker(self, sender_id: str, metadata: dict) -> list[dict] | None:
        try:
            response = await self._http.get(
                self.base_url + conversation_path(sender_id, "tracker"),
                params={"token": self.api_token},
                headers=sender_headers(sender_id),
            )
            response.raise_for_status()
            tracker = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.info("tracker of conversation %s unreadable: %s", short_sender(sender_id), unavailable(exc))
            return None
        return replies_in_tracker(tracker, metadata.get("message_id"), sender_id)

    async def close(self) -> None:
        await self._http.aclose()


@dataclass
class AssistantClient:
    base_url: str
    api_token: str = ""
    timeout: float = 10.0

    def send(self, sender_id: str, text: str, metadata: dict | None = None) -> list[dict]:
        """One shopper message through the REST channel; returns the bot's messages in order (the same shape
        as AsyncAssistantClient.send). The metadata gets a `message_id` when it has none.

        A lost turn (LostTurn) is recovered once: when the conversation's tracker holds the message, its turn ran
        to the end and the replies are taken from there; otherwise the same request is sent again (its actions
        apply their changes once per message id, should they have run). Raises AssistantUnavailable when that
        fails too, and at once for a timeout or an error answer."""
        body = rest_body(sender_id, text, with_message_id(metadata))
        try:
            return self._turn(body)
        except LostTurn as lost:
            time.sleep(RECOVERY_PAUSE_SECONDS)
            replies = recovered(sender_id, self._replies_in_tracker(sender_id, body["metadata"]), lost)
        # Not in the tracker: lost before it ran or before Rasa saved it, so sent once more.
        return replies if replies is not None else self._turn(body)

    def resume_conversation(self, sender_id: str) -> None:
        """Lets the assistant answer again in a conversation it was paused in (after a human handoff).
        The action_listen closes the turns the shopper wrote to the seller, so the next message is read
        as a fresh turn rather than as the continuation of a turn the bot never answered."""
        events = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        self._call("POST", conversation_path(sender_id, "tracker/events"), json=events, api=True, sender_id=sender_id)

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

    def _turn(self, body: dict) -> list[dict]:
        return bot_messages(
            self._json(self._call("POST", "/webhooks/rest/webhook", json=body, sender_id=body["sender"]))
        )

    def _replies_in_tracker(self, sender_id: str, metadata: dict) -> list[dict] | None:
        try:
            tracker = self._json(
                self._call("GET", conversation_path(sender_id, "tracker"), api=True, sender_id=sender_id)
            )
        except AssistantUnavailable as exc:
            log.info("tracker of conversation %s unreadable: %s", short_sender(sender_id), exc)
            return None
        return replies_in_tracker(tracker, metadata.get("message_id"), sender_id)

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: object = None,
        api: bool = False,
        timeout: float | None = None,
        sender_id: str | None = None,
    ) -> httpx.Response:
        """One request; any failure (unreachable, timed out, an error status) is AssistantUnavailable. `api`:
        Rasa's HTTP API, which wants the token; the REST channel does not. `sender_id`: the conversation the call
        is about, for the balancer."""
        params = {"token": self.api_token} if api else None
        headers = sender_headers(sender_id) if sender_id is not None else None
        try:
            response = httpx.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                headers=headers,
                timeout=timeout or self.timeout,
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise unavailable(exc) from exc
        return response

    @staticmethod
    def _json(response: httpx.Response) -> object:
        try:
            return response.json()
        except ValueError as exc:
            raise AssistantUnavailable(f"not JSON, {type(exc).__name__}: {exc}") from exc
