"""The worker behind the webhook: answers the stored messages, one chat's messages in order, different chats at
the same time. The database decides which message is next (checkout/whatsapp/inbox.py): one per chat in hand,
so the order holds across worker processes too."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.gateway import Gateway
from bot.whatsapp.graph_api import GraphApi, GraphError, GraphUnreachable
from bot.whatsapp.inbound import handle_message
from checkout.whatsapp.inbox import Inbound, claim_next_messages, forget_old_inbound, mark_handled

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2  # a new message waits at most this long before the worker sees it
MAX_CONCURRENT_CHATS = 32
HOUSEKEEPING_SECONDS = 3600


async def answer_messages_forever(gw: Gateway, api: GraphApi) -> None:
    running: dict[asyncio.Task, int] = {}  # each answer under way -> its stored message's id
    finished = asyncio.Event()  # a chat's turn ended: its next message may be taken at once
    pause = 0.0
    try:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), pause)
            finished.clear()
            try:
                claimed = await asyncio.to_thread(claim_next_messages, gw.db, MAX_CONCURRENT_CHATS - len(running))
            except Exception:  # the database went away for a moment: log it and try again
                log.exception("could not take the stored WhatsApp messages")
                pause = min(30.0, max(1.0, pause * 2))
                continue
            for inbound in claimed:
                task = asyncio.create_task(_answer(gw, api, inbound))
                running[task] = inbound.id
                task.add_done_callback(running.pop)
                task.add_done_callback(lambda _: finished.set())
            pause = POLL_SECONDS
    finally:
        # Stopping: each answer under way is cut where it is, and marked handled, never retried (it may have placed an
        # order); marked here too, since a cut may land in its own marking, so that its chat goes on at the restart.
        cut = dict(running)
        for task in cut:
            task.cancel()
        await asyncio.gather(*cut, return_exceptions=True)
        for inbound_id in cut.values():
            await asyncio.to_thread(mark_handled, gw.db, inbound_id)


async def _answer(gw: Gateway, api: GraphApi, inbound: Inbound) -> None:
    try:
        await handle_message(gw, api, inbound)
    except (GraphError, GraphUnreachable) as exc:
        log.warning("WhatsApp message %s: the answer could not be sent: %s", inbound.message.get("id"), exc)
    except Exception:  # one failing message must not stop the chat's next ones
        log.exception("WhatsApp message %s failed", inbound.message.get("id"))
    finally:
        await asyncio.to_thread(mark_handled, gw.db, inbound.id)


async def housekeeping_forever(gw: Gateway) -> None:
    while True:
        try:
            dropped = await asyncio.to_thread(forget_old_inbound, gw.db)
            if dropped:
                log.info("dropped %d handled WhatsApp messages older than a week", dropped)
        except Exception:
            log.exception("WhatsApp housekeeping failed")
        await asyncio.sleep(HOUSEKEEPING_SECONDS)
