"""Wiring: the PTB application with our handlers, rate limiter and update processor."""

from __future__ import annotations

from typing import TypedDict

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from bot.gateway import Gateway
from bot.telegram.gateway import CHANNEL
from bot.telegram.handlers import add_handlers
from bot.telegram.ordering import ChatOrderedUpdateProcessor
from bot.telegram.tolerant_bot import TolerantBot
from checkout.settings import Settings

# A 429 is waited out (for as long as Telegram's retry_after says) and the request sent again, this often.
RETRIES_AFTER_FLOOD_LIMIT = 3


class _ApiUrls(TypedDict, total=False):
    """A self-hosted Bot API server's URLs; left out, PTB's defaults (Telegram's own) apply."""

    base_url: str
    base_file_url: str


def file_base_url(api_base_url: str) -> str:
    """Files are served beside the API: .../bot -> .../file/bot (Telegram's and the self-hosted server's layout)."""
    base = api_base_url.rstrip("/")
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"


def build_application(settings: Settings) -> Application:
    urls: _ApiUrls = {}
    if settings.telegram_api_base_url:
        urls = {
            "base_url": settings.telegram_api_base_url.rstrip("/"),
            "base_file_url": file_base_url(settings.telegram_api_base_url),
        }
    bot = TolerantBot(
        settings.telegram_bot_token,
        **urls,
        rate_limiter=AIORateLimiter(max_retries=RETRIES_AFTER_FLOOD_LIMIT),
        # Replies to many chats at once share the pool; a long poll has its own connection.
        request=HTTPXRequest(connection_pool_size=64),
        get_updates_request=HTTPXRequest(read_timeout=30),
    )
    application = ApplicationBuilder().bot(bot).concurrent_updates(ChatOrderedUpdateProcessor()).build()
    application.bot_data["gateway"] = Gateway.from_settings(settings, CHANNEL)
    add_handlers(application)
    return application
