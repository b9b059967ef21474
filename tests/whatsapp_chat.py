"""A WhatsApp user talking to our gateway (signed webhooks in, the fake Graph API out), and the gateway process.

The shopper's messages are posted as Meta posts them (tests/whatsapp_webhooks.py) to a client of the web app that
serves /webhooks/whatsapp, which stores them; `python -m bot.whatsapp` answers them through Rasa and sends the
replies to the fake Graph API (tests/fake_whatsapp.py), where the chat reads them.
"""

from __future__ import annotations

import atexit
import itertools
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bot import texts
from checkout.settings import PROJECT_ROOT, Settings
from cli.processes import ProcessSpec, Supervisor
from tests import whatsapp_webhooks as wh
from tests.fake_whatsapp import FakeWhatsApp, text_of

READY = "WhatsApp gateway running"  # logged once its loops run
# A button id the gateway never issued: it answers a press of it "no longer works" at once, without Rasa. Posted
# after a shopper's messages, that answer marks the end of their turn (the gateway answers a chat in order).
TURN_END = "turn-end"
T = TypeVar("T")
_numbers = itertools.count(1)


def eventually(predicate: Callable[[], T], timeout: float = 30, what: str = "condition") -> T:
    """Polls a condition no fake is woken by (the database, a log file) until it holds; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def start_gateway(settings: Settings, log_path: Path, **env: str) -> Supervisor:
    """`python -m bot.whatsapp` as `shop run` starts it, with `settings` (WHATSAPP_* pointing at the fake) and
    `env` on top; returns once it runs."""
    log = log_path.open("a")
    before = log_path.read_text().count(READY)
    environment = {**settings.as_environment(), **env}
    supervisor = Supervisor(
        [ProcessSpec("whatsapp", [sys.executable, "-m", "bot.whatsapp"], environment)], out=log, cwd=str(PROJECT_ROOT)
    )
    supervisor.log_file = log
    supervisor.start()
    _running.append(supervisor)
    process = supervisor.processes["whatsapp"]
    # importing the gateway, on a busy machine at worst
    eventually(lambda: log_path.read_text().count(READY) > before or process.poll() is not None, 120, "the start")
    assert process.poll() is None, log_path.read_text()[-3000:]
    return supervisor


def stop_gateway(supervisor: Supervisor) -> None:
    supervisor.stop()
    supervisor.log_file.close()
    if supervisor in _running:
        _running.remove(supervisor)


# The gateway runs in a session of its own (as under `shop run`), so it does not end with the test process: one a
# test forgets to stop would keep answering whatever lands in its database.
_running: list[Supervisor] = []


@atexit.register
def _stop_forgotten_gateways() -> None:
    for supervisor in list(_running):
        supervisor.stop()


class WhatsAppChat:
    """One WhatsApp user; without `wa_id`, a number of their own, so chats sharing a gateway never mix."""

    def __init__(
        self,
        client: Any,  # a Flask test client of the web app, an httpx.Client or the webhook's URL (wh.signed_post)
        fake: FakeWhatsApp,
        app_secret: str,
        wa_id: str | None = None,
        name: str = "Ana Maria Lima",
        turn_seconds: float = 30,
    ) -> None:
        self.client, self.fake, self.app_secret, self.name = client, fake, app_secret, name
        self.wa_id = wa_id or f"55{next(_numbers):03d}{secrets.randbelow(10**8):08d}"
        self.turn_seconds = turn_seconds

    def post(self, *messages: wh.Message) -> dict:
        """One webhook delivery of these messages, signed; returns the webhook's answer."""
        for message in messages:
            message.profile_name = self.name
        answer = wh.signed_post(self.client, wh.envelope(messages), self.app_secret)
        status = getattr(answer, "status_code", None)
        assert status == 200, answer
        return answer.get_json() if hasattr(answer, "get_json") else answer.json()

    def text(self, body: str) -> wh.Message:
        return wh.text_message(self.wa_id, body)

    def turn(self, *messages: wh.Message) -> list[dict]:
        """Posts the messages and the turn's end marker; returns what the gateway sent in reply to the messages."""
        before = len(self.fake.messages_to(self.wa_id))
        self.post(*messages, wh.button_reply(self.wa_id, TURN_END, "end"))

        def ended() -> list[dict] | None:
            new = self.fake.messages_to(self.wa_id)[before:]
            return new if new and text_of(new[-1]) == texts.BUTTON_EXPIRED else None

        return self.fake.wait_for(ended, self.turn_seconds, f"the end of the turn of {self.wa_id}")[:-1]

    def say(self, body: str) -> list[str]:
        return [text_of(reply) for reply in self.turn(self.text(body))]

    def press(self, message: dict, title: str) -> list[dict]:
        """Taps the reply button or list row titled `title` on one of the messages it got; returns the replies."""
        interactive = message["interactive"]
        if interactive["type"] == "button":
            [button] = [b["reply"] for b in interactive["action"]["buttons"] if b["reply"]["title"] == title]
            return self.turn(wh.button_reply(self.wa_id, button["id"], title))
        [row] = [r for s in interactive["action"]["sections"] for r in s["rows"] if r["title"] == title]
        return self.turn(wh.list_reply(self.wa_id, row["id"], title, row.get("description")))
