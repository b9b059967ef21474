"""Rasa's REST channel faked on a free loopback port, for testing our gateways without a model."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from tests.ports import reserve_port

SENDER_HEADER = "X-Sender-Id"  # as checkout.assistant_client sends it (not imported: the fake speaks HTTP only)


@dataclass(frozen=True)
class LostTurn:
    """What one REST-channel request meets instead of Rasa's answer, as behind a balancer whose Rasa server dies:
    `status` (502, 503) from the balancer, or None: the connection closed without an answer. `after_turn`: the
    turn ran and its tracker was saved first (only the answer was lost); otherwise it never ran."""

    status: int | None = 502
    after_turn: bool = False


class FakeRasa:
    """Records each REST-channel body and answers with `reply(body)`; other paths get 404.

    Each turn answered (or lost `after_turn`) is kept in `trackers[sender]` as Rasa's tracker keeps it: the `user`
    event with the body's metadata, then a `bot` event per reply. `lost_turns` are met by the next REST-channel
    requests, one each, in order. `seen` lists every request as (method, path, X-Sender-Id header or None).

    With `api_token`, it also takes Rasa's HTTP API calls that read a tracker (GET
    /conversations/<sender>/tracker?token=...), that append tracker events (POST .../tracker/events?token=...),
    recorded in `appended` as (sender, events), and that replace the model (PUT /model?token=..., answered 204 as
    Rasa does), recorded in `loaded` as the model file; `failing_loads` answers those 500."""

    def __init__(self, reply: Callable[[dict], list[dict]], api_token: str | None = None):
        self.received: list[dict] = []
        self.appended: list[tuple[str, list]] = []
        self.loaded: list[str] = []
        self.trackers: dict[str, list[dict]] = {}
        self.lost_turns: list[LostTurn] = []
        self.seen: list[tuple[str, str, str | None]] = []
        self.failing_loads = False
        self.reply = reply
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = self._see()
                match = re.fullmatch(r"/conversations/([^/]+)/tracker", url.path)
                if api_token is None or not match:
                    return self._answer(404, {"error": "not found"})
                if parse_qs(url.query).get("token") != [api_token]:
                    return self._answer(401, {"error": "not authorized"})
                sender = unquote(match.group(1))
                self._answer(200, {"sender_id": sender, "events": fake.trackers.get(sender, [])})

            def do_POST(self):
                url = self._see()
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                match = re.fullmatch(r"/conversations/([^/]+)/tracker/events", url.path)
                if api_token is not None and match:
                    ok = parse_qs(url.query).get("token") == [api_token]
                    if ok:
                        fake.appended.append((unquote(match.group(1)), body))
                    return self._answer(200 if ok else 401, {} if ok else {"error": "not authorized"})
                fake.received.append(body)
                if url.path != "/webhooks/rest/webhook":
                    return self._answer(404, fake.reply(body))
                lost = fake.lost_turns.pop(0) if fake.lost_turns else None
                if lost is not None and not lost.after_turn:
                    return self._lose(lost)
                replies = fake.reply(body)
                fake._keep_turn(body, replies)
                if lost is not None:
                    return self._lose(lost)
                self._answer(200, replies)

            def do_PUT(self):
                url = self._see()
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if url.path != "/model":
                    return self._answer(404, {"error": "not found"})
                if api_token is None or parse_qs(url.query).get("token") != [api_token]:
                    return self._answer(401, {"error": "not authorized"})
                if fake.failing_loads:
                    return self._answer(500, {"error": "could not load the model"})
                fake.loaded.append(body["model_file"])
                self._answer(204, None)

            def _see(self):
                url = urlsplit(self.path)
                fake.seen.append((self.command, url.path, self.headers.get(SENDER_HEADER)))
                return url

            def _lose(self, lost: LostTurn) -> None:
                if lost.status is None:
                    self.close_connection = True  # closed without a word: the client reads no status line
                    return
                self._answer(lost.status, None)

            def _answer(self, status: int, payload) -> None:
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def _keep_turn(self, body: dict, replies: list[dict]) -> None:
        """The turn as Rasa's tracker keeps it: the shopper's message, then a `bot` event per reply."""
        events = self.trackers.setdefault(body["sender"], [])
        events.append({"event": "user", "text": body["message"], "metadata": body.get("metadata") or {}})
        for reply in replies if isinstance(replies, list) else []:
            if not isinstance(reply, dict):
                continue
            data = {key: reply.get(key) for key in ("buttons", "image", "custom", "attachment")}
            events.append({"event": "bot", "text": reply.get("text"), "data": data, "metadata": {}})
        events.append({"event": "action", "name": "action_listen"})

    @property
    def messages(self) -> list[str]:
        return [body["message"] for body in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on (Rasa down): reserved, so that nothing starts listening there meanwhile
    (a port from bind(0), once closed, goes to the next bind(0) on the machine)."""
    return reserve_port()
