"""A fake WhatsApp Cloud API (Meta's Graph API) on loopback: serves what our WhatsApp channel calls and records it.

Speaks the Cloud API's HTTP interface — POST /{version}/{phone_number_id}/messages with a Bearer token, GET
/{version}/{media_id} for a media URL and the download behind it — so the channel runs unchanged with
WHATSAPP_API_BASE_URL set to `base_url`. It answers as Meta does, Graph error objects included: 401 (code 190)
for a wrong token, 400 (code 100) for a wrong phone number id or a message Meta would refuse (a button title
over 20 characters, an eleventh list row, ...), so a channel that builds such messages fails here rather than
in production. Tests read back what was sent (`messages_to`, `text_of`, `buttons_of`), wait on it with
`wait_for_messages` (a condition variable, woken by every request), and script errors with `fail_next`
(a 429 rate limit, the 24-hour window's 131047). What customers send comes in through our webhook; see
tests/whatsapp_webhooks.py.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlparse

from aiohttp import web

VERSION = "v21.0"
PHONE_NUMBER_ID = "109876543210"  # the business number's id; tests/whatsapp_webhooks.py has the same default
OUTSIDE_WINDOW_DETAILS = (
    "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
)
MESSAGE_TYPES = {
    "audio",
    "contacts",
    "document",
    "image",
    "interactive",
    "location",
    "reaction",
    "sticker",
    "template",
    "text",
    "video",
}
MEDIA_TYPES = {"audio", "document", "image", "sticker", "video"}
INTERACTIVE_TYPES = {
    "button",
    "list",
    "cta_url",
    "product",
    "product_list",
    "catalog_message",
    "flow",
    "location_request_message",
    "address_message",
}
T = TypeVar("T")


@dataclass
class Call:
    kind: str  # "message", "read" (a read receipt, maybe with a typing indicator) or "media" (URL or download)
    body: dict  # the JSON we were sent; for media, {"media_id": ..., "request": "url" or "download"}
    status: int  # the HTTP status we answered with
    answer: dict | None = None  # the JSON we answered with (None for a download's bytes)
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Failure:
    status: int
    answer: dict
    to: str | None  # digits of the recipient, or any
    receipts: bool  # read receipts fail too


@dataclass
class _Media:
    content: bytes
    mime_type: str
    key: str  # the download URL's `hash`: a URL rebuilt without it is refused, as Meta's signed URLs are


class _Refused(Exception):
    """A request Meta would refuse; becomes a Graph error object."""

    def __init__(
        self,
        details: str,
        *,
        message: str = "(#100) Invalid parameter",
        code: int = 100,
        status: int = 400,
    ):
        super().__init__(details)
        self.status = status
        self.answer = graph_error(message, code, details=details)


def graph_error(
    message: str,
    code: int,
    *,
    details: str | None = None,
    type: str = "OAuthException",
    subcode: int | None = None,
) -> dict:
    """A Graph API error object; WhatsApp errors carry `error_data` with the details."""
    error: dict[str, Any] = {"message": message, "type": type, "code": code}
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)
    return {"error": error}


def new_wamid(wa_id: str) -> str:
    """An id for a message we accept, shaped like Meta's: "wamid." and base64 of the recipient's number and a
    random hex id. (Independent of tests/whatsapp_webhooks.py, which makes the ids of customers' messages.)"""
    number = _digits(wa_id).encode()[:60]
    raw = b"\x1c\x18" + bytes([len(number)]) + number + b"\x15\x02\x00\x11\x18\x12"
    return "wamid." + base64.b64encode(raw + secrets.token_hex(9).upper().encode() + b"\x00").decode()


def _digits(number: object) -> str:
    return re.sub(r"\D", "", str(number or ""))


def _unknown_object(verb: str, object_id: str) -> dict:
    return graph_error(
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be loaded due to missing"
        " permissions, or does not support this operation. Please read the Graph API documentation at"
        " https://developers.facebook.com/docs/graph-api",
        100,
        type="GraphMethodException",
        subcode=33,
    )


class FakeWhatsApp:
    def __init__(self, token: str | None = None, phone_number_id: str = PHONE_NUMBER_ID, version: str = VERSION):
        # A token of its own, as FakeTelegram has: a channel left running by an earlier test, still calling the
        # port its fake had, is refused here (401) rather than counted as this test's messages.
        self.token = token or f"EAAG-fake-{secrets.token_hex(16)}"
        self.phone_number_id = phone_number_id
        self.version = version
        self._calls: list[Call] = []
        self._failures: list[_Failure] = []
        self._media: dict[str, _Media] = {}
        self._cond = threading.Condition(threading.RLock())  # reentrant: wait_for's predicates read under it
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # --- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> FakeWhatsApp:
        if self._thread is not None:
            return self
        started = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, args=(started,), daemon=True, name="fake-whatsapp")
        self._thread.start()
        if not started.wait(10) or self._port is None:
            raise RuntimeError("fake WhatsApp did not start")
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None or self._runner is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread, self._runner, self._port = None, None, None

    close = stop

    def __enter__(self) -> FakeWhatsApp:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("fake WhatsApp is not running: call start() or use it as a context manager")
        return self._port

    @property
    def base_url(self) -> str:
        """WHATSAPP_API_BASE_URL: the channel calls {base_url}/{phone_number_id}/messages and {base_url}/{media_id}."""
        return f"http://127.0.0.1:{self.port}/{self.version}"

    # --- what tests set up ----------------------------------------------------------------------------
    def add_media(self, media_id: str, content: bytes, mime_type: str) -> str:
        """Media a customer sent (the id their webhook message carries), to be fetched by the channel."""
        with self._cond:
            self._media[media_id] = _Media(content, mime_type, secrets.token_urlsafe(12))
        return media_id

    def fail_next(
        self,
        status: int = 429,
        code: int = 130429,
        message: str = "(#130429) Rate limit hit",
        count: int = 1,
        to: str | None = None,
        details: str | None = None,
        *,
        receipts: bool = False,
        subcode: int | None = None,
    ) -> None:
        """The next `count` message sends (with `to`, the next ones to that number; with `receipts`, read receipts
        as well) are answered with `status` and a Graph error object. A send Meta would refuse anyway is refused
        for that, without taking a scripted failure."""
        answer = graph_error(message, code, details=details if details is not None else message, subcode=subcode)
        with self._cond:
            for _ in range(count):
                self._failures.append(_Failure(status, answer, _digits(to) if to is not None else None, receipts))

    def fail_next_rate_limited(self, count: int = 1, to: str | None = None) -> None:
        """Meta's throughput limit: 429 with code 130429."""
        self.fail_next(
            429, 130429, "(#130429) Rate limit hit", count, to, "Cloud API message throughput has been reached."
        )

    def fail_next_outside_window(self, to: str | None = None, count: int = 1) -> None:
        """The 24-hour customer-service window is closed: 400 with code 131047 (only a template may be sent).
        Meta may instead accept such a send and report the failure in a status webhook:
        whatsapp_webhooks.status(wamid, "failed", to, errors=[OUTSIDE_WINDOW])."""
        self.fail_next(400, 131047, "Re-engagement message", count, to, OUTSIDE_WINDOW_DETAILS)

    def reset(self) -> None:
        """Forgets what was sent and the scripted failures; media stays."""
        with self._cond:
            self._calls.clear()
            self._failures.clear()
            self._cond.notify_all()

    # --- what tests read ------------------------------------------------------------------------------
    @property
    def sent(self) -> list[Call]:
        """Every request, whatever the answer, in order of arrival."""
        with self._cond:
            return list(self._calls)

    def messages_to(self, wa_id: str) -> list[dict]:
        """The message bodies accepted (200) for this number, in order."""
        number = _digits(wa_id)
        with self._cond:
            return [
                c.body
                for c in self._calls
                if c.kind == "message" and c.status == 200 and _digits(c.body.get("to")) == number
            ]

    def texts_to(self, wa_id: str) -> list[str]:
        return [text_of(body) for body in self.messages_to(wa_id)]

    def wamids_to(self, wa_id: str) -> list[str]:
        """The ids we gave the accepted messages to this number (for status webhooks and button replies)."""
        number = _digits(wa_id)
        with self._cond:
            return [
                c.answer["messages"][0]["id"]
                for c in self._calls
                if c.kind == "message" and c.status == 200 and c.answer and _digits(c.body.get("to")) == number
            ]

    @property
    def read_receipts(self) -> list[str]:
        """The message ids marked as read (accepted), in order."""
        with self._cond:
            return [c.body["message_id"] for c in self._calls if c.kind == "read" and c.status == 200]

    def wait_for(self, predicate: Callable[[], T], timeout: float = 30, message: str = "condition") -> T:
        """Waits until `predicate()` (over this fake's recordings: it is re-checked when a request comes in)
        is truthy and returns its value; AssertionError on timeout."""
        with self._cond:
            result = self._cond.wait_for(predicate, timeout)
            if not result:
                raise AssertionError(f"timed out after {timeout}s waiting for {message}; {self._seen()}")
            return result

    def wait_for_messages(self, wa_id: str, count: int = 1, timeout: float = 60) -> list[dict]:
        """The accepted message bodies for this number, once there are at least `count`."""
        with self._cond:
            if self._cond.wait_for(lambda: len(self.messages_to(wa_id)) >= count, timeout):
                return self.messages_to(wa_id)
            got = self.texts_to(wa_id)
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} message(s) to {wa_id}; it got {len(got)}: {got!r}; "
                f"{self._seen()}"
            )

    def _seen(self) -> str:
        lines = [
            f"{c.kind} {c.status} to={c.body.get('to', c.body.get('message_id', c.body.get('media_id')))}"
            f" {text_of(c.body)[:60]!r}"
            for c in self._calls[-20:]
        ]
        return f"{len(self._calls)} request(s) in all" + (", the last ones:\n  " + "\n  ".join(lines) if lines else "")

    # --- the server -----------------------------------------------------------------------------------
    def _serve(self, started: threading.Event) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        try:
            app = web.Application(client_max_size=20 * 1024 * 1024)
            app.router.add_get("/media-download/{media_id}", self._download)
            app.router.add_post("/{version}/{object_id}/messages", self._messages)
            app.router.add_get("/{version}/{object_id}", self._media_url)
            app.router.add_route("*", "/{tail:.*}", self._unknown_path)
            self._runner = web.AppRunner(app, access_log=None)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            self._port = self._runner.addresses[0][1]
        finally:
            started.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    def _record(self, kind: str, body: dict, status: int, answer: dict | None) -> None:
        with self._cond:
            self._calls.append(Call(kind, body, status, answer))
            self._cond.notify_all()

    def _answer(self, kind: str, body: dict, status: int, answer: dict) -> web.Response:
        self._record(kind, body, status, answer)
        return web.json_response(answer, status=status)

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization", "") == f"Bearer {self.token}"

    async def _unknown_path(self, request: web.Request) -> web.Response:
        return web.json_response(graph_error(f"Unknown path components: {request.path}", 2500), status=400)

    async def _messages(self, request: web.Request) -> web.Response:
        if request.match_info["version"] != self.version:
            return await self._unknown_path(request)
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {}
        kind = "read" if body.get("status") == "read" else "message"
        if not self._authorized(request):
            return self._answer(kind, body, 401, graph_error("Invalid OAuth access token.", 190))
        if request.match_info["object_id"] != self.phone_number_id:
            return self._answer(kind, body, 400, _unknown_object("post", request.match_info["object_id"]))
        try:
            if body.get("messaging_product") != "whatsapp":
                raise _Refused(
                    "The parameter messaging_product is required.",
                    message="(#100) The parameter messaging_product is required.",
                )
            if kind == "read":
                _check_read_receipt(body)
            else:
                _check_message(body)
        except (AttributeError, TypeError, KeyError) as malformed:  # a field of the wrong JSON type
            refused = _Refused(f"Malformed parameter ({type(malformed).__name__}: {malformed})")
            return self._answer(kind, body, refused.status, refused.answer)
        except _Refused as refused:
            return self._answer(kind, body, refused.status, refused.answer)
        with self._cond:
            failure = self._take_failure(kind, body)
        if failure:
            return self._answer(kind, body, failure.status, failure.answer)
        if kind == "read":
            return self._answer(kind, body, 200, {"success": True})
        wa_id = _digits(body["to"])
        sent: dict[str, Any] = {"id": new_wamid(wa_id)}
        if body.get("type") == "template":
            sent["message_status"] = "accepted"
        answer = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": wa_id}],
            "messages": [sent],
        }
        return self._answer(kind, body, 200, answer)

    def _take_failure(self, kind: str, body: dict) -> _Failure | None:
        """Under the lock: the first scripted failure for this request, taken off the queue."""
        for i, failure in enumerate(self._failures):
            if kind == "read" and not failure.receipts:
                continue
            if failure.to is not None and (kind == "read" or failure.to != _digits(body.get("to"))):
                continue
            del self._failures[i]
            return failure
        return None

    async def _media_url(self, request: web.Request) -> web.Response:
        media_id = request.match_info["object_id"]
        call = {"media_id": media_id, "request": "url"}
        if request.match_info["version"] != self.version:
            return await self._unknown_path(request)
        if not self._authorized(request):
            return self._answer("media", call, 401, graph_error("Invalid OAuth access token.", 190))
        with self._cond:
            media = self._media.get(media_id)
        if media is None:
            return self._answer("media", call, 400, _unknown_object("get", media_id))
        expires = int(time.time()) + 300  # Meta's URLs last five minutes
        return self._answer(
            "media",
            call,
            200,
            {
                "messaging_product": "whatsapp",
                "url": f"http://127.0.0.1:{self.port}/media-download/{media_id}?ext={expires}&hash={media.key}",
                "mime_type": media.mime_type,
                "sha256": hashlib.sha256(media.content).hexdigest(),
                "file_size": len(media.content),
                "id": media_id,
            },
        )

    async def _download(self, request: web.Request) -> web.Response:
        media_id = request.match_info["media_id"]
        call = {"media_id": media_id, "request": "download"}
        if not self._authorized(request):
            return self._answer("media", call, 401, graph_error("Invalid OAuth access token.", 190))
        with self._cond:
            media = self._media.get(media_id)
        if media is None or request.query.get("hash") != media.key:
            self._record("media", call, 404, None)
            return web.Response(status=404, text="URL signature mismatch")
        self._record("media", call, 200, None)
        return web.Response(body=media.content, content_type=media.mime_type)


# --- what Meta checks in a send ---------------------------------------------------------------------------------
def _length(value: object, where: str, maximum: int, minimum: int = 1) -> None:
    if not isinstance(value, str) or not minimum <= len(value) <= maximum:
        got = f"{len(value)} characters" if isinstance(value, str) else f"{type(value).__name__}"
        raise _Refused(f"{where} length invalid. Min length: {minimum}, Max length: {maximum} (got {got})")


def _required(content: object, key: str, where: str) -> Any:
    value = content.get(key) if isinstance(content, dict) else None
    if value in (None, "", [], {}):
        raise _Refused(f"The parameter {where} is required.", message=f"(#100) The parameter {where} is required.")
    return value


def _check_read_receipt(body: dict) -> None:
    message_id = _required(body, "message_id", "message_id")
    if not isinstance(message_id, str) or not message_id.startswith("wamid."):
        raise _Refused(f"Invalid message_id {message_id!r}")
    indicator = body.get("typing_indicator")
    if indicator is not None and (not isinstance(indicator, dict) or indicator.get("type") != "text"):
        raise _Refused("typing_indicator['type'] must be \"text\"")


def _check_message(body: dict) -> None:
    to = _required(body, "to", "to")
    if not isinstance(to, str) or not _digits(to):
        raise _Refused(f"Invalid parameter to: {to!r}")
    if body.get("recipient_type", "individual") not in {"individual", "group"}:
        raise _Refused(f"Invalid recipient_type {body.get('recipient_type')!r}")
    if "context" in body and not isinstance((body.get("context") or {}).get("message_id"), str):
        raise _Refused("The parameter context['message_id'] is required.")
    kind = body.get("type", "text")  # Meta's default
    if kind not in MESSAGE_TYPES:
        listed = ", ".join(sorted(t.upper() for t in MESSAGE_TYPES))
        raise _Refused(f'Param type must be one of {{{listed}}} - got "{kind}".')
    content = _required(body, kind, kind)
    if kind == "text":
        _length(_required(content, "body", "text['body']"), "text['body']", 4096)
    elif kind in MEDIA_TYPES:
        _check_media(kind, content)
    elif kind == "interactive":
        _check_interactive(content)
    elif kind == "template":
        _required(content, "name", "template['name']")
        _required(_required(content, "language", "template['language']"), "code", "template['language']['code']")
    elif kind == "location":
        for key in ("latitude", "longitude"):
            if not isinstance(_required(content, key, f"location['{key}']"), int | float | str):
                raise _Refused(f"location['{key}'] must be a number")
    elif kind == "reaction":
        _required(content, "message_id", "reaction['message_id']")
        if not isinstance(content.get("emoji"), str):  # "" takes a reaction back
            raise _Refused("The parameter reaction['emoji'] is required.")
    elif kind == "contacts" and not isinstance(content, list):
        raise _Refused("contacts must be a list")


def _check_media(kind: str, content: object) -> None:
    if not isinstance(content, dict) or not (content.get("id") or content.get("link")):
        raise _Refused(f"Either {kind}['id'] or {kind}['link'] is required.")
    link = content.get("link")
    if link and urlparse(str(link)).scheme not in {"http", "https"}:
        raise _Refused(f"{kind}['link'] must be an http or https URL")
    if "caption" in content:
        if kind in {"audio", "sticker"}:
            raise _Refused(f"{kind} messages cannot have a caption")
        _length(content["caption"], f"{kind}['caption']", 1024, minimum=0)


def _check_interactive(content: dict) -> None:
    kind = _required(content, "type", "interactive['type']")
    if kind not in INTERACTIVE_TYPES:
        raise _Refused(f"Invalid interactive['type'] {kind!r}")
    if kind != "product":
        body_limit = 4096 if kind == "list" else 1024
        _length(_required(content.get("body"), "text", "interactive['body']['text']"), "Body text", body_limit)
    header = content.get("header")
    if header is not None:
        header_type = header.get("type") if isinstance(header, dict) else None
        if header_type not in {"text", "image", "video", "document"}:
            raise _Refused(f"Invalid interactive['header']['type'] {header_type!r}")
        if header_type != "text" and kind != "button":
            raise _Refused(f"A {kind} message's header must be of type text")
        if header_type == "text":
            _length(header.get("text"), "Header text", 60)
    if "footer" in content:
        _length((content.get("footer") or {}).get("text"), "Footer text", 60)
    action = _required(content, "action", "interactive['action']")
    if kind == "button":
        _check_buttons(action)
    elif kind == "list":
        _check_list(action)
    elif kind == "cta_url":
        if action.get("name") != "cta_url":
            raise _Refused("interactive['action']['name'] must be \"cta_url\"")
        parameters = _required(action, "parameters", "interactive['action']['parameters']")
        _length(parameters.get("display_text"), "Button display_text", 20)
        if urlparse(str(parameters.get("url") or "")).scheme not in {"http", "https"}:
            raise _Refused(f"Invalid URL {parameters.get('url')!r}: it must be http or https")


def _check_buttons(action: dict) -> None:
    buttons = _required(action, "buttons", "interactive['action']['buttons']")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise _Refused(f"Buttons count invalid. Min: 1, Max: 3 (got {len(buttons)})")
    titles: set[str] = set()
    for button in buttons:
        reply = button.get("reply") if isinstance(button, dict) and button.get("type") == "reply" else None
        if not isinstance(reply, dict):
            raise _Refused('Each button must be {"type": "reply", "reply": {"id": ..., "title": ...}}')
        _length(reply.get("title"), "Button title", 20)
        _length(reply.get("id"), "Button id", 256)
        if reply["title"] in titles:
            raise _Refused(f"Button title is not unique: {reply['title']!r}")
        titles.add(reply["title"])


def _check_list(action: dict) -> None:
    _length(action.get("button"), "Button label", 20)
    sections = _required(action, "sections", "interactive['action']['sections']")
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        raise _Refused("Sections count invalid. Min: 1, Max: 10")
    ids: set[str] = set()
    total = 0
    for section in sections:
        if not isinstance(section, dict):
            raise _Refused("Each section must be an object with rows")
        if len(sections) > 1 or "title" in section:
            _length(section.get("title"), "Section title", 24)
        rows = _required(section, "rows", "interactive['action']['sections'][]['rows']")
        total += len(rows)
        for row in rows:
            _length(row.get("title"), "Row title", 24)
            _length(row.get("id"), "Row id", 200)
            if "description" in row:
                _length(row["description"], "Row description", 72, minimum=0)
            if row["id"] in ids:
                raise _Refused(f"Row id is not unique: {row['id']!r}")
            ids.add(row["id"])
    if total > 10:
        raise _Refused(f"Total row count exceed max allowed count: 10 (got {total})")


# --- reading what was sent ----------------------------------------------------------------------------------------
def text_of(body: dict) -> str:
    """The text a customer reads in a sent message: a text's body, an interactive message's body text, a media
    caption, a template's body parameters (one a line); "" for anything else."""
    kind = body.get("type", "text")
    content = body.get(kind)
    if not isinstance(content, dict):
        return ""
    if kind == "text":
        return str(content.get("body") or "")
    if kind == "interactive":
        return str((content.get("body") or {}).get("text") or "")
    if kind in MEDIA_TYPES:
        return str(content.get("caption") or "")
    if kind == "template":
        parts = []
        for component in content.get("components") or []:
            if component.get("type") != "body":
                continue
            for parameter in component.get("parameters") or []:
                kind_of = parameter.get("type")
                if kind_of == "text":
                    parts.append(str(parameter.get("text", "")))
                elif kind_of in {"currency", "date_time"}:
                    parts.append(str((parameter.get(kind_of) or {}).get("fallback_value", "")))
        return "\n".join(parts)
    if kind == "location":
        return "\n".join(str(content[k]) for k in ("name", "address") if content.get(k))
    if kind == "reaction":
        return str(content.get("emoji") or "")
    return ""


def buttons_of(body: dict) -> list[str]:
    """The choices shown with a sent message: reply button titles, list row titles (all sections), a URL
    button's display text; [] for anything else."""
    content = body.get("interactive") if body.get("type") == "interactive" else None
    if not isinstance(content, dict):
        return []
    action = content.get("action") or {}
    if content.get("type") == "button":
        return [b["reply"]["title"] for b in action.get("buttons") or []]
    if content.get("type") == "list":
        return [row["title"] for section in action.get("sections") or [] for row in section.get("rows") or []]
    if content.get("type") == "cta_url":
        return [str((action.get("parameters") or {}).get("display_text", ""))]
    return []
