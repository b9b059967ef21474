"""Meta's WhatsApp webhook payloads, built the way Meta delivers them, and the signature they carry.

Tests feed these to our webhook endpoint instead of hand-writing JSON, so every test speaks the same, documented
shape: a `whatsapp_business_account` object whose `entry[].changes[].value` holds `metadata`, `contacts` and
`messages` (what customers send) or `statuses` (what became of what we sent). Each message builder returns one
`message` dict; `envelope` wraps messages and statuses into the whole payload, deriving `contacts` from the
senders. `encode` serialises as Meta does (ASCII-only, `\\/` for slashes), so an endpoint that checks the
signature against a re-serialised body instead of the raw bytes fails here as it would in production;
`signature` and `signed_post` sign with the app secret (X-Hub-Signature-256).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

WABA_ID = "102290129340398"  # the WhatsApp Business Account: the entry's id
PHONE_NUMBER_ID = "109876543210"  # the business number's id, as the fake Cloud API serves it by default
DISPLAY_PHONE_NUMBER = "15550783881"
DEFAULT_NAME = "Ana Lima"
SIGNATURE_HEADER = "X-Hub-Signature-256"
WEBHOOK_PATH = "/webhooks/whatsapp"  # where a Flask test client posts unless told otherwise
HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
OUTSIDE_WINDOW_DETAILS = (
    "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
)


class Message(dict):
    """One webhook `message`: a plain dict (JSON-serialisable as is) that remembers the sender's profile name, which
    Meta carries in the payload's `contacts`, not in the message; `envelope` reads it from here."""

    profile_name: str = DEFAULT_NAME


def new_wamid(wa_id: str) -> str:
    """A message id shaped like Meta's: "wamid." and base64 of the number and a random hex id (unique per call)."""
    number = re.sub(r"\D", "", wa_id).encode()[:60]
    raw = b"\x1c\x18" + bytes([len(number)]) + number + b"\x15\x02\x00\x12\x18\x14"
    return "wamid." + base64.b64encode(raw + secrets.token_hex(10).upper().encode() + b"\x00").decode()


def _timestamp(timestamp: float | int | str | None) -> str:
    return str(int(float(timestamp))) if timestamp is not None else str(int(time.time()))


def _message(
    wa_id: str,
    kind: str,
    content: Any,
    *,
    wamid: str | None,
    name: str,
    timestamp: float | int | str | None,
    context_id: str | None = None,
) -> Message:
    message = Message()
    if context_id is not None:  # a reply to (or a button on) one of our messages
        message["context"] = {"from": DISPLAY_PHONE_NUMBER, "id": context_id}
    message.update({"from": wa_id, "id": wamid or new_wamid(wa_id), "timestamp": _timestamp(timestamp), "type": kind})
    if content is not None:
        message[kind] = content
    message.profile_name = name
    return message


def _sha256() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()  # webhooks carry the media hash in base64


# --- what customers send --------------------------------------------------------------------------------------
def text_message(
    wa_id: str,
    text: str,
    *,
    wamid: str | None = None,
    name: str = DEFAULT_NAME,
    timestamp: float | int | str | None = None,
    context_id: str | None = None,
) -> Message:
    """A text the customer typed; with `context_id`, a reply quoting that message of ours."""
    return _message(wa_id, "text", {"body": text}, wamid=wamid, name=name, timestamp=timestamp, context_id=context_id)


def button_reply(
    wa_id: str,
    reply_id: str,
    title: str,
    *,
    context_id: str | None = None,
    wamid: str | None = None,
    name: str = DEFAULT_NAME,
    timestamp: float | int | str | None = None,
) -> Message:
    """A tap on a reply button. Meta always says which message the button was on (`context`); without
    `context_id`, a made-up wamid stands in for it."""
    return _message(
        wa_id,
        "interactive",
        {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}},
        wamid=wamid,
        name=name,
        timestamp=timestamp,
        context_id=context_id or new_wamid(wa_id),
    )


def list_reply(
    wa_id: str,
    row_id: str,
    title: str,
    description: str | None = None,
    *,
    context_id: str | None = None,
    wamid: str | None = None,
    name: str = DEFAULT_NAME,
    timestamp: float | int | str | None = None,
) -> Message:
    """A row picked from a list message (with the row's description when it had one)."""
    reply = {"id": row_id, "title": title, **({"description": description} if description is not None else {})}
    return _message(
        wa_id,
        "interactive",
        {"type": "list_reply", "list_reply": reply},
        wamid=wamid,
        name=name,
        timestamp=timestamp,
        context_id=context_id or new_wamid(wa_id),
    )


def image(
    wa_id: str,
    media_id: str,
    mime_type: str = "image/jpeg",
    caption: str | None = None,
    *,
    sha256: str | None = None,
    wamid: str | None = None,
    name: str = DEFAULT_NAME,
    timestamp: float | int | str | None = None,
) -> Message:
    """A photo; its bytes are fetched by media id (register them with FakeWhatsApp.add_media)."""
    content = {
        **({"caption": caption} if caption is not None else {}),
        "mime_type": mime_type,
        "sha256": sha256 or _sha256(),
        "id": media_id,
    }
    return _message(wa_id, "image", content, wamid=wamid, name=name, timestamp=timestamp)


def document(
    wa_id: str,
    media_id: str,
    filename: str,
    mime_type: str = "application/pdf",
    caption: str | None = None,
    *,
    sha256: str | None = None,
    wamid: str | None = None,
    name: str = DEFAULT_NAME,
    timestamp: float | int | str | None = None,
) -> Message:
    """A file (a payment receipt as PDF, say)."""
    content = {
        **({"caption": caption} if caption is not None else {}),
        "filename": filename,
        "mime_type": mime_type,
        "sha256": sha256 or _sha256(),
        "id": media_id,
    }
    return _message(wa_id, "document", content, wamid=wamid, name=name, timestamp=timestamp)


def contact(
    wa_id: str,
    phone: str,
    name: str = "Bruno Costa",
    *,
    wamid: str | None = None,
    sender_name: str = DEFAULT_NAME,
    timestamp: float | int | str | None = None,
) -> Message:
    """A contact card the customer shared (type "contacts"); `name` is the card's, `sender_name` the sender's."""
    first, _, last = name.partition(" ")
    card = {
        "name": {"formatted_name": name, "first_name": first, **({"last_name": last} if last else {})},
        "phones": [{"phone": phone, "wa_id": re.sub(r"\D", "", phone), "type": "CELL"}],
    }
    return _message(wa_id, "contacts", [card], wamid=wamid, name=sender_name, timestamp=timestamp)


def location(
    wa_id: str,
    latitude: float,
    longitude: float,
    name: str | None = None,
    address: str | None = None,
    *,
    wamid: str | None = None,
    sender_name: str = DEFAULT_NAME,
    timestamp: float | int | str | None = None,
) -> Message:
    """A shared location; a named place has `name` and `address`, a dropped pin only the coordinates."""
    content = {
        "latitude": latitude,
        "longitude": longitude,
        **({"name": name} if name is not None else {}),
        **({"address": address} if address is not None else {}),
    }
    return _message(wa_id, "location", content, wamid=wamid, name=sender_name, timestamp=timestamp)


def sticker(
    wa_id: str,
    media_id: str,
    *,
    animated: bool = False,
    wamid: str | None = None,
    name: str = DEFAULT_NAME,
    timestamp: float | int | str | None = None,
) -> Message:
    content = {"mime_type": "image/webp", "sha256": _sha256(), "id": media_id, "animated": animated}
    return _message(wa_id, "sticker", content, wamid=wamid, name=name, timestamp=timestamp)


def unsupported(
    wa_id: str,
    *,
    wamid: str | None = None,
    name: str = DEFAULT_NAME,
    timestamp: float | int | str | None = None,
) -> Message:
    """What arrives for a message the Cloud API cannot pass on (a poll, a view-once photo, ...): no content,
    only error 131051."""
    message = _message(wa_id, "unsupported", None, wamid=wamid, name=name, timestamp=timestamp)
    message["errors"] = [
        {
            "code": 131051,
            "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."},
        }
    ]
    return message


# --- what became of what we sent ------------------------------------------------------------------------------
def status_error(code: int, title: str, details: str) -> dict:
    """One entry of a failed status's `errors`."""
    return {"code": code, "title": title, "message": title, "error_data": {"details": details}, "href": HREF}


UNDELIVERABLE = status_error(131026, "Message undeliverable", "Message Undeliverable.")
OUTSIDE_WINDOW = status_error(131047, "Re-engagement message", OUTSIDE_WINDOW_DETAILS)


def status(
    wamid: str,
    status: str,
    recipient_id: str,
    *,
    errors: list[dict] | None = None,
    timestamp: float | int | str | None = None,
) -> dict:
    """A status update for a message we sent: "sent", "delivered", "read" or "failed". A failed one carries
    `errors` (131026 "Message undeliverable" unless given; `OUTSIDE_WINDOW` is the 24-hour window's 131047,
    which Meta often reports this way, after accepting the send). Sent and delivered carry the conversation and
    pricing objects, as customer-service replies under per-message pricing do."""
    if status not in {"sent", "delivered", "read", "failed"}:
        raise ValueError(f"not a WhatsApp message status: {status!r}")
    update: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": _timestamp(timestamp),
        "recipient_id": recipient_id,
    }
    if status in {"sent", "delivered"}:
        conversation: dict[str, Any] = {"id": secrets.token_hex(16), "origin": {"type": "service"}}
        if status == "sent":
            conversation["expiration_timestamp"] = str(int(update["timestamp"]) + 24 * 3600)
        update["conversation"] = conversation
        update["pricing"] = {
            "billable": False,
            "pricing_model": "PMP",
            "category": "service",
            "type": "free_customer_service",
        }
    if status == "failed":
        update["errors"] = errors or [UNDELIVERABLE]
    elif errors:
        update["errors"] = errors
    return update


# --- the payload and its signature ---------------------------------------------------------------------------
def envelope(
    messages: Iterable[Mapping] = (),
    statuses: Iterable[Mapping] = (),
    *,
    contacts: list[dict] | None = None,
    phone_number_id: str = PHONE_NUMBER_ID,
    display_phone_number: str = DISPLAY_PHONE_NUMBER,
    waba_id: str = WABA_ID,
) -> dict:
    """The whole webhook payload. `contacts` (one per sender, with the profile name the builders were given)
    is derived from the messages unless given; a payload of statuses only has none, as Meta sends it."""
    originals = list(messages)
    messages, statuses = [dict(m) for m in originals], [dict(s) for s in statuses]
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": display_phone_number, "phone_number_id": phone_number_id},
    }
    if contacts is None and originals:
        names: dict[str, str] = {}
        for original in originals:
            names.setdefault(original["from"], getattr(original, "profile_name", DEFAULT_NAME))
        contacts = [{"profile": {"name": name}, "wa_id": wa_id} for wa_id, name in names.items()]
    if contacts is not None:
        value["contacts"] = contacts
    if messages:
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"value": value, "field": "messages"}]}],
    }


def encode(payload: Mapping) -> bytes:
    """The body as Meta serialises it: compact, non-ASCII as \\uXXXX escapes and "/" as "\\/"."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode("ascii")


def signature(body: bytes, app_secret: str) -> str:
    """The X-Hub-Signature-256 header's value: "sha256=" and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signed_post(
    client_or_url: Any,
    body: Mapping | bytes,
    app_secret: str,
    *,
    path: str = WEBHOOK_PATH,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10,
) -> Any:
    """Posts a payload as Meta does: the raw bytes of `encode(body)` (or `body` as given, when bytes) with their
    signature. `client_or_url` is a URL (posted with httpx), an httpx.Client (posted to `path`) or a Flask test
    client (posted to `path`). `headers` adds to or overrides ours (e.g. a wrong signature). Returns the
    response."""
    raw = bytes(body) if isinstance(body, bytes | bytearray) else encode(body)
    sent = {
        "Content-Type": "application/json",
        "User-Agent": "facebookexternalua",
        SIGNATURE_HEADER: signature(raw, app_secret),
        **(headers or {}),
    }
    if isinstance(client_or_url, str):
        return httpx.post(client_or_url, content=raw, headers=sent, timeout=timeout)
    if isinstance(client_or_url, httpx.Client):
        return client_or_url.post(path, content=raw, headers=sent, timeout=timeout)
    content_type = sent.pop("Content-Type")
    return client_or_url.post(path, data=raw, headers=sent, content_type=content_type)


def verification_params(verify_token: str, challenge: str = "1158201444") -> dict[str, str]:
    """The query of Meta's subscription check (GET on the webhook URL), which must be answered with `challenge`."""
    return {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
