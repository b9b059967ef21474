"""Rasa's event stream, read: which broker events are chat messages, and what they say.

A broker event is Rasa's event as a dict plus its `sender_id` (the same from the SQL event broker and from
RabbitMQ). Only `user` and `bot` events become records; slots, actions and the rest are Rasa's own state.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from checkout.customers.identity import ShopperIdentity
from checkout.records.redaction import redact_card_numbers, redact_mapping

MAX_TEXT = 20_000  # gateways cut messages long before this; a record is never unbounded
ENTITY_FIELDS = ("entity", "value", "start", "end", "role", "group")
# The trainer's inbox shows the top 3 and measures the margin between the first two; 5 leave room.
RANKING_LENGTH = 5


@dataclass(frozen=True)
class ChatEvent:
    key: str  # unique per event, so an event consumed twice is applied once
    sender_id: str
    direction: str  # "in" from the shopper, "out" to the shopper
    at: datetime
    text: str | None
    identity: ShopperIdentity | None = None  # for shopper messages: who wrote, from the channel's metadata
    intent: str | None = None
    confidence: float | None = None
    entities: list | None = None
    model_id: str | None = None  # the model that parsed it (Rasa's model_id in the event's metadata)
    intent_ranking: list | None = None  # [{"name", "confidence"}], best first
    response_name: str | None = None
    channel_message_id: str | None = None


def inbound_key(channel: str, sender_id: str, channel_message_id: str) -> str:
    """A shopper message's key from its channel's id, so the gateway's own record of a message Rasa never
    answered and Rasa's event for the same message are one record."""
    return "in:" + _digest(f"{channel}\0{sender_id}\0{channel_message_id}")


def parse_event(body: dict) -> ChatEvent | None:
    """The chat message in a broker event, or None for every other event (and for anything malformed)."""
    if not isinstance(body, dict) or body.get("event") not in ("user", "bot"):
        return None
    sender_id = body.get("sender_id")
    if not isinstance(sender_id, str) or not sender_id:
        return None
    at = _timestamp(body.get("timestamp"))
    text = body.get("text") if isinstance(body.get("text"), str) else None
    text = redact_card_numbers(text[:MAX_TEXT]) if text is not None else None
    raw_metadata = body.get("metadata")
    metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}  # JSON: values of any type
    if body["event"] == "bot":
        response = metadata.get("utter_action")
        return ChatEvent(
            key="ev:" + _digest(_canonical(body)),
            sender_id=sender_id[:255],
            direction="out",
            at=at,
            text=text,
            response_name=str(response)[:100] if response else None,
        )
    identity = ShopperIdentity.from_rasa(sender_id, body.get("input_channel"), metadata)
    channel_message_id = metadata.get("message_id") or body.get("message_id")
    key = (
        inbound_key(identity.channel, identity.sender_id, str(metadata["message_id"]))
        if metadata.get("message_id") is not None
        else "ev:" + _digest(_canonical(body))
    )
    raw_parse_data = body.get("parse_data")
    parse_data: dict[str, Any] = raw_parse_data if isinstance(raw_parse_data, dict) else {}
    raw_intent = parse_data.get("intent")
    intent: dict[str, Any] = raw_intent if isinstance(raw_intent, dict) else {}
    return ChatEvent(
        key=key,
        sender_id=identity.sender_id,
        direction="in",
        at=at,
        text=text,
        identity=identity,
        intent=str(intent["name"])[:64] if intent.get("name") else None,
        confidence=float(intent["confidence"]) if isinstance(intent.get("confidence"), (int, float)) else None,
        entities=_entities(parse_data.get("entities")),
        model_id=metadata["model_id"][:64] if isinstance(metadata.get("model_id"), str) else None,
        intent_ranking=_ranking(parse_data.get("intent_ranking")),
        channel_message_id=str(channel_message_id)[:100] if channel_message_id is not None else None,
    )


def _entities(raw: object) -> list | None:
    if not isinstance(raw, list):
        return None
    entities = [
        redact_mapping({k: e[k] for k in ENTITY_FIELDS if e.get(k) is not None})
        for e in raw
        if isinstance(e, dict) and e.get("entity")
    ]
    return entities or None


def _ranking(raw: object) -> list | None:
    """The top intents with confidences rounded to 4 places: enough to tell two intents apart, and short."""
    if not isinstance(raw, list):
        return None
    ranking = [
        {"name": str(item["name"])[:64], "confidence": round(float(item["confidence"]), 4)}
        for item in raw
        if isinstance(item, dict) and item.get("name") and _finite(item.get("confidence"))
    ]
    return ranking[:RANKING_LENGTH] or None


def _finite(value: object) -> bool:
    # NaN is not JSON: PostgreSQL refuses it, and a ranking is no place for it anyway.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _timestamp(raw: object) -> datetime:
    if isinstance(raw, (int, float)) and raw > 0:
        return datetime.fromtimestamp(raw, tz=UTC)
    return datetime.now(UTC)


def _canonical(body: dict) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40]
