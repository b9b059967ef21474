"""`python -m bot.whatsapp`: the WhatsApp gateway. The web app's /webhooks/whatsapp stores what Meta delivers;
this process answers it through Rasa, delivers the outbox's WhatsApp messages, and tidies up."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bot.gateway import Gateway
from bot.logging_setup import configure_logging
from bot.outbox import deliver_forever
from bot.whatsapp.delivery import WhatsAppSender
from bot.whatsapp.graph_api import GraphApi
from bot.whatsapp.inbound import CHANNEL
from bot.whatsapp.worker import answer_messages_forever, housekeeping_forever
from checkout.settings import Settings, load_settings, whatsapp_configuration_error

log = logging.getLogger("bot.whatsapp")


def main() -> None:
    settings = load_settings()
    configure_logging(
        settings.log_level,
        [settings.whatsapp_access_token, settings.whatsapp_app_secret, settings.whatsapp_verify_token],
    )
    problem = whatsapp_configuration_error(settings)
    if problem:
        log.error("cannot start the WhatsApp gateway: %s", problem)
        sys.exit(2)
    asyncio.run(serve(settings))


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    gw = Gateway.from_settings(settings, CHANNEL)
    api = GraphApi(settings)
    tasks = [
        asyncio.create_task(answer_messages_forever(gw, api)),
        asyncio.create_task(deliver_forever(gw, WhatsAppSender(gw, api))),
        asyncio.create_task(housekeeping_forever(gw)),
    ]
    log.info("WhatsApp gateway running for phone number id %s", settings.whatsapp_phone_number_id)
    try:
        await stop.wait()
        log.info("stopping")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await api.close()
        await gw.close()
