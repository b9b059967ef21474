"""Delivers a chat channel's share of the outbox: order updates, seller replies, invoices, alerts, campaigns.

Two loops run side by side. Everything but campaigns is claimed a batch a second and sent at once. Campaign
messages are claimed one at a time, when bot/pacing.py lets the next one go, so a campaign to thousands never holds
an order update back, and a gateway that dies leaves at most the one it was sending in doubt ('sending': never sent
again, as any claimed row). A failed send goes back to pending and is tried again, up to
checkout.notifications.MAX_ATTEMPTS; a shopper who blocked the bot is marked unreachable and not tried again.

The channel (bot/telegram/delivery.py, bot/whatsapp/delivery.py) sends one row and says how it went by returning
the message id or raising one of the errors below; this module does the bookkeeping.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import NamedTuple, Protocol

from bot.dedupe import forget_old_claims
from bot.gateway import Gateway
from bot.pacing import CampaignPace
from checkout.db.models import OutboxMessage, utcnow
from checkout.log_redaction import chat_ref
from checkout.marketing.delivery import campaign_stopped, drop_stopped, mark_campaign_message_sent
from checkout.message_effects import forget_old_message_claims
from checkout.notifications import (
    SELLER_CHANNEL,
    claim_pending,
    expire_pending,
    hold_for_window,
    mark_failed,
    mark_sent,
    mark_unreachable,
)

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


class ChannelDown(Exception):
    """The channel's API cannot be reached: the row goes back to pending and the loop backs off."""


class NotDelivered(Exception):
    """This row was not delivered. `permanent`: no later try can succeed (failed at once)."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Unreachable(Exception):
    """The shopper refuses the channel for good (blocked the bot): failed, and no campaign picks them again."""


class OutsideWindow(Exception):
    """The channel allows no message to this chat now (WhatsApp's 24 hours): held until the shopper writes."""


class ChannelSender(Protocol):
    async def send(self, row: Claimed, chat_id: str, pace: CampaignPace | None) -> str | None:
        """Sends the row to chat_id (pacing each message by `pace` when given); returns the last message's id."""
        ...


async def deliver_forever(gw: Gateway, sender: ChannelSender, pace: CampaignPace | None = None) -> None:
    """Both loops, until cancelled."""
    async with asyncio.TaskGroup() as loops:
        loops.create_task(_deliver_updates_forever(gw, sender))
        loops.create_task(deliver_campaigns_forever(gw, sender, pace or CampaignPace()))


def channels(gw: Gateway) -> tuple[str, ...]:
    """The Telegram gateway also delivers seller alerts, once TELEGRAM_SELLER_CHAT_ID is set (pending until then)."""
    if gw.channel == "telegram" and gw.settings.telegram_seller_chat_id:
        return (gw.channel, SELLER_CHANNEL)
    return (gw.channel,)


async def _deliver_updates_forever(gw: Gateway, sender: ChannelSender) -> None:
    backoff, since_housekeeping = 0.0, float(HOUSEKEEPING_EVERY)
    while True:
        if since_housekeeping >= HOUSEKEEPING_EVERY:
            await asyncio.to_thread(_housekeeping, gw)
            since_housekeeping = 0.0
        try:
            backoff = 0.0 if await deliver_once(gw, sender) else _longer(backoff)
        except Exception:  # the database went away for a moment: log it and try again
            log.exception("outbox delivery round failed")
            backoff = _longer(backoff)
        pause = backoff or POLL_SECONDS
        await asyncio.sleep(pause)
        since_housekeeping += pause


async def deliver_once(gw: Gateway, sender: ChannelSender) -> bool:
    """Sends what is pending now, campaigns aside. False when the channel could not be reached (the caller backs
    off)."""
    claimed = await asyncio.to_thread(_claim, gw, False, 20)
    for index, row in enumerate(claimed):
        if not await _deliver(gw, sender, row):
            await _give_back(gw, claimed[index:])
            return False
    return True


async def deliver_campaigns_forever(gw: Gateway, sender: ChannelSender, pace: CampaignPace) -> None:
    """One campaign message at a time, claimed only once the pace lets one go: nothing waits claimed."""
    pause = 0.0
    while True:
        await asyncio.sleep(max(pause, pace.delay()))
        try:
            claimed = await asyncio.to_thread(_claim, gw, True, 1)
            if not claimed:
                pause = POLL_SECONDS
            elif await _deliver(gw, sender, claimed[0], pace):
                pause = 0.0
            else:
                await _give_back(gw, claimed)
                pause = _longer(pause)
        except Exception:  # the database went away for a moment: log it and try again
            log.exception("campaign delivery failed")
            pause = _longer(pause)


async def _deliver(gw: Gateway, sender: ChannelSender, row: Claimed, pace: CampaignPace | None = None) -> bool:
    """Sends one claimed row and records how it went. False when the channel could not be reached (not recorded)."""
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
        message_id = await sender.send(row, chat_id, pace)
    except ChannelDown as exc:
        log.warning("outbox: %s unreachable (%s); backing off", gw.channel, exc)
        return False
    except Unreachable as exc:
        log.warning("outbox message %s: chat %s refuses the bot: %s", row.id, chat_ref(chat_id), exc)
        if row.channel == SELLER_CHANNEL:
            await _failed(gw, row, exc, permanent=True)
        else:  # a shopper, not the seller's chat: no campaign picks them here again
            await asyncio.to_thread(_unreachable, gw, row.id, str(exc))
    except OutsideWindow as exc:
        log.info("outbox message %s held: %s", row.id, exc)
        await asyncio.to_thread(_hold, gw, row.id, str(exc))
    except NotDelivered as exc:
        await _failed(gw, row, exc, permanent=exc.permanent)
    else:
        await asyncio.to_thread(_sent, gw, row, message_id)
    return True


async def _failed(gw: Gateway, row: Claimed, exc: Exception, permanent: bool = False) -> None:
    log.warning("outbox message %s to %s failed: %s", row.id, row.channel, exc)
    await asyncio.to_thread(_fail, gw, row.id, str(exc), permanent)


async def _give_back(gw: Gateway, rows: list[Claimed]) -> None:
    for row in rows:
        await asyncio.to_thread(_fail, gw, row.id, f"network: {gw.channel} unreachable")


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


def _hold(gw: Gateway, message_id: int, reason: str) -> None:
    with gw.db.transaction() as session:
        hold_for_window(session, message_id, reason)


def _housekeeping(gw: Gateway) -> None:
    if SELLER_CHANNEL in channels(gw):
        with gw.db.transaction() as session:
            expired = expire_pending(
                session,
                SELLER_CHANNEL,
                utcnow() - SELLER_ALERTS_KEEP,
                "older than 24 hours when a seller chat was there to send it to",
            )
        if expired:
            log.info("outbox: %d seller alerts older than 24 hours not sent", expired)
    forget_old_claims(gw.db, gw.channel)
    # The claims of shopper messages' changes, whatever their channel: here, as they are forgotten like the above.
    forget_old_message_claims(gw.db)
