"""What the gateway does with each kind of Telegram update in a shopper's private chat."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PreCheckoutQueryHandler,
    TypeHandler,
    filters,
)

from bot import texts
from bot.gateway import Gateway
from bot.telegram.dedupe import skip_repeated_update
from bot.telegram.gateway import gateway
from bot.telegram.payments import pre_checkout_query, successful_payment
from bot.telegram.proofs import proof_of_payment
from bot.telegram.relay import forward
from checkout.assistant_client import typed_text
from checkout.button_payloads import payload_for

log = logging.getLogger(__name__)

PRIVATE_MESSAGE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
PROOF_FILES = filters.PHOTO | filters.Document.IMAGE | filters.Document.MimeType("application/pdf")


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: the assistant's greeting, then what the shop sells."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None  # PRIVATE_MESSAGE: a message in a private chat
    gw = gateway(context)
    await forward(context.bot, gw, chat, update.effective_user, "/greet", message.message_id, message.date)
    await forward(
        context.bot,
        gw,
        chat,
        update.effective_user,
        "/browse_catalog",
        f"{message.message_id}:catalog",
        message.date,
    )


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Typed text goes to Rasa as text (a typed "/command" never acts as a Rasa intent)."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None  # PRIVATE_MESSAGE: a message in a private chat
    text = typed_text(message.text)
    if not text or not text.strip():
        return
    await forward(
        context.bot,
        gateway(context),
        chat,
        update.effective_user,
        text,
        message.message_id,
        message.date,
    )


async def button_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press: acknowledged at once, then its Rasa payload forwarded like a message."""
    query = update.callback_query
    assert query is not None  # CallbackQueryHandler: only callback queries come here
    gw = gateway(context)
    payload = await asyncio.to_thread(_payload, gw, query.data)
    if payload is None or update.effective_chat is None:
        await query.answer(texts.BUTTON_EXPIRED)
        return
    try:
        await query.answer()
    except TelegramError as exc:  # e.g. "query is too old" after a restart: the press still counts
        log.info("button press %s not acknowledged: %s", query.id, exc)
    await forward(context.bot, gw, update.effective_chat, query.from_user, payload, f"callback:{query.id}")


async def contact_shared(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A shared contact answers the phone question: its number goes to Rasa as if typed."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None  # PRIVATE_MESSAGE: a message in a private chat
    assert message.contact is not None  # filters.CONTACT
    phone = typed_text(message.contact.phone_number)  # client-made data: never a Rasa command either
    if phone:
        await forward(
            context.bot,
            gateway(context),
            chat,
            update.effective_user,
            phone,
            message.message_id,
            message.date,
        )


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, voice, video, locations...: the assistant reads text only."""
    message = update.effective_message
    assert message is not None  # PRIVATE_MESSAGE: a message in a private chat
    await message.reply_text(texts.TEXT_ONLY)


async def log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A failing update is logged and dropped; the gateway goes on with the next."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed: %r", update_id, context.error, exc_info=context.error)


def add_handlers(application: Application) -> None:
    application.add_handler(TypeHandler(Update, skip_repeated_update), group=-1)
    # Telegram payments: before the catch-all below, which would answer a payment with "text only".
    application.add_handler(PreCheckoutQueryHandler(pre_checkout_query))
    application.add_handler(MessageHandler(PRIVATE_MESSAGE & filters.SUCCESSFUL_PAYMENT, successful_payment))
    application.add_handler(CommandHandler("start", start, filters=PRIVATE_MESSAGE))
    application.add_handler(MessageHandler(PRIVATE_MESSAGE & filters.TEXT, text_message))
    application.add_handler(CallbackQueryHandler(button_press))
    application.add_handler(MessageHandler(PRIVATE_MESSAGE & PROOF_FILES, proof_of_payment))
    application.add_handler(MessageHandler(PRIVATE_MESSAGE & filters.CONTACT, contact_shared))
    application.add_handler(MessageHandler(PRIVATE_MESSAGE, not_text))
    application.add_error_handler(log_error)


def _payload(gw: Gateway, key: str | None) -> str | None:
    if not key:
        return None
    with gw.db.reading() as session:
        return payload_for(session, key)
