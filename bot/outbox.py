"""Delivers the outbox: order updates, seller replies and invoices to shoppers' chats, alerts to the seller's chat,
and campaign messages.

Two loops run side by side. Everything but campaigns is claimed a batch a second and sent at once. Campaign
messages are claimed one at a time, when bot/pacing.py lets the next one go, so a campaign to thousands never holds
an order update back, and a gateway that dies leaves at most the one it was sending in doubt ('sending': never sent
again, as any claimed row). A failed send goes back to pending and is tried again, up to
checkout.notifications.MAX_ATTEMPTS; a shopper who blocked the bot is marked unreachable and not tried again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import NamedTuple

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from bot.dedupe import forget_old_claims
from bot.gateway import CHANNEL, Gateway
from bot.pacing import CampaignPace
from bot.payments import InvoiceNotSent, refuse_invoice, send_invoice
from bot.rendering import MAX_CAPTION, Outgoing, escape, split_text
from bot.replies import send_outgoing
from checkout.db.models import OutboxMessage, utcnow
from checkout.marketing.delivery import campaign_stopped, drop_stopped, mark_campaign_message_sent
from checkout.notifications import (
    SELLER_CHANNEL,
    claim_pending,
    expire_pending,
    mark_failed,
    mark_sent,
    mark_unreachable,
)
from checkout.payments.telegram.provider import INVOICE_KIND

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
# Seller alerts queued while no seller chat was configured are not worth sending once it is.
SELLER_ALERTS_KEEP = timedelta(hours=24)
HOUSEKEEPING_EVERY = 3600


class Claimed(NamedTuple):
    """An outbox row as claimed (read inside the claiming transaction, sent after it)."""

    id: int
    channel: str
    recipient: str
    text: str
    buttons: list | None
    kind: str
    dedupe_key: str | None
    image_url: str | None
    campaign_id: int | None

    @classmethod
    def of(cls, m: OutboxMessage) -> Claimed:
        return cls(m.id, m.channel, m.recipient, m.text, m.buttons, m.kind, m.dedupe_key, m.image_url, m.campaign_id)


def channels(gw: Gateway) -> tuple[str, ...]:
    """Seller alerts are claimed only when TELEGRAM_SELLER_CHAT_ID is set; until then they stay pending."""
    return (CHANNEL, SELLER_CHANNEL) if gw.settings.telegram_seller_chat_id else (CHANNEL,)


async def deliver_forever(bot: Bot, gw: Gateway, pace: CampaignPace | None = None) -> None:
    """Both loops, until cancelled."""
    async with asyncio.TaskGroup() as loops:
        loops.create_task(_deliver_updates_forever(bot, gw))
        loops.create_task(deliver_campaigns_forever(bot, gw, pace or CampaignPace()))


async def _deliver_updates_forever(bot: Bot, gw: Gateway) -> None:
    backoff, since_housekeeping = 0.0, float(HOUSEKEEPING_EVERY)
    while True:
        if since_housekeeping >= HOUSEKEEPING_EVERY:
            await asyncio.to_thread(_housekeeping, gw)
            since_housekeeping = 0.0
        try:
            backoff = 0.0 if await deliver_once(bot, gw) else _longer(backoff)
        except Exception:  # the database went away for a moment: log it and try again
            log.exception("outbox delivery round failed")
            backoff = _longer(backoff)
        pause = backoff or POLL_SECONDS
        await asyncio.sleep(pause)
        since_housekeeping += pause


async def deliver_once(bot: Bot, gw: Gateway) -> bool:
    """Sends what is pending now, campaigns aside. False when Telegram could not be reached (the caller backs off)."""
    claimed = await asyncio.to_thread(_claim, gw, False, 20)
    for index, row in enumerate(claimed):
        if not await _deliver(bot, gw, row):
            await _give_back(gw, claimed[index:])
            return False
    return True


async def deliver_campaigns_forever(bot: Bot, gw: Gateway, pace: CampaignPace) -> None:
    """One campaign message at a time, claimed only once the pace lets one go: nothing waits claimed."""
    pause = 0.0
    while True:
        await asyncio.sleep(max(pause, pace.delay()))
        try:
            claimed = await asyncio.to_thread(_claim, gw, True, 1)
            if not claimed:
                pause = POLL_SECONDS
            elif await _deliver(bot, gw, claimed[0], pace):
                pause = 0.0
            else:
                await _give_back(gw, claimed)
                pause = _longer(pause)
        except Exception:  # the database went away for a moment: log it and try again
            log.exception("campaign delivery failed")
            pause = _longer(pause)


async def _deliver(bot: Bot, gw: Gateway, row: Claimed, pace: CampaignPace | None = None) -> bool:
    """Sends one claimed row and records how it went. False when Telegram could not be reached (not recorded)."""
    chat_id = gw.settings.telegram_seller_chat_id if row.channel == SELLER_CHANNEL else row.recipient
    if not (row.text or "").strip():  # erased when its customer was forgotten: nothing left to send
        await asyncio.to_thread(_fail, gw, row.id, "nothing to send (text erased)", True)
        return True
    if row.campaign_id is not None:
        if pace is not None:  # the chat's own pace first, so the stop is checked right before the send
            await asyncio.sleep(pace.delay(chat_id))
        if await asyncio.to_thread(_drop_if_stopped, gw, row):
            return True
    try:
        if row.kind == INVOICE_KIND:  # a Telegram invoice the action server queued (checkout/payments)
            sent = [await send_invoice(bot, gw, chat_id, row.dedupe_key)]
        else:
            sent = await _send(bot, gw, chat_id, _outgoing(row), pace)
    except InvoiceNotSent as exc:
        if exc.refused:
            await asyncio.to_thread(refuse_invoice, gw, row.dedupe_key, str(exc))
        await _failed(gw, row, exc, permanent=True)
    except Forbidden as exc:  # blocked the bot, or the account is gone: no retry can reach them
        log.warning("outbox message %s: chat %s refuses the bot: %s", row.id, chat_id, exc)
        if row.channel == CHANNEL:  # a shopper, not the seller's chat: no campaign picks them here again
            await asyncio.to_thread(_unreachable, gw, row.id, str(exc))
        else:
            await _failed(gw, row, exc, permanent=True)
    except BadRequest as exc:  # about this message or chat only (PTB counts it as a NetworkError)
        if row.kind == INVOICE_KIND:  # the same invoice would be refused again: the shopper is told at once
            await asyncio.to_thread(refuse_invoice, gw, row.dedupe_key, str(exc))
        await _failed(gw, row, exc, permanent=row.kind == INVOICE_KIND)
    except NetworkError as exc:  # Telegram unreachable: the caller gives the row back and backs off
        log.warning("outbox: Telegram unreachable (%s); backing off", exc)
        return False
    except TelegramError as exc:  # this chat only (chat not found, flood limit)
        await _failed(gw, row, exc)
    else:
        await asyncio.to_thread(_sent, gw, row, str(sent[-1].message_id) if sent else None)
    return True


async def _send(
    bot: Bot, gw: Gateway, chat_id: str, outgoing: list[Outgoing], pace: CampaignPace | None
) -> list[Message]:
    if pace is None:
        return await send_outgoing(bot, gw, chat_id, outgoing)
    sent: list[Message] = []
    for item in outgoing:  # a photo and a long text are two messages, each counted by the pace
        await asyncio.sleep(pace.delay(chat_id))
        pace.started()
        try:
            sent += await send_outgoing(bot, gw, chat_id, [item])
        finally:
            pace.finished(chat_id)
    return sent


def _outgoing(row: Claimed) -> list[Outgoing]:
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


async def _failed(gw: Gateway, row: Claimed, exc: Exception, permanent: bool = False) -> None:
    log.warning("outbox message %s to %s failed: %s", row.id, row.channel, exc)
    await asyncio.to_thread(_fail, gw, row.id, str(exc), permanent)


async def _give_back(gw: Gateway, rows: list[Claimed]) -> None:
    for row in rows:
        await asyncio.to_thread(_fail, gw, row.id, "network: Telegram unreachable")


def _longer(backoff: float) -> float:
    return min(MAX_BACKOFF_SECONDS, max(2.0, backoff * 2))


def _claim(gw: Gateway, campaigns: bool, limit: int) -> list[Claimed]:
    with gw.db.transaction() as session:
        return [Claimed.of(m) for m in claim_pending(session, channels(gw), limit, campaigns=campaigns)]


def _drop_if_stopped(gw: Gateway, row: Claimed) -> bool:
    assert row.campaign_id is not None
    with gw.db.reading() as session:
        if not campaign_stopped(session, row.campaign_id):
            return False
    with gw.db.transaction() as session:
        drop_stopped(session, row.id)
    return True


def _sent(gw: Gateway, row: Claimed, channel_message_id: str | None) -> None:
    with gw.db.transaction() as session:
        if row.campaign_id is not None:
            mark_campaign_message_sent(session, row.id, channel_message_id)
        else:
            mark_sent(session, row.id, channel_message_id)


def _fail(gw: Gateway, message_id: int, error: str, permanent: bool = False) -> None:
    with gw.db.transaction() as session:
        mark_failed(session, message_id, error, permanent)


def _unreachable(gw: Gateway, message_id: int, error: str) -> None:
    with gw.db.transaction() as session:
        mark_unreachable(session, message_id, error)


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
