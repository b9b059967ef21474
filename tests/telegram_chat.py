"""A Telegram user talking to our gateway through the fake Bot API, and the gateway process itself."""

from __future__ import annotations

import atexit
import html
import itertools
import sys
import time
from pathlib import Path

from checkout.settings import PROJECT_ROOT, Settings
from cli.processes import ProcessSpec, Supervisor
from tests.fake_telegram import FakeTelegram

_message_ids = itertools.count(1)
_callback_ids = itertools.count(1)
_payment_ids = itertools.count(1)
# Button data the gateway never issued: it answers a press of it "expired" at once, without Rasa. Pushed after
# a shopper's update, that answer marks the end of the shopper's turn (see TelegramChat._turn).
TURN_END = "turn-end"
TURN_SECONDS = 120  # a turn through the real Rasa and action server, on a busy machine at worst


def start_gateway(settings: Settings, fake: FakeTelegram, log_path: Path, **env: str) -> Supervisor:
    """`python -m bot` as `shop run` starts it, pointed at the fake Bot API; returns once it polls."""
    environment = {
        **settings.as_environment(),
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        **env,
    }
    before = len(fake.calls_to("getUpdates")) + len(fake.calls_to("setWebhook"))
    log = log_path.open("a")
    supervisor = Supervisor(
        [ProcessSpec("telegram", [sys.executable, "-m", "bot.telegram"], environment)], out=log, cwd=str(PROJECT_ROOT)
    )
    supervisor.log_file = log
    supervisor.start()
    fake.wait_for(
        lambda: (
            len(fake.calls_to("getUpdates")) + len(fake.calls_to("setWebhook")) > before
            or supervisor.processes["telegram"].poll() is not None
        ),
        120,  # importing the gateway and its first getMe, on a busy machine at worst
        "the gateway to start",
    )
    _running.append(supervisor)
    assert supervisor.processes["telegram"].poll() is None, log_path.read_text()[-3000:]
    return supervisor


def stop_gateway(supervisor: Supervisor) -> None:
    supervisor.stop()
    supervisor.log_file.close()
    if supervisor in _running:
        _running.remove(supervisor)


# The gateway runs in a session of its own (as under `shop run`), so it does not end with the test process: one
# a test forgets to stop would keep retrying its fake's port for good, and talk to whatever listens there next.
_running: list[Supervisor] = []


@atexit.register
def _stop_forgotten_gateways() -> None:
    for supervisor in list(_running):
        supervisor.stop()


def text_of(call) -> str:
    """What the shopper reads: the message text or photo caption, HTML entities decoded."""
    return html.unescape(call.params.get("text") or call.params.get("caption") or "")


def buttons_of(call) -> list[dict]:
    markup = call.params.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


class TelegramChat:
    def __init__(
        self,
        fake: FakeTelegram,
        user_id: int,
        first_name: str = "Marie",
        last_name: str | None = "Dupont",
        username: str | None = "marie_d",
        language_code: str | None = "fr",
    ):
        self.fake = fake
        self.user = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            **{
                k: v
                for k, v in (("last_name", last_name), ("username", username), ("language_code", language_code))
                if v
            },
        }
        self.chat_id = user_id
        self.last: list = []

    # --- updates the shopper causes --------------------------------------------------------------------
    def message_update(self, **content) -> dict:
        return {
            "message": {
                "message_id": next(_message_ids),
                "date": int(time.time()),
                "from": self.user,
                "chat": {"id": self.chat_id, "type": "private", "first_name": self.user["first_name"]},
                **content,
            }
        }

    def send(self, text: str) -> dict:
        return self.fake.push(self.message_update(text=text, **_command_entity(text)))

    def say(self, text: str, timeout: float = TURN_SECONDS) -> str:
        return self._turn(lambda: self.send(text), timeout)

    def press(self, title: str, timeout: float = TURN_SECONDS) -> str:
        button = next((b for b in self.buttons if b["text"] == title), None)
        assert button is not None, f"no button {title!r} in {[b['text'] for b in self.buttons]}"
        return self._turn(lambda: self.fake.push(self.callback_update(button["callback_data"])), timeout)

    def callback_update(self, data: str) -> dict:
        bot_message = {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private"},
            "text": "…",
        }
        return {
            "callback_query": {
                "id": f"cb{next(_callback_ids)}",
                "from": self.user,
                "chat_instance": "ci",
                "data": data,
                "message": bot_message,
            }
        }

    def send_photo(
        self, content: bytes, unique_id: str, caption: str | None = None, timeout: float = TURN_SECONDS
    ) -> str:
        file_id = self.fake.add_file(content, unique_id)
        photo = [
            {
                "file_id": "thumb-" + unique_id,
                "file_unique_id": "thumb-" + unique_id,
                "width": 90,
                "height": 90,
                "file_size": 900,
            },
            {"file_id": file_id, "file_unique_id": unique_id, "width": 1280, "height": 960, "file_size": len(content)},
        ]
        return self._turn(
            lambda: self.fake.push(self.message_update(photo=photo, **({"caption": caption} if caption else {}))),
            timeout,
        )

    def push(self, **content) -> str:
        return self._turn(lambda: self.fake.push(self.message_update(**content)), TURN_SECONDS)

    # --- paying an invoice, as Telegram reports it to the bot -------------------------------------------
    def pre_checkout_update(self, invoice: dict, **changes) -> dict:
        """Telegram's question before it takes the money for `invoice` (sendInvoice's params); `changes`
        overrides what Telegram reports (total_amount, currency, invoice_payload, from)."""
        query = {
            "id": f"pcq{next(_payment_ids)}",
            "from": self.user,
            "currency": invoice["currency"],
            "total_amount": sum(p["amount"] for p in invoice["prices"]),
            "invoice_payload": invoice["payload"],
        }
        return {"pre_checkout_query": {**query, **changes}}

    def pre_checkout(self, invoice: dict, timeout: float = 15, **changes) -> dict:
        """Pushes the query and returns answerPreCheckoutQuery's params, with `after`: seconds since the push."""
        update = self.fake.push(self.pre_checkout_update(invoice, **changes))
        started = time.monotonic()
        query_id = update["pre_checkout_query"]["id"]
        [answer] = self.fake.wait_for(lambda: self.fake.pre_checkout_answers(query_id), timeout, "the answer")
        return {**answer.params, "after": answer.at - started}

    def successful_payment_update(self, invoice: dict, charge_id: str | None = None, **changes) -> dict:
        charge_id = charge_id or f"tg-charge-{next(_payment_ids)}"
        payment = {
            "currency": invoice["currency"],
            "total_amount": sum(p["amount"] for p in invoice["prices"]),
            "invoice_payload": invoice["payload"],
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": "ch_" + charge_id.rsplit("-", 1)[-1],
            **changes,
        }
        return self.message_update(successful_payment=payment)

    # --- what the shopper reads ------------------------------------------------------------------------
    def delivered(self) -> list:
        return self.fake.delivered(self.chat_id)

    def _turn(self, act, timeout: float) -> str:
        """Everything the gateway sent while handling the update `act` pushes.

        The gateway handles one chat's updates strictly in order (bot/ordering.py), so once it has answered a
        press of a button it never issued, pushed right after, it has finished the shopper's update: all its
        replies are sent, however long Rasa took and however far apart they went out (a pause between two
        replies, or the "answer is coming" note before a slow answer, no longer ends the turn early)."""
        before = len(self.delivered())
        act()
        marker = self.fake.push(self.callback_update(TURN_END))["callback_query"]["id"]
        self.fake.wait_for(
            lambda: any(c.params.get("callback_query_id") == marker for c in self.fake.calls_to("answerCallbackQuery")),
            timeout,
            "the gateway to finish the turn",
        )
        self.last = self.delivered()[before:]
        return self.text

    @property
    def text(self) -> str:
        return "\n".join(text_of(c) for c in self.last)

    @property
    def buttons(self) -> list[dict]:
        return [b for c in self.last for b in buttons_of(c)]


def _command_entity(text: str) -> dict:
    """Telegram marks a leading /command with an entity; PTB's CommandHandler looks for it."""
    if text.startswith("/"):
        return {"entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}
    return {}
