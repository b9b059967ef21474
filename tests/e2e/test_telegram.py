"""Shopping in Telegram: our fake Bot API server, the real gateway process, the real Rasa and action server.

The gateway reaches Rasa through a TCP forwarder, so one test can take Rasa away from it mid-conversation
(connections refused, as with a stopped server) without stopping the Rasa every other e2e test uses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot import texts
from checkout.db.models import Conversation, Customer, Message, Order, PaymentProof
from checkout.orders.lifecycle import change_status
from checkout.settings import Settings
from cli.processes import Supervisor
from tests.e2e.conftest import GATEWAY_ENV, WAIT_SECONDS, Stack
from tests.fake_telegram import FakeTelegram
from tests.ports import reserve_port
from tests.tcp_proxy import TcpProxy
from tests.telegram_chat import TelegramChat, start_gateway, stop_gateway, text_of

pytestmark = pytest.mark.e2e

SELLER_CHAT = -100900
_chat_ids = iter(range(900_001, 999_999))


@dataclass
class TelegramEnv:
    fake: FakeTelegram
    proxy: TcpProxy
    gateway: Supervisor
    log_path: Path
    stack: Stack
    settings: Settings


@pytest.fixture(scope="module")
def telegram(stack, tmp_path_factory):
    fake = FakeTelegram()
    proxy = TcpProxy(stack.settings.rasa_port)
    settings = stack.settings.replace(rasa_port=proxy.port, log_level="DEBUG")
    log_path = stack.log_path.parent / "e2e-telegram-gateway.log"
    log_path.write_text("")
    gateway = start_gateway(settings, fake, log_path, TELEGRAM_SELLER_CHAT_ID=str(SELLER_CHAT), **GATEWAY_ENV)
    yield TelegramEnv(fake, proxy, gateway, log_path, stack, settings)
    stop_gateway(gateway)
    proxy.stop()
    fake.close()


def new_chat(telegram, **user) -> TelegramChat:
    return TelegramChat(telegram.fake, next(_chat_ids), **user)


def orders_of(telegram, chat) -> list[Order]:
    with telegram.stack.db.reading() as session:
        return list(session.scalars(select(Order).where(Order.sender_id == str(chat.chat_id)).order_by(Order.id)))


def seller_alerts(telegram) -> list[str]:
    return [text_of(c) for c in telegram.fake.delivered(SELLER_CHAT)]


def buy_a_cap(chat) -> None:
    """A quick purchase in free text, up to the placed order."""
    assert "Added 1 × Dad Cap (black)" in chat.say("add 1 black dad cap"), chat.text
    assert "full name" in chat.say("checkout"), chat.text
    assert "phone" in chat.say("Marie Dupont"), chat.text
    assert "address" in chat.say("+33 6 12 34 56 78"), chat.text
    assert "email" in chat.say("12 rue de la République, 69002 Lyon"), chat.text
    assert "Shall I place the order?" in chat.press("Skip"), chat.text
    assert "is placed" in chat.press("Yes, place order"), chat.text


def test_full_purchase_with_button_presses(telegram):
    chat = new_chat(telegram)
    welcome = chat.say("/start")
    assert "Welcome" in welcome and "We sell" in welcome, welcome
    assert "Caps" in [b["text"] for b in chat.buttons], chat.buttons
    assert "Dad Cap" in chat.press("Caps"), chat.text
    assert "€22.00" in chat.press("Dad Cap"), chat.text
    chat.press("Add to cart")
    assert [b["text"] for b in chat.buttons] == ["beige", "black"], chat.text
    reply = chat.press("black")
    if "How many" in reply:
        reply = chat.say("1")
    assert "Added 1 × Dad Cap (black)" in reply, reply
    assert "full name" in chat.press("Check out"), chat.text
    assert "phone" in chat.say("Marie Dupont"), chat.text
    # The phone number comes from a shared contact, as Telegram's "share my number" sends it.
    assert "address" in chat.push(
        contact={"phone_number": "+33612345678", "first_name": "Marie", "user_id": chat.chat_id}
    ), chat.text
    assert "email" in chat.say("12 rue de la République, 69002 Lyon"), chat.text
    summary = chat.press("Skip")
    assert "1 × Dad Cap (black) — €22.00" in summary and "Shall I place the order?" in summary, summary
    placed = chat.press("Yes, place order")
    [order] = orders_of(telegram, chat)
    assert f"Order {order.number} is placed" in placed, placed
    assert order.channel == "telegram" and order.customer_phone == "+33612345678"
    telegram.fake.wait_for(
        lambda: any(order.number in a and "New order" in a for a in seller_alerts(telegram)),
        WAIT_SECONDS,
        "the new-order alert in the seller's chat",
    )
    with telegram.stack.db.transaction() as session:
        change_status(session, session.get(Order, order.id), "paid", "seller:e2e")
    telegram.fake.wait_for(
        lambda: any(f"Payment received for order {order.number}" in text_of(c) for c in chat.delivered()),
        WAIT_SECONDS,
        "the paid notice in the shopper's chat",
    )


def test_shopper_metadata_reaches_the_customer_record(telegram):
    chat = new_chat(telegram, first_name="Lan", last_name="Nguyễn", username="lan_ng", language_code="vi")
    chat.say("add 1 sticker pack")
    # Made by the action server during the turn, or by the records consumer just after it: waited for either.
    customer = telegram.stack.wait_until(
        lambda session: session.scalar(
            select(Customer).where(Customer.channel == "telegram", Customer.channel_user_id == str(chat.chat_id))
        ),
        what="the customer record",
    )
    assert (customer.name, customer.username, customer.language) == ("Lan Nguyễn", "lan_ng", "vi")


def test_a_duplicate_update_is_handled_once(telegram):
    chat = new_chat(telegram)
    update = chat.send("add 1 sticker pack")
    telegram.fake.wait_for(lambda: chat.delivered(), WAIT_SECONDS, "the reply")
    telegram.fake.push(update)  # Telegram delivers the same update again
    assert "2 × Sticker Pack" not in chat.say("show my cart"), chat.text
    assert "1 × Sticker Pack" in chat.text, chat.text


def test_a_429_on_send_message_is_waited_out_and_sent_once(telegram):
    chat = new_chat(telegram)
    # This chat's: the gateway's outbox may be sending the seller alerts of earlier tests' orders meanwhile.
    telegram.fake.fail_next("sendMessage", 429, retry_after=1, chat_id=chat.chat_id)
    assert "Welcome" in chat.say("hello"), chat.text
    statuses = [c.status for c in telegram.fake.calls_to("sendMessage", chat.chat_id)]
    assert statuses == [429, 200]
    assert len(chat.delivered()) == 1


def test_a_photo_is_kept_as_proof_of_payment(telegram):
    chat = new_chat(telegram)
    buy_a_cap(chat)
    [order] = orders_of(telegram, chat)
    receipt = b"\xff\xd8\xff\xe0" + b"transfer receipt " * 200
    assert chat.send_photo(receipt, f"receipt-{chat.chat_id}") == texts.PROOF_STORED.format(number=order.number)
    with telegram.stack.db.reading() as session:
        [proof] = session.scalars(select(PaymentProof).where(PaymentProof.order_id == order.id)).all()
    assert proof.content == receipt and proof.mime_type == "image/jpeg"
    telegram.fake.wait_for(
        lambda: any(order.number in a and "Proof of payment" in a for a in seller_alerts(telegram)),
        WAIT_SECONDS,
        "the proof alert in the seller's chat",
    )


def test_webhook_mode_with_missing_wrong_and_right_secret(telegram, tmp_path):
    # The gateway binds it a few seconds from now, in its own process: a reserved port, never one that
    # anything else can take meanwhile (tests/e2e/ports.py).
    port, secret = reserve_port(), "e2e_webhook-secret"
    url = f"http://127.0.0.1:{port}/tg/webhook"
    fake = FakeTelegram()
    gateway = start_gateway(
        telegram.settings,
        fake,
        tmp_path / "webhook.log",
        TELEGRAM_WEBHOOK_URL=url,
        TELEGRAM_WEBHOOK_SECRET=secret,
        TELEGRAM_WEBHOOK_LISTEN_PORT=str(port),
        **GATEWAY_ENV,
    )
    try:
        assert fake.webhook == {**fake.webhook, "url": url, "secret_token": secret}
        chat = TelegramChat(fake, next(_chat_ids))
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "not-the-secret"}):
            update = {"update_id": 1, **chat.message_update(text="add 1 sticker pack")}
            assert httpx.post(url, json=update, headers=headers, timeout=WAIT_SECONDS).status_code == 403
        update = {"update_id": 2, **chat.message_update(text="hello")}
        response = httpx.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}, timeout=WAIT_SECONDS
        )
        assert response.status_code == 200
        fake.wait_for(lambda: fake.delivered(chat.chat_id), WAIT_SECONDS, "the reply")
        # One chat's updates are handled in order: had a refused update been queued, its reply would be first.
        assert "Welcome" in text_of(fake.delivered(chat.chat_id)[0])
        # The accepted update is recorded (the consumer creates the customer then); the refused ones never were.
        texts_on_record = telegram.stack.wait_until(
            lambda session: session.scalars(
                select(Message.text)
                .join(Conversation)
                .where(Conversation.sender_id == str(chat.chat_id), Message.direction == "in")
            ).all(),
            what="the accepted update",
        )
        assert texts_on_record == ["hello"]
    finally:
        stop_gateway(gateway)
        fake.close()


def test_rasa_stopped_mid_conversation(telegram):
    chat = new_chat(telegram)
    assert "Added 1 × Dad Cap (black)" in chat.say("add 1 black dad cap"), chat.text
    telegram.proxy.stop()
    before = len(chat.delivered())
    try:
        started = time.monotonic()
        update = chat.send("checkout")
        telegram.fake.wait_for(lambda: len(chat.delivered()) > before, WAIT_SECONDS, "the apology")
        # At once, not after a time limit (the client's 60 s, the note's 50 s here): refused connections are
        # seen at once, and a busy machine's delays are seconds, not tens of seconds.
        assert time.monotonic() - started < 15
        assert text_of(chat.delivered()[-1]) == texts.ASSISTANT_UNAVAILABLE
        assert telegram.gateway.processes["telegram"].poll() is None
        with telegram.stack.db.reading() as session:  # what Rasa never heard is still on record
            message = session.scalar(
                select(Message)
                .join(Conversation)
                .where(
                    Conversation.sender_id == str(chat.chat_id),
                    Message.channel_message_id == str(update["message"]["message_id"]),
                )
            )
            assert message is not None and message.text == "checkout" and message.direction == "in"
    finally:
        telegram.proxy.start()
    assert "full name" in chat.say("checkout"), chat.text  # the conversation goes on where it was


def test_the_bot_token_never_appears_in_the_gateway_log(telegram):
    log = telegram.log_path.read_text()
    assert "Bot API" in log  # DEBUG logging was on and logged the API URL, with the token taken out
    assert telegram.fake.token not in log and telegram.fake.token.split(":")[1] not in log
