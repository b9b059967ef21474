"""Rasa's REST channel faked on a free loopback port, for testing our gateways without a model."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from tests.ports import reserve_port


class FakeRasa:
    """Records each REST-channel body and answers with `reply(body)`; other paths get 404.

    With `api_token`, it also takes Rasa's HTTP API calls that append tracker events
    (POST /conversations/<sender>/tracker/events?token=...), recorded in `appended` as (sender, events), and that
    replace the model (PUT /model?token=..., answered 204 as Rasa does), recorded in `loaded` as the model file;
    `failing_loads` answers those 500."""

    def __init__(self, reply: Callable[[dict], list[dict]], api_token: str | None = None):
        self.received: list[dict] = []
        self.appended: list[tuple[str, list]] = []
        self.loaded: list[str] = []
        self.failing_loads = False
        self.reply = reply
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                url = urlsplit(self.path)
                match = re.fullmatch(r"/conversations/([^/]+)/tracker/events", url.path)
                if api_token is not None and match:
                    ok = parse_qs(url.query).get("token") == [api_token]
                    if ok:
                        fake.appended.append((unquote(match.group(1)), body))
                    return self._answer(200 if ok else 401, {} if ok else {"error": "not authorized"})
                fake.received.append(body)
                data = json.dumps(fake.reply(body)).encode()
                self.send_response(200 if self.path == "/webhooks/rest/webhook" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                url = urlsplit(self.path)
                if url.path != "/model":
                    return self._answer(404, {"error": "not found"})
                if api_token is None or parse_qs(url.query).get("token") != [api_token]:
                    return self._answer(401, {"error": "not authorized"})
                if fake.failing_loads:
                    return self._answer(500, {"error": "could not load the model"})
                fake.loaded.append(body["model_file"])
                self._answer(204, None)

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
