"""A photo or image/PDF file from a Telegram shopper: downloaded and kept as proof of payment (bot/proofs.py)."""

from __future__ import annotations

import asyncio

from telegram import Document, PhotoSize, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.proofs import keep_proof
from bot.telegram.gateway import CHANNEL, gateway
from checkout.orders.proofs import MAX_PROOF_BYTES, ProofFile, unpaid_order_number


async def proof_of_payment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo or image/PDF file: stored on the shopper's unpaid order, or told we read text only."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None  # PRIVATE_MESSAGE: a message in a private chat
    gw = gateway(context)
    user_id = str(update.effective_user.id) if update.effective_user else str(chat.id)
    if await asyncio.to_thread(unpaid_order_number, gw.db, CHANNEL, user_id) is None:
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
    await message.reply_text(await asyncio.to_thread(keep_proof, gw, user_id, proof))
