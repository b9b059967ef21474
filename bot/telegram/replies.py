"""Sending rendered Rasa replies (and outbox messages) to a chat, in order."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.gateway import Gateway
from bot.telegram.rendering import Outgoing, keyboard, render
from checkout.button_payloads import store_payloads
from checkout.log_redaction import chat_ref

log = logging.getLogger(__name__)


async def send_rasa_messages(bot: Bot, gw: Gateway, chat_id: int | str, messages: list[dict]) -> list[Message]:
    return await send_outgoing(bot, gw, chat_id, render(messages))


async def send_outgoing(bot: Bot, gw: Gateway, chat_id: int | str, outgoing: list[Outgoing]) -> list[Message]:
    """Sends each message after the previous one is accepted, so they arrive in Rasa's order."""
    payloads = [payload for item in outgoing for _, payload in item.buttons]
    keys = await asyncio.to_thread(_store, gw, payloads) if payloads else {}
    sent = []
    for item in outgoing:
        markup = keyboard(item.buttons, keys)
        if item.photo:
            try:
                sent.append(
                    await bot.send_photo(
                        chat_id, item.photo, caption=item.text, parse_mode=ParseMode.HTML, reply_markup=markup
                    )
                )
                continue
            except BadRequest as exc:  # Telegram could not fetch the image: the words still matter
                log.warning("photo %s not sent to chat %s: %s", item.photo, chat_ref(chat_id), exc)
                if not item.text and not markup:
                    continue
        sent.append(await bot.send_message(chat_id, item.text or "🖼", parse_mode=ParseMode.HTML, reply_markup=markup))
    return sent


def _store(gw: Gateway, payloads: list[str]) -> dict[str, str]:
    with gw.db.transaction() as session:
        return store_payloads(session, payloads)
