"""Shopping in WhatsApp: our fake Graph API, the real web app's webhook, the real gateway process, the real Rasa
and action server.

Meta's deliveries are signed webhook POSTs to a web app started here with the WHATSAPP_* settings (the session's
stack runs without them, and its app refuses every WhatsApp POST then), on the stack's database; the gateway
(`python -m bot.whatsapp`) answers what the web app stored through the stack's Rasa and sends its replies to the
fake, which records them. Both run as `shop run` starts them, and their log is attached to a failing test.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import texts
from checkout.db.models import Customer, Order, Payment
from checkout.orders.seller_actions import mark_paid
from checkout.settings import PROJECT_ROOT, Settings
from cli.processes import ProcessSpec, Supervisor
from cli.run_command import process_specs
from tests.e2e.conftest import GATEWAY_ENV, WAIT_SECONDS, Stack
from tests.fake_whatsapp import Call, FakeWhatsApp, text_of
from tests.ports import reserve_port
from tests.whatsapp_webhooks import DEFAULT_NAME, Message, button_reply, envelope, list_reply, signed_post, text_message

pytestmark = pytest.mark.e2e

APP_SECRET = "e2e-whatsapp-app-secret"
VERIFY_TOKEN = "e2e-whatsapp-verify-token"
# A button id the gateway never issued: it answers a press of it "this button no longer works" at once, without
# Rasa. Delivered after a shopper's message, that answer marks the end of the shopper's turn (WhatsAppChat.turn).
TURN_END = "e2e-turn-end"
TURN_SECONDS = 120  # a turn through the real Rasa and action server, on a busy machine at worst
STARTUP_SECONDS = 120  # importing the web app or the gateway, on a busy machine at worst
LOG_TAIL_LINES = 200


@dataclass
class WhatsAppEnv:
    fake: FakeWhatsApp
    processes: Supervisor  # "web" (serving /webhooks/whatsapp) and "whatsapp" (the gateway)
    log_path: Path
    stack: Stack
    settings: Settings

    @property
    def webhook_url(self) -> str:
        return f"{self.settings.web_url}/webhooks/whatsapp"


class _AttachLog:
    """Adds the tail of the web app's and gateway's log to the report of a failing test of this module."""

    def __init__(self, log_path: Path):
        self.log_path = log_path

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if report.failed and getattr(getattr(item, "module", None), "__name__", None) == __name__:
            lines = self.log_path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
            report.sections.append((f"WhatsApp web app and gateway log ({self.log_path})", "\n".join(lines)))
        return report


@pytest.fixture(scope="module")
def whatsapp(stack, request):
    fake = FakeWhatsApp().start()
    settings = stack.settings.replace(
        web_port=reserve_port(),
        whatsapp_access_token=fake.token,
        whatsapp_phone_number_id=fake.phone_number_id,
        whatsapp_app_secret=APP_SECRET,
        whatsapp_verify_token=VERIFY_TOKEN,
        whatsapp_api_base_url=fake.base_url,
        log_level="DEBUG",
    )
    log_path = stack.log_path.parent / "e2e-whatsapp.log"
    log = log_path.open("w")
    attach = _AttachLog(log_path)
    request.config.pluginmanager.register(attach)
    # The web app and the gateway exactly as `shop run` starts them (model and endpoints are Rasa's: unused).
    specs = {s.name: s for s in process_specs(settings, stack.log_path, stack.log_path)}
    web, gateway = specs["web"], specs["whatsapp"]
    processes = Supervisor(
        [web, ProcessSpec(gateway.name, gateway.command, {**gateway.env, **GATEWAY_ENV})],
        out=log,
        cwd=str(PROJECT_ROOT),
    )
    processes.start()
    try:
        processes.wait_ready(timeout=STARTUP_SECONDS)  # the web app's /healthz; the gateway serves no address
        wait_until(
            lambda: "WhatsApp gateway running" in log_path.read_text() or processes.processes["whatsapp"].poll(),
            STARTUP_SECONDS,
            "the gateway to start",
        )
        assert processes.processes["whatsapp"].poll() is None, log_path.read_text()[-3000:]
        yield WhatsAppEnv(fake, processes, log_path, stack, settings)
    finally:
        processes.stop()
        log.close()
        fake.stop()
        request.config.pluginmanager.unregister(attach)


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> object:
    """Polls `condition` (a file or a process, which wake no one) until it is truthy."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.2)
    return result


class WhatsAppChat:
    """A shopper writing to the shop's number: each message is a signed webhook delivery to the web app, each
    answer what the gateway sent the fake Graph API for this number."""

    def __init__(self, env: WhatsAppEnv, wa_id: str, name: str = DEFAULT_NAME):
        self.env, self.fake, self.wa_id, self.name = env, env.fake, wa_id, name
        self.last: list[Call] = []  # the accepted messages to this number in the last turn
        self.pressed: list[str] = []  # what each press was: "button_reply" or "list_reply"

    # --- what the shopper sends -----------------------------------------------------------------------------
    def deliver(self, *messages: Message) -> dict:
        """Meta's webhook POST with these messages; returns the web app's answer (stored / repeated counts)."""
        response = signed_post(self.env.webhook_url, envelope(messages), APP_SECRET, timeout=WAIT_SECONDS)
        assert response.status_code == 200, response.text
        return response.json()

    def text(self, body: str) -> Message:
        return text_message(self.wa_id, body, name=self.name)

    def say(self, body: str) -> str:
        return self.turn(self.text(body))

    def press(self, title: str) -> str:
        """Taps the reply button or list row titled `title` on one of the last turn's messages."""
        for call in self.last:
            interactive = call.body.get("interactive") or {}
            action, context = interactive.get("action") or {}, call.answer["messages"][0]["id"]
            for button in action.get("buttons") or []:
                if button["reply"]["title"] == title:
                    reply = button_reply(self.wa_id, button["reply"]["id"], title, context_id=context, name=self.name)
                    self.pressed.append("button_reply")
                    return self.turn(reply)
            for row in (r for section in action.get("sections") or [] for r in section.get("rows") or []):
                if row["title"] == title:
                    reply = list_reply(
                        self.wa_id, row["id"], title, row.get("description"), context_id=context, name=self.name
                    )
                    self.pressed.append("list_reply")
                    return self.turn(reply)
        raise AssertionError(f"no button or list row {title!r} in the last turn: {self.choices}\n{self.transcript}")

    def turn(self, message: Message, timeout: float = TURN_SECONDS) -> str:
        """Delivers `message` and returns the text of everything the gateway sent this number while handling it.

        The gateway answers one chat's messages strictly in order (bot/ordering.py), so once it has read a press
        of a button it never issued, delivered right after, it has finished `message`: all its replies are sent,
        however long Rasa took and however far apart they went out."""
        start = len(self.fake.sent)
        self.deliver(message)
        marker = button_reply(self.wa_id, TURN_END, "…", name=self.name)
        self.deliver(marker)

        def marker_answered() -> int | None:
            calls = self.fake.sent[start:]
            read = next(
                (i for i, c in enumerate(calls) if c.kind == "read" and c.body.get("message_id") == marker["id"]), None
            )
            if read is None:
                return None
            answered = any(self._mine(c) and text_of(c.body) == texts.BUTTON_EXPIRED for c in calls[read:])
            return start + read if answered else None

        end = self.fake.wait_for(marker_answered, timeout, f"the gateway to finish the turn {text_of(message)!r}")
        self.last = [c for c in self.fake.sent[start:end] if self._mine(c)]
        return self.transcript

    # --- what the shopper reads ----------------------------------------------------------------------------
    def _mine(self, call: Call) -> bool:
        return call.kind == "message" and call.status == 200 and call.body.get("to") == self.wa_id

    @property
    def transcript(self) -> str:
        return "\n".join(text_of(c.body) for c in self.last)

    @property
    def choices(self) -> list[str]:
        titles = []
        for call in self.last:
            action = (call.body.get("interactive") or {}).get("action") or {}
            titles += [b["reply"]["title"] for b in action.get("buttons") or []]
            titles += [r["title"] for s in action.get("sections") or [] for r in s.get("rows") or []]
        return titles

    def delivered(self) -> list[str]:
        return self.fake.texts_to(self.wa_id)


def orders_of(env: WhatsAppEnv, wa_id: str) -> list[Order]:
    with env.stack.db.reading() as session:
        return list(session.scalars(select(Order).where(Order.sender_id == wa_id).order_by(Order.id)))


def customer_of(env: WhatsAppEnv, wa_id: str, **expected: str) -> Customer:
    """The shopper's customer record once it has `expected` values (the action server or the records consumer
    writes it, during the turn or just after it)."""

    def found(session) -> Customer | None:
        customer = session.scalar(
            select(Customer).where(Customer.channel == "whatsapp", Customer.channel_user_id == wa_id)
        )
        if customer is not None and all(getattr(customer, k) == v for k, v in expected.items()):
            return customer
        return None

    return env.stack.wait_until(found, what=f"the customer record of {wa_id} with {expected}")


def test_a_purchase_from_hi_to_a_placed_order_with_button_presses(whatsapp):
    wa_id = "351912345678"
    chat = WhatsAppChat(whatsapp, wa_id, name="Ana Lima")
    hi = chat.text("hi")
    greeting = chat.turn(hi)
    assert "Welcome" in greeting, greeting
    assert hi["id"] in whatsapp.fake.read_receipts  # the blue ticks: the message was read
    # The profile name and the number reach the customer record through the REST metadata, before any form.
    customer_of(whatsapp, wa_id, name="Ana Lima", phone="+351912345678")

    chat.press("What do you sell?")
    assert "Caps" in chat.choices, chat.transcript
    chat.press("Caps")
    assert "Dad Cap" in chat.choices, chat.transcript
    assert "€22.00" in chat.press("Dad Cap"), chat.transcript
    chat.press("Add to cart")
    assert sorted(chat.choices) == ["beige", "black"], chat.transcript
    reply = chat.press("black")
    if "How many" in reply:
        reply = chat.say("1")
    assert "Added 1 × Dad Cap (black)" in reply, reply

    assert "full name" in chat.press("Check out"), chat.transcript
    assert "phone" in chat.say("Ana Lima"), chat.transcript
    # WhatsApp knows the shopper's number: the phone question carries it as a button.
    assert "address" in chat.press("Use +351912345678"), chat.transcript
    assert "email" in chat.say("Rua Augusta 100, 1100-053 Lisboa"), chat.transcript
    summary = chat.press("Skip")
    assert "Dad Cap (black)" in summary and "Shall I place the order?" in summary, summary
    placed = chat.press("Yes, place order")
    assert {"button_reply", "list_reply"} <= set(chat.pressed), chat.pressed  # both kinds of choice were used

    [order] = orders_of(whatsapp, wa_id)
    assert order.number in placed, placed
    assert (order.channel, order.sender_id, order.status) == ("whatsapp", wa_id, "awaiting_payment")
    assert (order.customer_name, order.customer_phone) == ("Ana Lima", "+351912345678")
    with whatsapp.stack.db.reading() as session:
        methods = session.scalars(select(Payment.method).where(Payment.order_id == order.id)).all()
    assert methods == ["manual"], methods  # the manual payment's instructions, no card or Telegram invoice
    customer = customer_of(whatsapp, wa_id, name="Ana Lima", phone="+351912345678")
    assert order.customer_id == customer.id

    # The seller saw the money arrive: the shopper wrote minutes ago, so the notice goes as a free-form text.
    mark_paid(whatsapp.stack.db, order.number, actor="seller:e2e")
    whatsapp.fake.wait_for(
        lambda: any(f"Payment received for order {order.number}" in t for t in chat.delivered()),
        WAIT_SECONDS,
        "the paid notice to the shopper",
    )


def test_a_duplicate_delivery_is_answered_once(whatsapp):
    wa_id = "447700900123"
    chat = WhatsAppChat(whatsapp, wa_id, name="Tom Baker")
    add = chat.text("add 1 sticker pack")
    assert "Added 1 × Sticker Pack" in chat.turn(add), chat.transcript
    answered = len(chat.delivered())
    # Meta delivers the handled message again (a retry after a slow answer, or a replay): stored once only.
    assert chat.deliver(add)["repeated"] == 1
    cart = chat.say("show my cart")  # answered after the duplicate had it been queued: one chat, in order
    assert "1 × Sticker Pack" in cart and "2 × Sticker Pack" not in cart, cart
    assert len(chat.delivered()) == answered + len(chat.last) + 1  # + the turn's end marker's answer, nothing else
    assert whatsapp.fake.read_receipts.count(add["id"]) == 1
    with whatsapp.stack.db.reading() as session:
        assert session.scalar(select(Order.id).where(Order.sender_id == wa_id)) is None


def test_the_token_and_secret_never_appear_in_the_log(whatsapp):
    log = whatsapp.log_path.read_text()
    assert "WhatsApp gateway running" in log
    assert whatsapp.fake.token not in log and APP_SECRET not in log
