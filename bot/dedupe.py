"""Each Telegram update is handled once, also across a gateway restart: its id is claimed in the database
before anything is done with it.

Claiming first means an update whose handling crashes half-way is not retried: a shopper repeats a message
more easily than a seller undoes an order placed twice by a replayed "Yes, place order" press.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.gateway import Gateway, gateway
from checkout.db.models import utcnow
from checkout.processed_events import claim_event, forget_events_before

log = logging.getLogger(__name__)

PROVIDER = "telegram"
# Telegram keeps an undelivered update for 24 hours, so claims a week old can never be needed again.
KEEP_CLAIMS = timedelta(days=7)


async def skip_repeated_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every handler; stops the update here when it was handled before."""
    if update.pre_checkout_query is not None:
        # Answering one twice is harmless (Telegram keeps the first answer), while claiming it would make its
        # answer wait for the database's write lock: its deadline matters more.
        return
    # update ids count per bot: the bot's id keeps a new token's ids from colliding with the old bot's
    event_id = f"{context.bot.id}:{update.update_id}"
    if not await asyncio.to_thread(_claim, gateway(context), event_id):
        log.info("update %s was handled before; skipped", update.update_id)
        raise ApplicationHandlerStop


def _claim(gw: Gateway, event_id: str) -> bool:
    with gw.db.transaction() as session:
        return claim_event(session, PROVIDER, event_id)


def forget_old_claims(gw: Gateway) -> int:
    with gw.db.transaction() as session:
        return forget_events_before(session, PROVIDER, utcnow() - KEEP_CLAIMS)
