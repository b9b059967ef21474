"""One shopper turn through Rasa's REST channel, whatever the chat: the text in, the replies out.

Rasa down: an apology at once. Rasa slow: after TELEGRAM_RASA_TIMEOUT_SECONDS a note that the answer is coming,
and the answer when it comes (Rasa may be placing an order: its confirmation must not be lost). Either way the
message is recorded, so the seller sees it even if Rasa never does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot import texts
from bot.flood import Verdict
from bot.gateway import Gateway
from checkout.assistant_client import AssistantUnavailable
from checkout.customers.identity import ShopperIdentity
from checkout.log_redaction import chat_ref
from checkout.records.recorder import record_unanswered_message

log = logging.getLogger(__name__)

Say = Callable[[str], Awaitable[object]]  # sends one of the gateway's own sentences (bot/texts.py) to the chat


async def admitted(gw: Gateway, sender: str, say: Say) -> bool:
    """Whether this message may go to Rasa (bot/flood.py); past the limit the shopper is told once per period."""
    verdict = await asyncio.to_thread(gw.flood.admit, sender)
    if verdict is Verdict.TELL:
        log.info("%s chat %s is past its flood limit: told to slow down", gw.channel, chat_ref(sender))
        await say(texts.SLOW_DOWN)
    return verdict is Verdict.ACCEPTED


async def ask_assistant(
    gw: Gateway,
    sender: str,
    text: str,
    metadata: dict,
    say: Say,
    sent_at: datetime | None = None,
) -> list[dict] | None:
    """Rasa's replies to this message, or None when Rasa could not answer (the shopper was told)."""
    message_id = metadata.get("message_id")
    turn = asyncio.ensure_future(gw.assistant.send(sender, text, metadata))
    try:
        return await asyncio.wait_for(asyncio.shield(turn), timeout=gw.settings.telegram_rasa_timeout_seconds)
    except TimeoutError:
        log.warning("Rasa is slow to answer %s chat %s (message %s)", gw.channel, chat_ref(sender), message_id)
        await asyncio.to_thread(_record_unanswered, gw, sender, metadata, text, sent_at)
        await say(texts.ASSISTANT_SLOW)
        try:
            return await turn  # bounded by the client's own timeout (LATE_REPLY_SECONDS)
        except AssistantUnavailable as exc:
            log.warning(
                "Rasa never answered %s chat %s (message %s): %s", gw.channel, chat_ref(sender), message_id, exc
            )
            await say(texts.ASSISTANT_UNAVAILABLE)
            return None
    except AssistantUnavailable as exc:
        log.warning("Rasa did not answer %s chat %s (message %s): %s", gw.channel, chat_ref(sender), message_id, exc)
        # Recorded first: the record must not depend on the channel accepting the apology.
        await asyncio.to_thread(_record_unanswered, gw, sender, metadata, text, sent_at)
        await say(texts.ASSISTANT_UNAVAILABLE)
        return None


def _record_unanswered(gw: Gateway, sender: str, metadata: dict, text: str, sent_at: datetime | None) -> None:
    identity = ShopperIdentity.from_rasa(sender, gw.channel, metadata)
    try:
        with gw.db.transaction() as session:
            record_unanswered_message(
                session,
                identity,
                text,
                str(metadata.get("message_id")),
                sent_at,
                shop_secret=gw.settings.shop_secret_key,
            )
    except Exception:  # a failed record is logged; the shopper still gets their answer
        log.exception(
            "could not record the unanswered message %s of chat %s", metadata.get("message_id"), chat_ref(sender)
        )
