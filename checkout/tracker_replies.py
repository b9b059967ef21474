"""A turn's replies read back from Rasa's tracker, in the shape Rasa's REST channel answers them.

When the answer to a turn is lost on the way (the Rasa server died after saving the turn), the tracker still holds
it: the shopper's message (its metadata carries our `message_id`) and the `bot` events that followed. Rasa's REST
channel turns each `bot` event into messages with its CollectingOutputChannel (rasa/core/channels/channel.py,
OutputChannel.send_response); `rest_messages` does the same, so a recovered answer reads like a direct one.
"""

from __future__ import annotations

from typing import Any


def replies_in_tracker(tracker: object, message_id: object, recipient_id: str) -> list[dict] | None:
    """The bot messages that followed the shopper message whose metadata has this `message_id`, up to the next
    shopper message; None when the tracker holds no such message (its turn never ran, or was never saved)."""
    events = tracker.get("events") if isinstance(tracker, dict) else None
    if message_id is None or not isinstance(events, list):
        return None
    start = None
    for index, event in enumerate(events):
        # Telegram's ids are numbers: compared as text, as the records compare them.
        if _kind(event) == "user" and str(_metadata(event).get("message_id")) == str(message_id):
            start = index  # the latest, should the message have been processed twice
    if start is None:
        return None
    replies: list[dict] = []
    for event in events[start + 1 :]:
        if _kind(event) == "user":
            break
        if _kind(event) == "bot":
            replies += rest_messages(event, recipient_id)
    return replies


def rest_messages(event: dict, recipient_id: str) -> list[dict]:
    """What the REST channel answers for one `bot` event: its text (split at blank lines unless it has buttons),
    custom payload, image and attachment, each a message of its own, as CollectingOutputChannel collects them."""
    # BotUttered.message(): the data, the text, then the metadata over them.
    message: dict[str, Any] = {**(event.get("data") or {}), "text": event.get("text"), **_metadata(event)}
    if message.get("image") == message.get("attachment"):
        message["attachment"] = None  # Rasa once copied the image into the attachment; shown once
    collected: list[dict] = []

    def collect(**fields: Any) -> None:
        collected.append({"recipient_id": recipient_id, **{k: v for k, v in fields.items() if v is not None}})

    if message.get("quick_replies"):
        collect(text=message.get("text"), buttons=message["quick_replies"])
    elif message.get("buttons"):
        collect(text=message.get("text"), buttons=message["buttons"])
    elif message.get("text"):
        for part in str(message["text"]).strip().split("\n\n"):
            collect(text=part)
    if message.get("custom"):
        collect(custom=message["custom"])
    if message.get("image"):
        collect(image=message["image"])
    if message.get("attachment"):
        collect(attachment=message["attachment"])
    for element in message.get("elements") or []:
        title, subtitle = element.get("title", ""), element.get("subtitle", "")
        collect(text=f"{title} : {subtitle}", buttons=element.get("buttons", []))
    return collected


def _kind(event: object) -> str | None:
    return event.get("event") if isinstance(event, dict) else None


def _metadata(event: dict) -> dict:
    metadata = event.get("metadata")
    return metadata if isinstance(metadata, dict) else {}
