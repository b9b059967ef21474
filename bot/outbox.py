"""Delivers the outbox: order updates to shoppers' chats, alerts to the seller's chat.

Rows are claimed one batch at a time (a row is sent by one gateway instance only), sent, and marked sent;
a failed send goes back to pending and is tried again, up to checkout.notifications.MAX_ATTEMPTS.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from bot.dedupe import forget_old_claims
from bot.gateway import CHANNEL, Gateway
from bot.payments import InvoiceNotSent, refuse_invoice, send_invoice
from bot.rendering import Outgoing, escape, split_text
from bot.replies import send_outgoing
from checkout.db.models import utcnow
from checkout.notifications import SELLER_CHANNEL, claim_pending, expire_pending, mark_failed, mark_sent
from checkout.payments.telegram.provider import INVOICE_KIND

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
# Seller alerts queued while no seller chat was configured are not worth sending once it is.
SELLER_ALERTS_KEEP = timedelta(hours=24)
HOUSEKEEPING_EVERY = 3600

# An outbox row as claimed: id, channel, recipient, text, buttons, kind, dedupe_key.
_Claimed = tuple[int, str, str, str, list | None, str, str | None]


def channels(gw: Gateway) -> tuple[str, ...]:
    """Seller alerts are claimed only when TELEGRAM_SELLER_CHAT_ID is set; until then they stay pending."""
    return (CHANNEL, SELLER_CHANNEL) if gw.settings.telegram_seller_chat_id else (CHANNEL,)


async def deliver_forever(bot: Bot, gw: Gateway) -> None:
    backoff, since_housekeeping = 0.0, float(HOUSEKEEPING_EVERY)
    while True:
        if since_housekeeping >= HOUSEKEEPING_EVERY:
            await asyncio.to_thread(_housekeeping, gw)
            since_housekeeping = 0.0
        try:
            delivered_all = await deliver_once(bot, gw)
            backoff = 0.0 if delivered_all else min(MAX_BACKOFF_SECONDS, max(2.0, backoff * 2))
        except Exception:  # the database went away for a moment: log it and try again
            log.exception("outbox delivery round failed")
            backoff = min(MAX_BACKOFF_SECONDS, max(2.0, backoff * 2))
        pause = backoff or POLL_SECONDS
        await asyncio.sleep(pause)
        since_housekeeping += pause


async def deliver_once(bot: Bot, gw: Gateway) -> bool:
    """Sends what is pending now. False when Telegram could not be reached (the caller backs off)."""
    claimed = await asyncio.to_thread(_claim, gw)
    for index, (message_id, channel, recipient, text, buttons, kind, dedupe_key) in enumerate(claimed):
        chat_id = gw.settings.telegram_seller_chat_id if channel == SELLER_CHANNEL else recipient
        if not (text or "").strip():  # erased when its customer was forgotten: nothing left to send
            await asyncio.to_thread(_fail, gw, message_id, "nothing to send (text erased)", True)
            continue
        try:
            if kind == INVOICE_KIND:  # a Telegram invoice the action server queued (checkout/payments)
                sent = [await send_invoice(bot, gw, chat_id, dedupe_key)]
            else:
                sent = await send_outgoing(bot, gw, chat_id, _outgoing(text, buttons))
        except InvoiceNotSent as exc:
            if exc.refused:
                await asyncio.to_thread(refuse_invoice, gw, dedupe_key, str(exc))
            await _failed(gw, message_id, channel, exc, permanent=True)
            continue
        except Forbidden as exc:  # the shopper blocked the bot: no retry can reach them
            await _failed(gw, message_id, channel, exc, permanent=True)
            continue
        except BadRequest as exc:  # about this message or chat only (PTB counts it as a NetworkError)
            if kind == INVOICE_KIND:  # the same invoice would be refused again: the shopper is told at once
                await asyncio.to_thread(refuse_invoice, gw, dedupe_key, str(exc))
            await _failed(gw, message_id, channel, exc, permanent=kind == INVOICE_KIND)
            continue
        except NetworkError as exc:  # Telegram unreachable: give every claimed row back and back off
            for rest in claimed[index:]:
                await asyncio.to_thread(_fail, gw, rest[0], f"network: {exc}")
            log.warning("outbox: Telegram unreachable (%s); backing off", exc)
            return False
        except TelegramError as exc:  # this chat only (blocked the bot, chat not found, flood limit)
            await _failed(gw, message_id, channel, exc)
            continue
        await asyncio.to_thread(_sent, gw, message_id, str(sent[-1].message_id) if sent else None)
    return True


async def _failed(gw: Gateway, message_id: int, channel: str, exc: Exception, permanent: bool = False) -> None:
    log.warning("outbox message %s to %s failed: %s", message_id, channel, exc)
    await asyncio.to_thread(_fail, gw, message_id, str(exc), permanent)


def _outgoing(text: str, buttons: list | None) -> list[Outgoing]:
    pairs = tuple(
        (str(b["title"]), str(b["payload"]))
        for b in buttons or []
        if isinstance(b, dict) and b.get("title") and b.get("payload")
    )
    chunks = split_text(text)
    return [Outgoing(text=escape(c)) for c in chunks[:-1]] + [Outgoing(text=escape(chunks[-1]), buttons=pairs)]


def _claim(gw: Gateway) -> list[_Claimed]:
    with gw.db.transaction() as session:
        return [
            (m.id, m.channel, m.recipient, m.text, m.buttons, m.kind, m.dedupe_key)
            for m in claim_pending(session, channels(gw))
        ]


def _sent(gw: Gateway, message_id: int, channel_message_id: str | None) -> None:
    with gw.db.transaction() as session:
        mark_sent(session, message_id, channel_message_id)


def _fail(gw: Gateway, message_id: int, error: str, permanent: bool = False) -> None:
    with gw.db.transaction() as session:
        mark_failed(session, message_id, error, permanent)


def _housekeeping(gw: Gateway) -> None:
    if gw.settings.telegram_seller_chat_id:
        with gw.db.transaction() as session:
            expired = expire_pending(
                session,
                SELLER_CHANNEL,
                utcnow() - SELLER_ALERTS_KEEP,
                "older than 24 hours when a seller chat was there to send it to",
            )
        if expired:
            log.info("outbox: %d seller alerts older than 24 hours not sent", expired)
    forget_old_claims(gw)
