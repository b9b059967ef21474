"""Forwarding a shopper's message to Rasa's REST channel and their answer back to the chat."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from telegram import Bot, Chat, User

from bot import texts
from bot.gateway import CHANNEL, Gateway
from bot.replies import send_rasa_messages
from checkout.assistant_client import AssistantUnavailable
from checkout.customers.identity import ShopperIdentity
from checkout.records.recorder import record_unanswered_message

log = logging.getLogger(__name__)


def shopper_metadata(user: User | None, message_id: int | str) -> dict:
    """The REST metadata contract: who wrote, as Telegram knows them, so customer records get it."""
    return {
        "channel": CHANNEL,
        "user_id": user.id if user else None,
        "first_name": user.first_name if user else None,
        "last_name": user.last_name if user else None,
        "username": user.username if user else None,
        "language_code": user.language_code if user else None,
        "message_id": message_id,
    }


async def forward(
    bot: Bot,
    gw: Gateway,
    chat: Chat,
    user: User | None,
    text: str,
    message_id: int | str,
    sent_at: datetime | None = None,
) -> None:
    """One turn: the text to Rasa, every reply back in order.

    Rasa down: an apology at once. Rasa slow: after TELEGRAM_RASA_TIMEOUT_SECONDS a note that the answer is
    coming, and the answer when it comes (Rasa may be placing an order: its confirmation must not be lost).
    Either way the message is recorded, so the seller sees it even if Rasa never does."""
    sender = str(chat.id)
    metadata = shopper_metadata(user, message_id)
    turn = asyncio.ensure_future(gw.assistant.send(sender, text, metadata))
    try:
        replies = await asyncio.wait_for(asyncio.shield(turn), timeout=gw.settings.telegram_rasa_timeout_seconds)
    except TimeoutError:
        log.warning("Rasa is slow to answer chat %s (message %s)", sender, message_id)
        await asyncio.to_thread(_record_unanswered, gw, sender, metadata, text, message_id, sent_at)
        await bot.send_message(chat.id, texts.ASSISTANT_SLOW)
        try:
            replies = await turn  # bounded by the client's own timeout (LATE_REPLY_SECONDS)
        except AssistantUnavailable as exc:
            log.warning("Rasa never answered chat %s (message %s): %s", sender, message_id, exc)
            await bot.send_message(chat.id, texts.ASSISTANT_UNAVAILABLE)
            return
    except AssistantUnavailable as exc:
        log.warning("Rasa did not answer chat %s (message %s): %s", sender, message_id, exc)
        # Recorded first: the record must not depend on Telegram accepting the apology.
        await asyncio.to_thread(_record_unanswered, gw, sender, metadata, text, message_id, sent_at)
        await bot.send_message(chat.id, texts.ASSISTANT_UNAVAILABLE)
        return
    await send_rasa_messages(bot, gw, chat.id, replies)


def _record_unanswered(
    gw: Gateway, sender: str, metadata: dict, text: str, message_id: int | str, sent_at: datetime | None
) -> None:
    identity = ShopperIdentity.from_rasa(sender, CHANNEL, metadata)
    try:
        with gw.db.transaction() as session:
            record_unanswered_message(session, identity, text, str(message_id), sent_at)
    except Exception:  # a failed record is logged; the shopper still gets their answer
        log.exception("could not record the unanswered message %s of chat %s", message_id, sender)
