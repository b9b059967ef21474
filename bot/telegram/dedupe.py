"""Each Telegram update is handled once (bot/dedupe.py): PTB's first handler claims its id."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.dedupe import claim_once
from bot.telegram.gateway import gateway

log = logging.getLogger(__name__)

PROVIDER = "telegram"


async def skip_repeated_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every handler; stops the update here when it was handled before."""
    if update.pre_checkout_query is not None:
        # Answering one twice is harmless (Telegram keeps the first answer), while claiming it would make its
        # answer wait for the database's write lock: its deadline matters more.
        return
    # update ids count per bot: the bot's id keeps a new token's ids from colliding with the old bot's
    event_id = f"{context.bot.id}:{update.update_id}"
    if not await asyncio.to_thread(claim_once, gateway(context).db, PROVIDER, event_id):
        log.info("update %s was handled before; skipped", update.update_id)
        raise ApplicationHandlerStop
