"""Forwarding a Telegram shopper's message to Rasa (bot/relay.py) and the answer back to the chat."""

from __future__ import annotations

from datetime import datetime

from telegram import Bot, Chat, User

from bot.gateway import Gateway
from bot.relay import admitted, ask_assistant
from bot.telegram.gateway import CHANNEL
from bot.telegram.replies import send_rasa_messages


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
    """One turn: the text to Rasa, every reply back in order; nothing past the chat's flood limit."""

    async def say(sentence: str) -> object:
        return await bot.send_message(chat.id, sentence)

    if not await admitted(gw, str(chat.id), say):
        return
    replies = await ask_assistant(gw, str(chat.id), text, shopper_metadata(user, message_id), say, sent_at)
    if replies is not None:
        await send_rasa_messages(bot, gw, chat.id, replies)
