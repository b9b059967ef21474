"""Photos and files a shopper sends while an order of theirs awaits payment: kept as proof of payment."""

from __future__ import annotations

import asyncio

from telegram import Document, PhotoSize, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.gateway import CHANNEL, Gateway, gateway
from checkout.orders.proofs import MAX_PROOF_BYTES, ProofFile, attach_payment_proof, order_awaiting_payment


async def proof_of_payment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo or image/PDF file: stored on the shopper's unpaid order, or told we read text only."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None  # PRIVATE_MESSAGE: a message in a private chat
    gw = gateway(context)
    user_id = str(update.effective_user.id) if update.effective_user else str(chat.id)
    number = await asyncio.to_thread(_unpaid_order_number, gw, user_id)
    if number is None:
        await message.reply_text(texts.TEXT_ONLY)
        return
    chosen: PhotoSize | Document
    if message.photo:
        chosen = message.photo[-1]  # Telegram lists sizes smallest first; the largest is the readable one
        mime = "image/jpeg"
    else:
        assert message.document is not None  # PROOF_FILES: without a photo, an image or PDF document
        chosen, mime = message.document, message.document.mime_type or "application/octet-stream"
    if chosen.file_size and chosen.file_size > MAX_PROOF_BYTES:
        await message.reply_text(texts.PROOF_TOO_LARGE)
        return
    telegram_file = await context.bot.get_file(chosen.file_id)
    content = bytes(await telegram_file.download_as_bytearray())
    if len(content) > MAX_PROOF_BYTES:
        await message.reply_text(texts.PROOF_TOO_LARGE)
        return
    proof = ProofFile(
        channel=CHANNEL,
        file_id=chosen.file_id,
        file_unique_id=chosen.file_unique_id,
        mime_type=mime,
        content=content,
        caption=message.caption,
    )
    outcome = await asyncio.to_thread(_attach, gw, user_id, proof)
    replies = {"stored": texts.PROOF_STORED, "duplicate": texts.PROOF_ALREADY_STORED, "no_order": texts.TEXT_ONLY}
    await message.reply_text(replies[outcome].format(number=number))


def _unpaid_order_number(gw: Gateway, user_id: str) -> str | None:
    with gw.db.reading() as session:
        order = order_awaiting_payment(session, CHANNEL, user_id)
        return order.number if order else None


def _attach(gw: Gateway, user_id: str, proof: ProofFile) -> str:
    with gw.db.transaction() as session:
        # Read again in the writing transaction: the order may have been paid or cancelled during the download.
        order = order_awaiting_payment(session, CHANNEL, user_id)
        if order is None:
            return "no_order"
        return "stored" if attach_payment_proof(session, order, proof) is not None else "duplicate"
