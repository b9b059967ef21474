"""`python -m bot.telegram`: the Telegram gateway (long polling, or webhook mode); the outbox beside it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.logging_setup import configure_logging
from bot.outbox import deliver_forever
from bot.telegram.application import build_application
from bot.telegram.delivery import TelegramSender
from bot.telegram.webhook import listen_path, start_webhook_server
from checkout.settings import Settings, load_settings, telegram_configuration_error

log = logging.getLogger("bot")


def main() -> None:
    settings = load_settings()
    configure_logging(
        settings.log_level,
        [settings.telegram_bot_token, settings.telegram_webhook_secret, settings.telegram_payment_provider_token],
    )
    problem = telegram_configuration_error(settings)
    if problem:
        log.error("cannot start the Telegram gateway: %s", problem)
        sys.exit(2)
    try:
        asyncio.run(serve(settings))
    except InvalidToken:
        log.error("Telegram refused TELEGRAM_BOT_TOKEN; check it with @BotFather")
        sys.exit(2)


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    application = build_application(settings)
    gateway = application.bot_data["gateway"]
    try:
        if not await _initialize(application, stop):
            return
        await application.start()
        runner = await _receive_updates(application, settings)
        outbox = asyncio.create_task(deliver_forever(gateway, TelegramSender(application.bot, gateway)))
        log.info(
            "Telegram gateway running as @%s (%s)",
            application.bot.username,
            "webhook mode" if runner else "long polling",
        )
        await stop.wait()
        log.info("stopping")
        outbox.cancel()
        if runner:
            await runner.cleanup()
        else:
            assert application.updater is not None  # long polling ran on it
            await application.updater.stop()
        await application.stop()
        await application.shutdown()
    finally:
        await gateway.close()


async def _initialize(application: Application, stop: asyncio.Event) -> bool:
    """getMe until Telegram answers: an outage at start-up must not take the whole shop down with it."""
    delay = 1.0
    while not stop.is_set():
        try:
            await application.initialize()
            return True
        except InvalidToken:
            raise
        except NetworkError as exc:
            log.warning("Telegram not reachable (%s); trying again in %.0f s", exc, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(60.0, delay * 2)
    return False


async def _receive_updates(application: Application, settings: Settings) -> web.AppRunner | None:
    """Starts polling or the webhook server; returns the server's runner in webhook mode."""
    if not settings.telegram_webhook_url:
        # Polling first deletes any webhook, so a gateway moved back from webhook mode just works.
        assert application.updater is not None  # ApplicationBuilder makes one unless told not to
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1)
        return None
    runner = await start_webhook_server(
        application,
        settings.telegram_webhook_secret,
        listen_path(settings.telegram_webhook_url),
        settings.telegram_webhook_listen_host,
        settings.telegram_webhook_listen_port,
    )
    await application.bot.set_webhook(
        settings.telegram_webhook_url, secret_token=settings.telegram_webhook_secret, allowed_updates=Update.ALL_TYPES
    )
    return runner
