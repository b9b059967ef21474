"""Rasa 3.6 broker events as Rasa publishes them (the event's as_dict() plus sender_id), for tests."""

from __future__ import annotations

import itertools

_clock = itertools.count()
# The shop's secret key the tests record with: it keys the hashes of forgotten chats.
SHOP_SECRET = "test-shop-secret"


def stamp() -> float:
    """Increasing timestamps, like Rasa's time.time() per event."""
    return 1_790_000_000.0 + next(_clock) * 0.25


def user_event(
    sender: str,
    text: str,
    intent: str = "greet",
    confidence: float = 0.97,
    entities=None,
    metadata=None,
    timestamp: float | None = None,
    message_id: str | None = None,
    model_id: str | None = None,
    ranking: list[tuple[str, float]] | None = None,
) -> dict:
    """A user event; `model_id` goes where Rasa 3.6 puts it (the event's metadata), `ranking` is the intent ranking
    as (name, confidence), best first (default: the predicted intent alone)."""
    entities = entities or []
    if model_id is not None:
        metadata = {**(metadata or {}), "model_id": model_id}
    ranking = ranking or [(intent, confidence)]
    return {
        "sender_id": sender,
        "event": "user",
        "timestamp": timestamp or stamp(),
        "metadata": metadata or {},
        "text": text,
        "input_channel": "rest",
        "message_id": message_id or f"m{next(_clock)}",
        "parse_data": {
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities,
            "text": text,
            "message_id": message_id,
            "metadata": metadata or {},
            "intent_ranking": [{"name": name, "confidence": score} for name, score in ranking],
        },
    }


def bot_event(sender: str, text: str, response: str | None = "utter_greet", timestamp: float | None = None) -> dict:
    return {
        "sender_id": sender,
        "event": "bot",
        "timestamp": timestamp or stamp(),
        "metadata": {"utter_action": response} if response else {},
        "text": text,
        "data": {
            "elements": None,
            "quick_replies": None,
            "buttons": None,
            "attachment": None,
            "image": None,
            "custom": None,
        },
    }


def other_event(sender: str, kind: str = "action") -> dict:
    return {
        "sender_id": sender,
        "event": kind,
        "timestamp": stamp(),
        "name": "action_listen",
        "policy": None,
        "confidence": None,
        "action_text": None,
        "hide_rule_turn": False,
    }
