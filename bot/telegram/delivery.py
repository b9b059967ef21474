"""Sending one outbox row to a Telegram chat, for bot/outbox.py: invoices, texts (with buttons), pictures.

Telegram's errors say how it went: 403 the shopper blocked the bot; 400 about this message or chat only; a
network error Telegram is away (the row goes back and the loop backs off)."""

from __future__ import annotations

import asyncio

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from bot.gateway import Gateway
from bot.outbox import ChannelDown, Claimed, NotDelivered, Unreachable
from bot.pacing import CampaignPace
from bot.telegram.payments import InvoiceNotSent, refuse_invoice, send_invoice
from bot.telegram.rendering import MAX_CAPTION, Outgoing, escape, split_text
from bot.telegram.replies import send_outgoing
from checkout.payments.telegram.provider import INVOICE_KIND


class TelegramSender:
    def __init__(self, bot: Bot, gw: Gateway) -> None:
        self.bot, self.gw = bot, gw

    async def send(self, row: Claimed, chat_id: str, pace: CampaignPace | None) -> str | None:
        try:
            if row.kind == INVOICE_KIND:  # a Telegram invoice the action server queued (checkout/payments)
                sent = [await send_invoice(self.bot, self.gw, chat_id, row.dedupe_key)]
            else:
                sent = await self._send(chat_id, outgoing(row), pace)
        except InvoiceNotSent as exc:
            if exc.refused:
                await asyncio.to_thread(refuse_invoice, self.gw, row.dedupe_key, str(exc))
            raise NotDelivered(str(exc), permanent=True) from exc
        except Forbidden as exc:  # blocked the bot, or the account is gone: no retry can reach them
            raise Unreachable(str(exc)) from exc
        except BadRequest as exc:  # about this message or chat only (PTB counts it as a NetworkError)
            if row.kind == INVOICE_KIND:  # the same invoice would be refused again: the shopper is told at once
                await asyncio.to_thread(refuse_invoice, self.gw, row.dedupe_key, str(exc))
            raise NotDelivered(str(exc), permanent=row.kind == INVOICE_KIND) from exc
        except NetworkError as exc:
            raise ChannelDown(str(exc)) from exc
        except TelegramError as exc:  # this chat only (chat not found, flood limit)
            raise NotDelivered(str(exc)) from exc
        return str(sent[-1].message_id) if sent else None

    async def _send(self, chat_id: str, items: list[Outgoing], pace: CampaignPace | None) -> list[Message]:
        if pace is None:
            return await send_outgoing(self.bot, self.gw, chat_id, items)
        sent: list[Message] = []
        for item in items:  # a photo and a long text are two messages, each counted by the pace
            await asyncio.sleep(pace.delay(chat_id))
            pace.started()
            try:
                sent += await send_outgoing(self.bot, self.gw, chat_id, [item])
            finally:
                pace.finished(chat_id)
        return sent


def outgoing(row: Claimed) -> list[Outgoing]:
    """The text (in pieces Telegram takes), buttons under its last piece; a picture first, with the text as its
    caption when it fits there."""
    pairs = tuple(
        (str(b["title"]), str(b["payload"]))
        for b in row.buttons or []
        if isinstance(b, dict) and b.get("title") and b.get("payload")
    )
    if row.image_url and len(row.text) <= MAX_CAPTION:
        return [Outgoing(text=escape(row.text), photo=row.image_url, buttons=pairs)]
    chunks = split_text(row.text)
    texts = [Outgoing(text=escape(c)) for c in chunks[:-1]] + [Outgoing(text=escape(chunks[-1]), buttons=pairs)]
    return ([Outgoing(photo=row.image_url)] if row.image_url else []) + texts
