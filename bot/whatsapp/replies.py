"""Sending rendered messages to a WhatsApp chat, in order: each after the previous one was accepted."""

from __future__ import annotations

import asyncio
import logging

from bot.gateway import Gateway
from bot.whatsapp.graph_api import GraphApi, GraphError
from bot.whatsapp.rendering import Outgoing, graph_body, payloads_to_store, render
from checkout.button_payloads import store_payloads

log = logging.getLogger(__name__)

# A reply Meta refuses for its rate limits is sent again after these pauses rather than lost: Rasa has already
# moved on (an order may be placed), and the shopper would never see the answer. The chat waits meanwhile, so its
# order holds; an outbox row still refused after them goes back to the queue (bot/outbox.py backs off).
RATE_LIMIT_PAUSES = (1.0, 2.0, 4.0)


async def send_rasa_messages(gw: Gateway, api: GraphApi, wa_id: str, messages: list[dict]) -> list[str]:
    return await send_outgoing(gw, api, wa_id, render(messages))


async def send_outgoing(gw: Gateway, api: GraphApi, wa_id: str, outgoing: list[Outgoing]) -> list[str]:
    """Sends the messages; returns their wamids. Button and row ids are short keys of the stored payloads."""
    payloads = payloads_to_store(outgoing)
    ids = await asyncio.to_thread(_store, gw, payloads) if payloads else {}
    return [await _send(api, graph_body(item, wa_id, ids)) for item in outgoing]


async def send_text(gw: Gateway, api: GraphApi, wa_id: str, text: str) -> list[str]:
    return await send_outgoing(gw, api, wa_id, [Outgoing(text=text)])


async def _send(api: GraphApi, body: dict) -> str:
    for pause in RATE_LIMIT_PAUSES:
        try:
            return await api.send(body)
        except GraphError as exc:
            if not exc.rate_limited:
                raise
            log.info("WhatsApp rate limit (%s); sending again in %.0fs", exc, pause)
            await asyncio.sleep(pause)
    return await api.send(body)


def _store(gw: Gateway, payloads: list[str]) -> dict[str, str]:
    with gw.db.transaction() as session:
        return store_payloads(session, payloads)
