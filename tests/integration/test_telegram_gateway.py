"""The Telegram gateway process (`python -m bot`) between our fake Bot API server and a fake Rasa.

Fast checks of what the gateway itself does; tests/e2e/test_telegram.py runs the same gateway against the
real Rasa server and action server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot import texts
from checkout.db.database import Database
from checkout.db.migrate import upgrade
from checkout.db.models import Conversation, Message, OutboxMessage, PaymentProof
from checkout.notifications import queue_for_customer, queue_for_seller
from checkout.orders.lifecycle import change_status
from checkout.settings import Settings
from cli.processes import Supervisor
from tests.fake_rasa import FakeRasa, LostTurn
from tests.fake_telegram import FakeTelegram
from tests.integration.orm_builders import add_customer, add_order, at, load_demo_catalog
from tests.ports import reserve_port
from tests.telegram_chat import TelegramChat, buttons_of, start_gateway, stop_gateway, text_of

SELLER_CHAT = -100500
RASA_TIMEOUT = 2
RASA_TOKEN = "rasa-api-token"


class Script:
    """What the fake Rasa answers: by exact message, else an echo; `delay` makes it slow."""

    def __init__(self):
        self.answers: dict[str, list[dict]] = {}
        self.delay = 0.0
        self.fail = False

    def __call__(self, body: dict) -> list[dict]:
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("Rasa failed")  # the fake's handler dies: the gateway sees a broken response
        return self.answers.get(body["message"], [{"recipient_id": body["sender"], "text": f"echo: {body['message']}"}])


@dataclass
class GatewayEnv:
    db: Database
    rasa: FakeRasa
    fake: FakeTelegram
    script: Script
    settings: Settings
    log_path: Path
    gateway: Supervisor
    tmp: Path


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("telegram")
    url = f"sqlite:///{tmp / 'shop.db'}"
    upgrade(url)
    db = Database(url)
    load_demo_catalog(db)
    script = Script()
    rasa, fake = FakeRasa(script, api_token=RASA_TOKEN), FakeTelegram()
    settings = Settings(database_url=url, rasa_port=rasa.port, rasa_api_token=RASA_TOKEN, log_level="DEBUG")
    log_path = tmp / "gateway.log"
    gateway = start_gateway(
        settings,
        fake,
        log_path,
        TELEGRAM_SELLER_CHAT_ID=str(SELLER_CHAT),
        TELEGRAM_RASA_TIMEOUT_SECONDS=str(RASA_TIMEOUT),
    )
    gateway_env = GatewayEnv(db, rasa, fake, script, settings, log_path, gateway, tmp)
    yield gateway_env
    stop_gateway(gateway_env.gateway)  # a test may have restarted it
    rasa.close()
    fake.close()
    db.dispose()


@pytest.fixture
def chat(env, request):
    env.script.answers.clear()
    env.script.delay, env.script.fail = 0.0, False
    return TelegramChat(env.fake, 10_000 + abs(hash(request.node.name)) % 1_000_000)


def alive(env) -> bool:
    return env.gateway.processes["telegram"].poll() is None


def test_replies_arrive_in_order_escaped_with_keyboards_and_photos(env, chat):
    env.script.answers["show me"] = [
        {
            "text": "Dad_Cap *Limited* <b>not bold</b> & more",
            "buttons": [
                {"title": "Add Dad_Cap", "payload": '/add_to_cart{"product": "Dad_Cap *Limited*", "color": "black"}'},
                {"title": "Back", "payload": "/browse_catalog"},
            ],
        },
        {"image": "https://shop.example/cap.jpg"},
        {"text": "third"},
    ]
    chat.say("show me")
    sent = chat.last
    assert [c.method for c in sent] == ["sendMessage", "sendPhoto", "sendMessage"]
    assert sent[0].params["parse_mode"] == "HTML"
    assert sent[0].params["text"] == "Dad_Cap *Limited* &lt;b&gt;not bold&lt;/b&gt; &amp; more"
    assert text_of(sent[0]) == "Dad_Cap *Limited* <b>not bold</b> & more"
    assert [b["text"] for b in buttons_of(sent[0])] == ["Add Dad_Cap", "Back"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons_of(sent[0]))
    assert sent[1].params["photo"] == "https://shop.example/cap.jpg"
    assert text_of(sent[2]) == "third"


def test_every_message_carries_the_shopper_metadata(env, chat):
    update = chat.send("hello")
    env.fake.wait_for(
        lambda: any(b["message"] == "hello" and b["sender"] == str(chat.chat_id) for b in env.rasa.received),
        15,
        "the message at Rasa",
    )
    body = next(b for b in env.rasa.received if b["sender"] == str(chat.chat_id))
    assert body["metadata"] == {
        "channel": "telegram",
        "user_id": chat.chat_id,
        "first_name": "Marie",
        "last_name": "Dupont",
        "username": "marie_d",
        "language_code": "fr",
        "message_id": update["message"]["message_id"],
    }


def test_start_greets_and_shows_what_the_shop_sells(env, chat):
    env.script.answers["/greet"] = [{"text": "Hi! Welcome."}]
    env.script.answers["/browse_catalog"] = [
        {"text": "We sell caps.", "buttons": [{"title": "Caps", "payload": "/browse_catalog"}]}
    ]
    assert chat.say("/start") == "Hi! Welcome.\nWe sell caps."
    assert [b["text"] for b in chat.buttons] == ["Caps"]


def test_typed_command_reaches_rasa_as_plain_text(env, chat):
    assert chat.say("/restart") == "echo: restart"


def test_button_press_is_acknowledged_and_forwards_its_payload(env, chat):
    payload = '/product_info{"product": "Heavyweight Hoodie", "color": "black", "size": "M"}'
    env.script.answers["menu"] = [{"text": "Pick", "buttons": [{"title": "Hoodie", "payload": payload}]}]
    chat.say("menu")
    assert chat.press("Hoodie") == f"echo: {payload}"
    [answer] = [c for c in env.fake.calls_to("answerCallbackQuery") if c.params.get("text") is None]
    assert answer.status == 200


def test_forged_button_data_is_refused_and_forwards_nothing(env, chat):
    received = len(env.rasa.received)
    update = env.fake.push(chat.callback_update("/checkout"))
    env.fake.wait_for(
        lambda: any(
            c.params.get("callback_query_id") == update["callback_query"]["id"]
            for c in env.fake.calls_to("answerCallbackQuery")
        ),
        15,
        "the answer",
    )
    answer = next(
        c
        for c in env.fake.calls_to("answerCallbackQuery")
        if c.params.get("callback_query_id") == update["callback_query"]["id"]
    )
    assert answer.params["text"] == texts.BUTTON_EXPIRED
    assert len(env.rasa.received) == received


def test_the_same_update_is_handled_once_even_after_a_restart(env, chat):
    update = chat.message_update(text="only once")
    first = env.fake.push(update)
    env.fake.wait_for(lambda: chat.delivered(), 15, "the reply")
    env.fake.push(first)  # Telegram delivers it again
    time.sleep(1.5)
    stop_gateway(env.gateway)
    env.gateway = start_gateway(
        env.settings,
        env.fake,
        env.log_path,
        TELEGRAM_SELLER_CHAT_ID=str(SELLER_CHAT),
        TELEGRAM_RASA_TIMEOUT_SECONDS=str(RASA_TIMEOUT),
    )
    env.fake.push(first)  # and once more to the restarted gateway
    assert chat.say("after restart") == "echo: after restart"
    assert [b["message"] for b in env.rasa.received if b["sender"] == str(chat.chat_id)] == [
        "only once",
        "after restart",
    ]
    assert [text_of(c) for c in chat.delivered()] == ["echo: only once", "echo: after restart"]


def test_flood_limit_is_waited_out_and_the_message_sent_once(env, chat):
    env.fake.fail_next("sendMessage", 429, retry_after=1, chat_id=chat.chat_id)
    started = time.monotonic()
    assert chat.say("hurry") == "echo: hurry"
    attempts = [c for c in env.fake.calls_to("sendMessage", chat.chat_id)]
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0
    assert len(chat.delivered()) == 1 and time.monotonic() - started < 10


def test_failing_rasa_gets_an_apology_the_message_is_recorded_and_the_gateway_keeps_running(env, chat):
    env.script.fail = True
    started = time.monotonic()
    update = chat.send("anyone there?")
    env.fake.wait_for(lambda: chat.delivered(), 15, "the apology")
    assert [text_of(c) for c in chat.delivered()] == [texts.ASSISTANT_UNAVAILABLE]
    assert time.monotonic() - started < 3
    with env.db.reading() as session:  # the seller still sees what the shopper wrote
        message = session.scalar(
            select(Message)
            .join(Conversation)
            .where(Conversation.sender_id == str(chat.chat_id), Message.direction == "in")
        )
        assert message.text == "anyone there?"
        assert message.channel_message_id == str(update["message"]["message_id"])
        assert message.conversation.customer.username == "marie_d"
    env.script.fail = False
    assert chat.say("and now?") == "echo: and now?"
    assert alive(env)


def test_a_turn_lost_with_its_rasa_server_is_answered_once_without_an_apology(env, chat):
    env.rasa.lost_turns = [LostTurn(502, after_turn=True)]  # ran, then its server died: taken from the tracker
    assert chat.say("where is my order") == "echo: where is my order"
    env.rasa.lost_turns = [LostTurn(None)]  # died before it ran: sent once more
    assert chat.say("and my cart") == "echo: and my cart"
    sent = [b["message"] for b in env.rasa.received if b["sender"] == str(chat.chat_id)]
    assert sent == ["where is my order", "and my cart", "and my cart"]
    assert [text_of(c) for c in chat.delivered()] == ["echo: where is my order", "echo: and my cart"]
    with env.db.reading() as session:  # nothing recorded as unanswered
        assert (
            session.scalar(select(Message.id).join(Conversation).where(Conversation.sender_id == str(chat.chat_id)))
            is None
        )


def test_slow_rasa_gets_a_note_in_seconds_and_its_answer_when_it_comes(env, chat):
    env.script.delay = RASA_TIMEOUT + 2
    started = time.monotonic()
    update = chat.send("place my order")
    env.fake.wait_for(lambda: chat.delivered(), 15, "the note")
    assert [text_of(c) for c in chat.delivered()] == [texts.ASSISTANT_SLOW]
    assert RASA_TIMEOUT <= time.monotonic() - started < RASA_TIMEOUT + 1.5
    env.fake.wait_for(lambda: len(chat.delivered()) == 2, 15, "the late answer")
    assert text_of(chat.delivered()[1]) == "echo: place my order"  # e.g. an order confirmation, not lost
    with env.db.reading() as session:
        assert (
            session.scalar(
                select(Message.text).where(Message.channel_message_id == str(update["message"]["message_id"]))
            )
            == "place my order"
        )
    env.script.delay = 0
    assert chat.say("thanks") == "echo: thanks"


def test_non_text_input_gets_a_short_reply_and_a_contact_gives_the_phone(env, chat):
    assert (
        chat.push(
            sticker={
                "file_id": "s",
                "file_unique_id": "su",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        )
        == texts.TEXT_ONLY
    )
    assert chat.push(voice={"file_id": "v", "file_unique_id": "vu", "duration": 3}) == texts.TEXT_ONLY
    assert (
        chat.push(contact={"phone_number": "+33612345678", "first_name": "Marie", "user_id": chat.chat_id})
        == "echo: +33612345678"
    )


def test_a_photo_without_an_unpaid_order_is_not_kept(env, chat):
    assert chat.send_photo(b"\xff\xd8 not an order", "nope-1") == texts.TEXT_ONLY
    with env.db.reading() as session:
        assert session.scalars(select(PaymentProof).where(PaymentProof.file_unique_id == "nope-1")).all() == []


def test_a_photo_is_kept_as_proof_of_payment_for_the_unpaid_order(env, chat):
    with env.db.transaction() as session:
        customer = add_customer(session, str(chat.chat_id), "Marie Dupont", channel="telegram")
        order = add_order(session, customer, "PRF2QX", [("CAP-DAD-BLK", 1)], at("2026-11-22 10:00"))
    receipt = b"\xff\xd8\xff\xe0 receipt " * 100
    assert chat.send_photo(receipt, "receipt-1", caption="paid!") == texts.PROOF_STORED.format(number="PRF2QX")
    assert chat.send_photo(receipt, "receipt-1") == texts.PROOF_ALREADY_STORED.format(number="PRF2QX")
    with env.db.reading() as session:
        [proof] = session.scalars(select(PaymentProof).where(PaymentProof.order_id == order.id)).all()
        assert proof.content == receipt and proof.size_bytes == len(receipt) and proof.mime_type == "image/jpeg"
        assert proof.caption == "paid!" and proof.channel == "telegram"
    assert env.fake.wait_for(
        lambda: [
            c for c in env.fake.delivered(SELLER_CHAT) if "PRF2QX" in text_of(c) and "Proof of payment" in text_of(c)
        ],
        15,
        "the seller alert",
    )


def test_order_updates_reach_the_shopper_and_alerts_reach_the_seller(env, chat):
    with env.db.transaction() as session:
        customer = add_customer(session, str(chat.chat_id), "Marie Dupont", channel="telegram")
        order = add_order(session, customer, "PAY7KZ", [("CAP-DAD-BLK", 1)], at("2026-11-22 10:00"))
        change_status(session, order, "paid", "seller:test")
        queue_for_seller(session, "test", "Seller_alert *raw*", dedupe_key=f"test:{chat.chat_id}")
    env.fake.wait_for(lambda: any("PAY7KZ" in text_of(c) for c in chat.delivered()), 15, "the paid notice")
    [notice] = chat.delivered()
    assert text_of(notice).startswith("Payment received for order PAY7KZ")
    env.fake.wait_for(
        lambda: any(text_of(c) == "Seller_alert *raw*" for c in env.fake.delivered(SELLER_CHAT)), 15, "the seller alert"
    )

    def sent():  # marked just after Telegram accepted each message
        with env.db.reading() as session:
            rows = session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.dedupe_key.in_([f"order:{order.id}:paid", f"test:{chat.chat_id}"])
                )
            ).all()
        return rows if {r.status for r in rows} == {"sent"} else None

    assert all(r.channel_message_id for r in env.fake.wait_for(sent, 10, "both rows marked sent"))


def test_a_blocked_chat_or_an_erased_text_fails_at_once_and_nothing_else_waits(env, chat):
    env.fake.fail_next("sendMessage", 403, retry_after=None, description="Forbidden: bot was blocked by the user")
    with env.db.transaction() as session:
        customer = add_customer(session, str(chat.chat_id), "Blocker", channel="telegram")
        blocked = queue_for_customer(session, customer, "test", "you blocked me", dedupe_key=f"b:{chat.chat_id}")
        erased = queue_for_seller(session, "test", "", dedupe_key=f"e:{chat.chat_id}")
        after = queue_for_seller(session, "test", f"after {chat.chat_id}", dedupe_key=f"a:{chat.chat_id}")
    env.fake.wait_for(
        lambda: any(text_of(c) == f"after {chat.chat_id}" for c in env.fake.delivered(SELLER_CHAT)),
        15,
        "the next alert",
    )

    def settled():  # the gateway marks a message sent just after Telegram accepted it
        with env.db.reading() as session:
            rows = {
                r.id: r
                for r in session.scalars(
                    select(OutboxMessage).where(OutboxMessage.id.in_([blocked.id, erased.id, after.id]))
                )
            }
        return rows if rows[after.id].status != "sending" else None

    rows = env.fake.wait_for(settled, 10, "the outbox rows to settle")
    assert (rows[blocked.id].status, rows[blocked.id].attempts) == ("failed", 1)
    assert "blocked" in rows[blocked.id].last_error
    assert (rows[erased.id].status, rows[after.id].status) == ("failed", "sent")


def test_malformed_updates_never_stop_the_gateway(env, chat):
    env.fake.push({"message": {"chat": "not a chat", "message_id": "x"}})
    env.fake.push({"callback_query": {"id": "q", "from": chat.user, "chat_instance": "c"}})
    env.fake.push({"a_kind_telegram_adds_next_year": {"x": 1}})
    assert chat.say("still there?") == "echo: still there?"
    assert alive(env)


def test_the_bot_token_never_appears_in_the_log(env):
    log = env.log_path.read_text()
    assert "getUpdates" in log or "Bot API" in log  # DEBUG logging was on, and it did log API calls
    assert env.fake.token not in log and env.fake.token.split(":")[1] not in log


def test_webhook_mode_processes_only_updates_with_the_right_secret(env, tmp_path):
    port, secret = reserve_port(), "s3cret_webhook-token"
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    fake = FakeTelegram()
    gateway = start_gateway(
        env.settings,
        fake,
        tmp_path / "webhook.log",
        TELEGRAM_WEBHOOK_URL=url,
        TELEGRAM_WEBHOOK_SECRET=secret,
        TELEGRAM_WEBHOOK_LISTEN_PORT=str(port),
    )
    try:
        assert fake.webhook["url"] == url and fake.webhook["secret_token"] == secret
        chat = TelegramChat(fake, 424242)
        received = len(env.rasa.received)
        for headers in (
            {},
            {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            {"X-Telegram-Bot-Api-Secret-Token": secret + "x"},
        ):
            response = httpx.post(url, json={"update_id": 1, **chat.message_update(text="sneaky")}, headers=headers)
            assert response.status_code == 403
        right = {"X-Telegram-Bot-Api-Secret-Token": secret}
        assert httpx.post(url, content=b"{not json", headers=right).status_code == 400
        assert (
            httpx.post(url, json={"update_id": 2, **chat.message_update(text="legit")}, headers=right).status_code
            == 200
        )
        fake.wait_for(lambda: fake.delivered(chat.chat_id), 15, "the reply")
        assert [text_of(c) for c in fake.delivered(chat.chat_id)] == ["echo: legit"]
        assert [b["message"] for b in env.rasa.received[received:]] == ["legit"]
        assert gateway.processes["telegram"].poll() is None
        assert secret not in (tmp_path / "webhook.log").read_text()
    finally:
        stop_gateway(gateway)
        fake.close()


def test_a_card_number_never_reaches_rasa(env, chat):
    reply = chat.say("my card is 4111 1111 1111 1111 ok?")
    assert "4111" not in reply and "card number removed" in reply
    assert all("4111" not in b["message"] for b in env.rasa.received)
