"""Webhook mode: a small aiohttp server that takes Telegram's POSTs and queues them for the application.

PTB has a webhook server of its own, but it compares the secret with `!=`; here every request is checked
with a constant-time compare, and a request without the right secret gets 403 with nothing processed.
"""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few KB; files are fetched separately


def listen_path(webhook_url: str) -> str:
    """The path Telegram POSTs to: the public URL's path (a reverse proxy forwards it unchanged)."""
    return urlsplit(webhook_url).path or "/"


def webhook_app(application: Application, secret: str, path: str) -> web.Application:
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook request without the right secret from %s refused", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            update = Update.de_json(json.loads(await request.read()), application.bot)
        except Exception as exc:  # noqa: BLE001 - not JSON, or not an update: refused, the gateway goes on
            log.warning("malformed webhook update refused: %s", exc)
            return web.Response(status=400, text="malformed update")
        if update is None:
            return web.Response(status=400, text="malformed update")
        await application.update_queue.put(update)
        return web.Response(text="ok")

    async def health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", health)
    return app


async def start_webhook_server(application: Application, secret: str, path: str, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(webhook_app(application, secret, path), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
