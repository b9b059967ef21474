"""What the gateway does with each kind of WhatsApp message a shopper sends.

Text goes to Rasa as text (a typed "/command" never acts as a Rasa intent); a pressed reply button or list row
goes as the Rasa payload its id stands for; an image or PDF while an order awaits payment is its proof; a shared
contact answers the phone question; a shared location is offered as the delivery address; anything else gets a
short "I read text" answer."""

from __future__ import annotations

import asyncio
import logging

from bot import texts
from bot.gateway import Gateway
from bot.proofs import keep_proof
from bot.relay import admitted, ask_assistant
from bot.whatsapp.graph_api import GraphApi, GraphError, GraphUnreachable
from bot.whatsapp.rendering import Outgoing, more_choices, more_message
from bot.whatsapp.replies import send_outgoing, send_rasa_messages, send_text
from checkout.assistant_client import typed_text
from checkout.button_payloads import payload_for
from checkout.orders.proofs import MAX_PROOF_BYTES, ProofFile, unpaid_order_number
from checkout.whatsapp.inbox import Inbound

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
PROOF_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")


def shopper_metadata(inbound: Inbound) -> dict:
    """The REST metadata contract: the wa_id is the shopper's identity and their phone number."""
    first, _, last = (inbound.profile_name or "").strip().partition(" ")
    return {
        "channel": CHANNEL,
        "user_id": inbound.wa_id,
        "first_name": first or None,
        "last_name": last.strip() or None,
        "phone": inbound.wa_id,
        "message_id": inbound.message.get("id"),
    }


async def handle_message(gw: Gateway, api: GraphApi, inbound: Inbound) -> None:
    """One stored message, answered in its chat (the worker keeps each chat's messages in order)."""
    message, kind = inbound.message, inbound.message.get("type")
    await _mark_read(api, inbound)
    if kind == "text":
        await _forward(gw, api, inbound, typed_text(_part(message, "text").get("body")))
    elif kind == "interactive":
        await _choice(gw, api, inbound, _part(message, "interactive"))
    elif kind == "button":  # a quick-reply button of a template message: its text, as if typed
        await _forward(gw, api, inbound, typed_text(_part(message, "button").get("text")))
    elif kind in ("image", "document"):
        await _proof(gw, api, inbound, kind, _part(message, kind))
    elif kind == "contacts":
        await _forward(gw, api, inbound, typed_text(_shared_phone(message.get("contacts"))))
    elif kind == "location":
        await _offer_address(gw, api, inbound.wa_id, _part(message, "location"))
    else:  # stickers, voice, video, reactions, unsupported...
        await send_text(gw, api, inbound.wa_id, texts.TEXT_ONLY)


async def _forward(gw: Gateway, api: GraphApi, inbound: Inbound, text: str | None) -> None:
    if not text or not text.strip():
        await send_text(gw, api, inbound.wa_id, texts.TEXT_ONLY)
        return

    async def say(sentence: str) -> object:
        return await send_text(gw, api, inbound.wa_id, sentence)

    if not await admitted(gw, inbound.wa_id, say):
        return
    replies = await ask_assistant(gw, inbound.wa_id, text, shopper_metadata(inbound), say, inbound.received_at)
    if replies is not None:
        await send_rasa_messages(gw, api, inbound.wa_id, replies)


async def _choice(gw: Gateway, api: GraphApi, inbound: Inbound, interactive: dict) -> None:
    """A reply button or list row: only ids we issued stand for a payload."""
    reply = _part(interactive, str(interactive.get("type") or ""))
    payload = await asyncio.to_thread(_payload, gw, reply.get("id"))
    if payload is None:
        await send_text(gw, api, inbound.wa_id, texts.BUTTON_EXPIRED)
        return
    rest = more_choices(payload)
    if rest is not None:  # "More…" of a long list: the next page, nothing for Rasa
        await send_outgoing(gw, api, inbound.wa_id, [more_message(rest)])
        return
    await _forward(gw, api, inbound, payload)


async def _proof(gw: Gateway, api: GraphApi, inbound: Inbound, kind: str, media: dict) -> None:
    """A receipt while an order awaits payment: downloaded through the media endpoint and kept on the order."""
    mime = str(media.get("mime_type") or "").split(";")[0].strip().lower()
    media_id = str(media.get("id") or "")
    if (
        not media_id
        or mime not in PROOF_TYPES
        or await asyncio.to_thread(unpaid_order_number, gw.db, CHANNEL, inbound.wa_id) is None
    ):
        await send_text(gw, api, inbound.wa_id, texts.TEXT_ONLY)
        return
    try:
        found = await api.media(media_id)
        too_large = bool(found.size and found.size > MAX_PROOF_BYTES)
        content = None if too_large else await api.download(found.url, MAX_PROOF_BYTES)
    except (GraphError, GraphUnreachable) as exc:  # the shopper must not be left thinking it was kept
        log.warning("media %s of message %s not fetched: %s", media_id, inbound.message.get("id"), exc)
        await send_text(gw, api, inbound.wa_id, texts.PROOF_NOT_FETCHED)
        return
    if content is None:
        await send_text(gw, api, inbound.wa_id, texts.PROOF_TOO_LARGE)
        return
    proof = ProofFile(
        channel=CHANNEL,
        file_id=media_id,
        # The same picture sent twice gets a new media id each time; its hash is what stays the same.
        file_unique_id=str(media.get("sha256") or media_id)[:100],
        mime_type=mime,
        content=content,
        caption=media.get("caption") if isinstance(media.get("caption"), str) else None,
    )
    await send_text(gw, api, inbound.wa_id, await asyncio.to_thread(keep_proof, gw, inbound.wa_id, proof))


async def _offer_address(gw: Gateway, api: GraphApi, wa_id: str, location: dict) -> None:
    address = location_text(location)
    # The button's payload is the address as if typed: the checkout's address question takes it like any answer.
    # Made safe as typed text is: the place's name comes from the sender's app, and the press forwards the payload
    # as is, so a name like '/place_order{...}' would otherwise reach Rasa as that intent.
    payload = typed_text(address)
    if address is None or not payload or not payload.strip():
        await send_text(gw, api, wa_id, texts.TEXT_ONLY)
        return
    offer = Outgoing(text=texts.USE_LOCATION.format(address=address), choices=((texts.USE_LOCATION_BUTTON, payload),))
    await send_outgoing(gw, api, wa_id, [offer])


def location_text(location: dict) -> str | None:
    """The place's name and address when WhatsApp gives them, else its coordinates with a map link."""
    words = ", ".join(str(location[k]).strip() for k in ("name", "address") if str(location.get(k) or "").strip())
    if words:
        return words[:500]
    try:
        latitude, longitude = float(location["latitude"]), float(location["longitude"])
    except (KeyError, TypeError, ValueError):
        return None
    return f"{latitude:.6f}, {longitude:.6f} (https://maps.google.com/?q={latitude:.6f},{longitude:.6f})"


def _shared_phone(contacts: object) -> str | None:
    """The first phone number of a shared contact card."""
    for contact in contacts if isinstance(contacts, list) else []:
        for phone in (contact.get("phones") or []) if isinstance(contact, dict) else []:
            if isinstance(phone, dict) and (phone.get("phone") or phone.get("wa_id")):
                return str(phone.get("phone") or "+" + str(phone["wa_id"]))
    return None


async def _mark_read(api: GraphApi, inbound: Inbound) -> None:
    wamid = inbound.message.get("id")
    try:
        await api.mark_read(str(wamid))
    except Exception as exc:  # noqa: BLE001 - a missing blue tick is not worth losing the answer over
        log.info("message %s not marked read: %s", wamid, exc)


def _part(container: dict, key: str) -> dict:
    part = container.get(key)
    return part if isinstance(part, dict) else {}


def _payload(gw: Gateway, key: object) -> str | None:
    if not isinstance(key, str) or not key:
        return None
    with gw.db.reading() as session:
        return payload_for(session, key)
