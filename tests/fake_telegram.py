"""A fake Telegram Bot API server on loopback: serves what our gateway calls and records every call.

Speaks the Bot API's HTTP interface (POST /bot<token>/<method>, files under /file/bot<token>/), so the
gateway runs unchanged with TELEGRAM_API_BASE_URL pointing here. Tests push updates the way Telegram would
deliver them (getUpdates) and read back what the bot sent; `fail_next` injects errors such as a 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field

from aiohttp import web

TOKEN = "7012345678:AAH-fake-token-for-tests-only-9xYz"  # the token's shape; each fake makes one of its own
BOT_USER = {
    "id": 7012345678,
    "is_bot": True,
    "first_name": "Shop",
    "username": "fake_shop_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
JSON_PARAMS = {
    "reply_markup",
    "allowed_updates",
    "chat_id",
    "offset",
    "limit",
    "timeout",
    "show_alert",
    "drop_pending_updates",
    "prices",
    "max_connections",
    "ok",
}
MESSAGE_METHODS = {"sendMessage", "sendPhoto", "sendInvoice"}


@dataclass
class Call:
    method: str
    params: dict
    status: int  # the HTTP status we answered with
    at: float = field(default_factory=time.monotonic)


class FakeTelegram:
    def __init__(self, token: str | None = None):
        # A token of its own: a gateway left running by an earlier test or test run, still retrying the port
        # its fake had, may find this fake there (ports are handed out again); it is refused (401) and stops,
        # rather than taking this fake's updates or deleting its webhook.
        self.token = token or f"{TOKEN.split(':')[0]}:AAH-fake-{secrets.token_hex(12)}"
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}
        self.webhook: dict | None = None
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._failures: dict[str, list[tuple[str | None, dict]]] = {}  # method -> (chat id or any, answer)
        self._blocked: set[str] = set()  # chats whose user blocked the bot
        self._held: dict[str, tuple[threading.Event, threading.Event]] = {}  # chat -> (arrived, released)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        started = threading.Event()
        threading.Thread(target=self._serve, args=(started,), daemon=True).start()
        if not started.wait(10):
            raise RuntimeError("fake Telegram did not start")

    # --- what tests use -------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def push(self, update: dict) -> dict:
        """Queues an update for getUpdates; gives it the next update_id unless it has one (a redelivery)."""
        with self._lock:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
        self._loop.call_soon_threadsafe(self._wake.set)  # answers a waiting long poll at once
        return update

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int | None = 1,
        description: str = "Too Many Requests: retry after 1",
        chat_id: int | str | None = None,
    ) -> None:
        """The next call to `method` fails; with `chat_id`, the next one for that chat (the gateway may be
        sending to other chats at the same moment, e.g. the seller alerts its outbox delivers)."""
        with self._lock:
            self._failures.setdefault(method, []).append(
                (
                    None if chat_id is None else str(chat_id),
                    {
                        "ok": False,
                        "error_code": error_code,
                        "description": description,
                        **({"parameters": {"retry_after": retry_after}} if retry_after is not None else {}),
                    },
                )
            )

    def block(self, chat_id: int | str) -> None:
        """The chat's user blocks the bot: every message to it from now on is refused with Telegram's 403."""
        with self._lock:
            self._blocked.add(str(chat_id))

    def hold(self, chat_id: int | str) -> tuple[threading.Event, threading.Event]:
        """The next message to the chat is held unanswered (a request in flight) until the test sets `released`;
        `arrived` is set when it comes in."""
        arrived, released = threading.Event(), threading.Event()
        with self._lock:
            self._held[str(chat_id)] = (arrived, released)
        return arrived, released

    def pre_checkout_answers(self, query_id: str) -> list[Call]:
        """answerPreCheckoutQuery calls for one query, in order."""
        return [
            c
            for c in self.calls_to("answerPreCheckoutQuery")
            if str(c.params.get("pre_checkout_query_id")) == str(query_id)
        ]

    def add_file(self, content: bytes, unique_id: str) -> str:
        file_id = f"file-{unique_id}"
        self.files[file_id] = content
        return file_id

    def calls_to(self, method: str, chat_id: int | str | None = None) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == method and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
            ]

    def messages_to(self, chat_ids: set[str]) -> list[Call]:
        """Every message sent to any of these chats, whatever the answer, in order (`at`: when it arrived)."""
        with self._lock:
            return [c for c in self.calls if c.method in MESSAGE_METHODS and str(c.params.get("chat_id")) in chat_ids]

    def delivered(self, chat_id: int | str) -> list[Call]:
        """Messages that reached the chat (answered 200), in order."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method in MESSAGE_METHODS and c.status == 200 and str(c.params.get("chat_id")) == str(chat_id)
            ]

    def wait_for(self, predicate, timeout: float = 30, message: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s waiting for {message}")

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    # --- the server -----------------------------------------------------------------------------------
    def _serve(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._wake = asyncio.Event()
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        started.set()
        self._loop.run_forever()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._record(method, {}, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        params = await _params(request)
        with self._lock:
            held = self._held.pop(str(params.get("chat_id")), None) if method in MESSAGE_METHODS else None
        if held:
            held[0].set()
            while not held[1].is_set():  # set by the test's thread
                await asyncio.sleep(0.02)
        with self._lock:
            failure = self._take_failure(method, params)
            if not failure and method in MESSAGE_METHODS and str(params.get("chat_id")) in self._blocked:
                failure = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
        if failure:
            return self._record(method, params, failure["error_code"], failure)
        if method == "getUpdates":
            result = await self._get_updates(params)
        else:
            handler = getattr(self, f"_{method}", None)
            result = handler(params) if handler else True
        return self._record(method, params, 200, {"ok": True, "result": result})

    def _take_failure(self, method: str, params: dict) -> dict | None:
        """Under the lock: the first failure queued for this call, taken off the queue."""
        queued = self._failures.get(method, [])
        for i, (chat_id, answer) in enumerate(queued):
            if chat_id is None or chat_id == str(params.get("chat_id")):
                del queued[i]
                return answer
        return None

    def _record(self, method: str, params: dict, status: int, body: dict) -> web.Response:
        with self._lock:
            self.calls.append(Call(method, params, status))
        return web.json_response(body, status=status)

    async def _get_updates(self, params: dict) -> list[dict]:
        offset, timeout = int(params.get("offset") or 0), min(float(params.get("timeout") or 0), 5)
        deadline = time.monotonic() + timeout
        while True:
            self._wake.clear()  # before looking, so a push after the look still wakes the wait below
            with self._lock:
                # Telegram forgets updates below the offset: the client confirmed them.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = list(self._updates[: int(params.get("limit") or 100)])
            if ready or time.monotonic() >= deadline:
                return ready
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.01, min(0.5, deadline - time.monotonic())))

    async def _file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        with self._lock:
            self.calls.append(Call("downloadFile", {"file_id": file_id}, 200 if file_id in self.files else 404))
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

    # --- Bot API methods (those not here answer `true`) --------------------------------------------
    def _getMe(self, params):
        return BOT_USER

    def _message(self, params, **content):
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "from": BOT_USER,
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            **content,
            **({"reply_markup": params["reply_markup"]} if params.get("reply_markup") else {}),
        }

    def _sendMessage(self, params):
        return self._message(params, text=params["text"])

    def _sendPhoto(self, params):
        photo = [{"file_id": "sent-photo", "file_unique_id": "sent-photo-u", "width": 90, "height": 90}]
        return self._message(params, photo=photo, **({"caption": params["caption"]} if params.get("caption") else {}))

    def _sendInvoice(self, params):
        prices = params.get("prices") if isinstance(params.get("prices"), list) else []
        return self._message(
            params,
            invoice={
                "title": params.get("title", ""),
                "description": params.get("description", ""),
                "start_parameter": params.get("start_parameter", ""),
                "currency": params.get("currency", ""),
                "total_amount": sum(int(p.get("amount", 0)) for p in prices),
            },
        )

    def _getFile(self, params):
        file_id = params["file_id"]
        if file_id not in self.files:
            return None
        return {
            "file_id": file_id,
            "file_unique_id": file_id.removeprefix("file-"),
            "file_size": len(self.files[file_id]),
            "file_path": f"photos/{file_id}",
        }

    def _setWebhook(self, params):
        self.webhook = params
        return True

    def _deleteWebhook(self, params):
        self.webhook = None
        return True

    def _getWebhookInfo(self, params):
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }


async def _params(request: web.Request) -> dict:
    if request.content_type == "application/json":
        data = await request.json()
        return data if isinstance(data, dict) else {}
    form = await request.post() if request.can_read_body else {}
    params = dict(request.query)
    for key, value in form.items():
        if not isinstance(value, str):  # an uploaded file
            params[key] = {"filename": value.filename, "size": len(value.file.read())}
        elif key in JSON_PARAMS:
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
        else:
            params[key] = value
    return params
