"""The WhatsApp gateway process (`python -m bot.whatsapp`) between our fake Graph API and a fake Rasa, on SQLite and
PostgreSQL.

Shoppers' messages come in as Meta delivers them: signed webhook POSTs (tests/whatsapp_webhooks.py) to the web
app's /webhooks/whatsapp (the Flask app in this process, on the gateway's database), which stores them; the
gateway answers them through the fake Rasa and sends through the fake Graph API (tests/fake_whatsapp.py), and
delivers the outbox's WhatsApp rows. The webhook's own checks are in tests/integration/test_whatsapp_webhook.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from bot import texts
from bot.whatsapp.delivery import NOT_DELIVERABLE
from checkout.db.database import Database
from checkout.db.models import Conversation, Customer, InboundMessage, Message, OutboxMessage, PaymentProof, utcnow
from checkout.notifications import MAX_ATTEMPTS, SELLER_CHANNEL, queue_for_customer, queue_order_update
from checkout.orders.proofs import MAX_PROOF_BYTES
from checkout.settings import Settings
from cli.processes import Supervisor
from tests import whatsapp_webhooks as wh
from tests.fake_rasa import FakeRasa
from tests.fake_whatsapp import FakeWhatsApp, buttons_of, text_of
from tests.integration.orm_builders import add_customer, add_order, at, load_demo_catalog
from tests.whatsapp_chat import READY, WhatsAppChat, eventually, start_gateway, stop_gateway
from web import create_app

APP_SECRET = "meta-app-secret-9b2e71"
RASA_TIMEOUT = 6  # longer than any delay the script makes: no "taking longer" note in these tests


class Script:
    """What the fake Rasa answers: by exact message, else an echo; `delays` make a message slow."""

    def __init__(self) -> None:
        self.answers: dict[str, list[dict]] = {}
        self.delays: dict[str, float] = {}
        self.fail = False

    def __call__(self, body: dict) -> list[dict]:
        time.sleep(self.delays.get(body["message"], 0.0))
        if self.fail:
            raise RuntimeError("Rasa failed")  # the fake's handler dies: the gateway sees a broken response
        return self.answers.get(body["message"], [{"recipient_id": body["sender"], "text": f"echo: {body['message']}"}])


@dataclass
class GatewayEnv:
    db: Database
    rasa: FakeRasa
    fake: FakeWhatsApp
    script: Script
    settings: Settings
    client: FlaskClient
    log_path: Path
    gateway: Supervisor


def restart(env: GatewayEnv, **extra: str) -> None:
    stop_gateway(env.gateway)
    env.gateway = start_gateway(env.settings, env.log_path, **extra)


@pytest.fixture(scope="module")
def env(module_db, module_database_url, tmp_path_factory):
    load_demo_catalog(module_db)
    script = Script()
    rasa, fake = FakeRasa(script), FakeWhatsApp().start()
    settings = Settings(
        database_url=module_database_url.replace("postgresql+psycopg://", "postgresql://"),
        rasa_port=rasa.port,
        log_level="DEBUG",
        shop_secret_key="k",
        telegram_rasa_timeout_seconds=RASA_TIMEOUT,
        whatsapp_access_token=fake.token,
        whatsapp_phone_number_id=fake.phone_number_id,
        whatsapp_app_secret=APP_SECRET,
        whatsapp_verify_token="verify",
        whatsapp_api_base_url=fake.base_url,
    )
    app = create_app({"SETTINGS": settings, "TESTING": True})
    log_path = tmp_path_factory.mktemp("whatsapp") / "gateway.log"
    gateway_env = GatewayEnv(
        module_db, rasa, fake, script, settings, app.test_client(), log_path, start_gateway(settings, log_path)
    )
    yield gateway_env
    stop_gateway(gateway_env.gateway)  # a test may have restarted it
    app.extensions["database"].dispose()
    rasa.close()
    fake.stop()


class Shopper(WhatsAppChat):
    """A shopper of their own per test (tests share the gateway), who can also be looked up at Rasa and in the
    database."""

    def __init__(self, env: GatewayEnv) -> None:
        super().__init__(env.client, env.fake, APP_SECRET)
        self.env = env

    def at_rasa(self) -> list[str]:
        return [b["message"] for b in self.env.rasa.received if b["sender"] == self.wa_id]

    def customer(self, last_wrote_ago: timedelta | None = None) -> int:
        """Their customer row (as a first conversation would have made it); with `last_wrote_ago`, their latest
        message, which opens or closes the 24-hour window."""
        with self.env.db.transaction() as session:
            customer = add_customer(session, self.wa_id, self.name, channel="whatsapp")
            if last_wrote_ago is not None:
                session.add(
                    InboundMessage(
                        channel="whatsapp",
                        message_id=wh.new_wamid(self.wa_id),
                        chat_id=self.wa_id,
                        status="handled",
                        received_at=utcnow() - last_wrote_ago,
                    )
                )
            return customer.id

    def notify(self, text: str) -> int:
        with self.env.db.transaction() as session:
            customer = session.scalar(select(Customer).where(Customer.channel_user_id == self.wa_id))
            row = queue_for_customer(session, customer, "test", text)
            assert row is not None
            session.flush()
            return row.id


@pytest.fixture
def shopper(env):
    env.script.answers.clear()
    env.script.delays.clear()
    env.script.fail = False
    return Shopper(env)


def outbox_row(env: GatewayEnv, row_id: int) -> OutboxMessage:
    with env.db.reading() as session:
        return session.get_one(OutboxMessage, row_id)


def report(env: GatewayEnv, wa_id: str, state: str, wamid: str | None = None) -> dict:
    """Meta's status webhook about our message `wamid` (the latest one to `wa_id` when not given)."""
    wamid = wamid or env.fake.wamids_to(wa_id)[-1]
    answer = wh.signed_post(env.client, wh.envelope(statuses=[wh.status(wamid, state, wa_id)]), APP_SECRET)
    assert answer.status_code == 200
    return answer.get_json()


def settled(env: GatewayEnv, row_id: int, status: str, what: str = "the outbox row") -> OutboxMessage:
    return eventually(lambda: (row := outbox_row(env, row_id)).status == status and row, 30, f"{what} {status}")


# --- conversation ---------------------------------------------------------------------------------------------
def test_every_message_reaches_rasa_with_the_shopper_metadata_and_is_marked_read(env, shopper):
    hello = shopper.text("hello")
    assert [text_of(r) for r in shopper.turn(hello)] == ["echo: hello"]
    [body] = [b for b in env.rasa.received if b["sender"] == shopper.wa_id]
    assert body["metadata"] == {
        "channel": "whatsapp",
        "user_id": shopper.wa_id,
        "first_name": "Ana",
        "last_name": "Maria Lima",
        "phone": shopper.wa_id,
        "message_id": hello["id"],
    }
    assert hello["id"] in env.fake.read_receipts
    assert shopper.say("/restart") == ["echo: restart"]  # a typed command is text, never a Rasa intent


def test_a_duplicate_delivery_is_answered_once_also_after_a_restart(env, shopper):
    once = shopper.text("only once")
    assert shopper.post(once)["stored"] == 1
    assert shopper.post(once)["repeated"] == 1  # Meta's retry before the worker took it
    env.fake.wait_for_messages(shopper.wa_id, 1, 30)
    assert shopper.post(once)["repeated"] == 1  # after it was answered
    restart(env)
    assert shopper.post(once)["repeated"] == 1  # and to a restarted gateway
    assert shopper.say("after restart") == ["echo: after restart"]
    assert shopper.at_rasa() == ["only once", "after restart"]
    assert [t for t in env.fake.texts_to(shopper.wa_id) if t != texts.BUTTON_EXPIRED] == [
        "echo: only once",
        "echo: after restart",
    ]


def test_one_chat_is_answered_in_order_while_other_chats_go_on(env, shopper):
    other = Shopper(env)
    env.script.delays["first"] = 3.0
    for body in ("first", "second", "third"):  # three deliveries in quick succession
        shopper.post(shopper.text(body))
    assert other.say("meanwhile") == ["echo: meanwhile"]
    assert env.fake.texts_to(shopper.wa_id) == []  # still waiting for Rasa's answer to "first"
    replies = env.fake.wait_for_messages(shopper.wa_id, 3, 30)
    assert [text_of(r) for r in replies] == ["echo: first", "echo: second", "echo: third"]
    assert shopper.at_rasa() == ["first", "second", "third"]


def test_a_message_waiting_behind_a_turn_at_a_stop_is_answered_after_the_restart(env, shopper):
    env.script.delays["slow"] = 3.0
    shopper.post(shopper.text("slow"))
    eventually(lambda: "slow" in shopper.at_rasa(), 30, "the slow turn at Rasa")
    before = len(env.fake.messages_to(shopper.wa_id))
    shopper.post(shopper.text("queued"))
    # One message of a chat in hand at a time: the next one stays stored, untaken, behind the turn under way.
    assert claimed(env, shopper.wa_id) == 1
    restart(env)  # the turn under way is cut (taken: never tried again); the waiting one was never taken
    replies = [text_of(r) for r in env.fake.messages_to(shopper.wa_id)[before:]] + shopper.say("after")
    assert [r for r in replies if r != texts.ASSISTANT_SLOW] == ["echo: queued", "echo: after"]
    assert shopper.at_rasa() == ["slow", "queued", "after"]


def handled(env: GatewayEnv, wa_id: str) -> int:
    with env.db.reading() as session:
        rows = session.scalars(select(InboundMessage.status).where(InboundMessage.chat_id == wa_id)).all()
    return sum(status == "handled" for status in rows)


def claimed(env: GatewayEnv, wa_id: str) -> int:
    with env.db.reading() as session:
        rows = session.scalars(select(InboundMessage.status).where(InboundMessage.chat_id == wa_id)).all()
    return sum(status != "pending" for status in rows)


def test_a_flooding_chat_reaches_rasa_only_up_to_its_limit_and_is_told_once(env, shopper):
    restart(env, SHOP_CHAT_LIMIT_PER_CONVERSATION="3/minute")
    try:
        for i in range(6):
            shopper.post(shopper.text(f"message {i}"))
        eventually(lambda: handled(env, shopper.wa_id) == 6, 30, "every message handled")
        assert shopper.at_rasa() == ["message 0", "message 1", "message 2"]
        assert env.fake.texts_to(shopper.wa_id) == ["echo: message 0", "echo: message 1", "echo: message 2"] + [
            texts.SLOW_DOWN
        ]
    finally:
        restart(env)


def test_buttons_become_reply_buttons_or_lists_and_each_press_forwards_its_payload(env, shopper):
    sizes = [{"title": s, "payload": f'/choose_size{{"size": "{s}"}}'} for s in ("S", "M", "L")]
    env.script.answers["sizes"] = [{"text": "Which size?", "buttons": sizes}]
    [buttons] = shopper.turn(shopper.text("sizes"))
    assert buttons["interactive"]["type"] == "button" and buttons_of(buttons) == ["S", "M", "L"]
    assert text_of(buttons) == "Which size?"
    assert all(len(b["reply"]["id"]) <= 32 for b in buttons["interactive"]["action"]["buttons"])
    assert [text_of(r) for r in shopper.press(buttons, "M")] == ['echo: /choose_size{"size": "M"}']

    long_title = "Heavyweight Hoodie – Forest"  # 27 characters: too long for a reply button
    payload = '/product_info{"product": "Heavyweight Hoodie – Forest", "color": "vert forêt", "size": "M"}'
    env.script.answers["hoodies"] = [
        {"text": "We have:", "buttons": [{"title": long_title + " Green", "payload": payload}]}
    ]
    [listed] = shopper.turn(shopper.text("hoodies"))
    [row] = listed["interactive"]["action"]["sections"][0]["rows"]
    assert listed["interactive"]["type"] == "list"
    assert len(row["title"]) <= 24 and row["title"].endswith("…")
    assert row["description"] == long_title + " Green"  # the cut title's full wording, 33 characters
    assert [text_of(r) for r in shopper.press(listed, row["title"])] == [f"echo: {payload}"]

    env.script.answers["pay"] = [
        {"image": "https://shop.example/hoodie.jpg", "text": "Heavyweight Hoodie"},
        {"text": "Total €59.00", "buttons": [{"title": "Pay €59.00 by card now", "url": "https://pay.example/c/1"}]},
    ]
    picture, link = shopper.turn(shopper.text("pay"))
    assert picture["image"] == {"link": "https://shop.example/hoodie.jpg", "caption": "Heavyweight Hoodie"}
    assert link["interactive"]["type"] == "cta_url" and text_of(link) == "Total €59.00"
    parameters = link["interactive"]["action"]["parameters"]
    assert parameters["url"] == "https://pay.example/c/1" and len(parameters["display_text"]) <= 20


def test_a_long_list_pages_behind_more_without_asking_rasa(env, shopper):
    choices = [{"title": f"Product {n}", "payload": f'/product_info{{"product": "P{n}"}}'} for n in range(1, 13)]
    env.script.answers["catalog"] = [{"text": "Our products", "buttons": choices}]
    [first] = shopper.turn(shopper.text("catalog"))
    assert buttons_of(first) == [f"Product {n}" for n in range(1, 10)] + ["More…"]
    at_rasa = len(env.rasa.received)
    [rest] = shopper.press(first, "More…")
    assert len(env.rasa.received) == at_rasa  # the next page comes from the stored payload, not from Rasa
    assert buttons_of(rest) == ["Product 10", "Product 11", "Product 12"]
    assert [text_of(r) for r in shopper.press(rest, "Product 11")] == ['echo: /product_info{"product": "P11"}']
    assert shopper.at_rasa()[-1] == '/product_info{"product": "P11"}'


def test_a_button_we_never_issued_forwards_nothing(env, shopper):
    forged = wh.button_reply(shopper.wa_id, "L2NoZWNrb3V0", "Checkout")  # "/checkout" in base64: not a key of ours
    shopper.post(forged)
    [answer] = env.fake.wait_for_messages(shopper.wa_id, 1, 30)
    assert text_of(answer) == texts.BUTTON_EXPIRED
    assert shopper.say("still here") == ["echo: still here"]
    assert shopper.at_rasa() == ["still here"]


def test_a_rate_limited_reply_is_sent_once_when_meta_takes_it_again(env, shopper):
    env.fake.fail_next_rate_limited(to=shopper.wa_id)
    assert shopper.say("hurry") == ["echo: hurry"]
    tries = [c for c in env.fake.sent if c.kind == "message" and c.body.get("to") == shopper.wa_id]
    assert [c.status for c in tries[:2]] == [429, 200] and text_of(tries[0].body) == "echo: hurry"
    assert tries[1].at - tries[0].at >= 1.0  # after a pause, not hammering Meta
    assert shopper.at_rasa() == ["hurry"]  # Rasa was asked once


def test_failing_rasa_gets_an_apology_and_the_message_is_recorded(env, shopper):
    env.script.fail = True
    message = shopper.text("anyone there?")
    assert [text_of(r) for r in shopper.turn(message)] == [texts.ASSISTANT_UNAVAILABLE]
    with env.db.reading() as session:  # the seller still sees what the shopper wrote, and who wrote it
        recorded = session.scalar(
            select(Message).join(Conversation).where(Conversation.sender_id == shopper.wa_id, Message.direction == "in")
        )
        assert (recorded.text, recorded.channel_message_id) == ("anyone there?", message["id"])
        customer = recorded.conversation.customer
        assert (customer.channel, customer.name, customer.phone) == ("whatsapp", "Ana Maria Lima", f"+{shopper.wa_id}")
    env.script.fail = False
    assert shopper.say("and now?") == ["echo: and now?"]


# --- media, contacts, locations ---------------------------------------------------------------------------------
def test_a_receipt_is_downloaded_and_kept_as_proof_of_payment(env, shopper):
    customer_id = shopper.customer()
    with env.db.transaction() as session:
        order = add_order(
            session,
            session.get_one(Customer, customer_id),
            f"W{shopper.wa_id[-5:]}",
            [("CAP-DAD-BLK", 1)],
            at("2026-11-22 10:00"),
        )
        number, order_id = order.number, order.id
    receipt, digest = b"\xff\xd8\xff\xe0 receipt " * 200, "c2hhMjU2LW9mLXRoZS1yZWNlaXB0"
    media_id = env.fake.add_media(f"media-{shopper.wa_id}-1", receipt, "image/jpeg")
    photo = wh.image(shopper.wa_id, media_id, caption="paid!", sha256=digest)
    assert [text_of(r) for r in shopper.turn(photo)] == [texts.PROOF_STORED.format(number=number)]
    fetched = [c.body["request"] for c in env.fake.sent if c.kind == "media" and c.body["media_id"] == media_id]
    assert fetched == ["url", "download"]
    again = env.fake.add_media(f"media-{shopper.wa_id}-2", receipt, "image/jpeg")  # a new id for the same photo
    assert [text_of(r) for r in shopper.turn(wh.image(shopper.wa_id, again, sha256=digest))] == [
        texts.PROOF_ALREADY_STORED.format(number=number)
    ]
    pdf = env.fake.add_media(f"media-{shopper.wa_id}-3", b"%PDF-1.4 bank transfer", "application/pdf")
    huge = env.fake.add_media(f"media-{shopper.wa_id}-4", b"\xff" * (MAX_PROOF_BYTES + 1), "image/jpeg")
    assert [text_of(r) for r in shopper.turn(wh.document(shopper.wa_id, pdf, "transfer.pdf"))] == [
        texts.PROOF_STORED.format(number=number)
    ]
    assert [text_of(r) for r in shopper.turn(wh.image(shopper.wa_id, huge))] == [texts.PROOF_TOO_LARGE]
    gone = wh.image(shopper.wa_id, f"media-{shopper.wa_id}-never-uploaded")  # the Graph API answers 400 for it
    assert [text_of(r) for r in shopper.turn(gone)] == [texts.PROOF_NOT_FETCHED]
    with env.db.reading() as session:
        proofs = session.scalars(
            select(PaymentProof).where(PaymentProof.order_id == order_id).order_by(PaymentProof.id)
        ).all()
        assert [(p.content, p.mime_type, p.caption, p.channel) for p in proofs] == [
            (receipt, "image/jpeg", "paid!", "whatsapp"),
            (b"%PDF-1.4 bank transfer", "application/pdf", None, "whatsapp"),
        ]
        alerts = session.scalars(
            select(OutboxMessage).where(OutboxMessage.order_id == order_id, OutboxMessage.kind == "payment_proof")
        ).all()
        assert [a.channel for a in alerts] == [SELLER_CHANNEL] * 2 and all(number in a.text for a in alerts)
    assert shopper.at_rasa() == []


def test_media_that_is_no_proof_gets_the_text_only_answer(env, shopper):
    media_id = env.fake.add_media(f"media-{shopper.wa_id}", b"\xff\xd8 holiday photo", "image/jpeg")
    messages = [
        wh.image(shopper.wa_id, media_id),  # no order awaits payment
        wh.sticker(shopper.wa_id, f"sticker-{shopper.wa_id}"),
        wh.unsupported(shopper.wa_id),
    ]
    assert [text_of(r) for r in shopper.turn(*messages)] == [texts.TEXT_ONLY] * 3
    assert not [c for c in env.fake.sent if c.kind == "media" and c.body["media_id"] == media_id]
    assert shopper.at_rasa() == []


def test_a_shared_contact_gives_its_phone_and_a_location_is_offered_as_the_address(env, shopper):
    assert [text_of(r) for r in shopper.turn(wh.contact(shopper.wa_id, "+33 6 12 34 56 78"))] == [
        "echo: +33 6 12 34 56 78"
    ]
    place = wh.location(shopper.wa_id, 38.7101, -9.1404, "Casa Ana", "Rua Augusta 24, 1100-053 Lisboa")
    [offer] = shopper.turn(place)
    address = "Casa Ana, Rua Augusta 24, 1100-053 Lisboa"
    assert text_of(offer) == texts.USE_LOCATION.format(address=address)
    assert buttons_of(offer) == [texts.USE_LOCATION_BUTTON]
    assert [text_of(r) for r in shopper.press(offer, texts.USE_LOCATION_BUTTON)] == [f"echo: {address}"]
    assert shopper.at_rasa() == ["+33 6 12 34 56 78", address]
    # A place's name comes from the sender's app: one that looks like a Rasa intent is still only an address.
    [forged] = shopper.turn(wh.location(shopper.wa_id, 38.7, -9.1, '/place_order{"quantity": "99"}'))
    assert [text_of(r) for r in shopper.press(forged, texts.USE_LOCATION_BUTTON)] == [
        'echo: place_order{"quantity": "99"}'
    ]


# --- the outbox: delivery states and the 24-hour window ---------------------------------------------------------
def test_delivery_states_reach_the_row_and_a_failed_message_is_retried_then_given_up(env, shopper):
    shopper.customer(last_wrote_ago=timedelta(minutes=5))
    row_id = shopper.notify("Your order is ready")
    [notice] = env.fake.wait_for_messages(shopper.wa_id, 1, 30)
    assert notice["type"] == "text" and text_of(notice) == "Your order is ready"  # within the window: free-form
    [wamid] = env.fake.wamids_to(shopper.wa_id)
    assert settled(env, row_id, "sent").channel_message_id == wamid
    for state, expected in (("delivered", "delivered"), ("read", "read"), ("delivered", "read")):  # never back
        assert report(env, shopper.wa_id, state, wamid)["states"] == 1
        assert outbox_row(env, row_id).delivery_state == expected

    for attempt in range(2, MAX_ATTEMPTS + 1):  # each failure report: pending again, and sent again
        assert report(env, shopper.wa_id, "failed")["states"] == 1
        env.fake.wait_for_messages(shopper.wa_id, attempt, 30)
        eventually(
            lambda: outbox_row(env, row_id).channel_message_id == env.fake.wamids_to(shopper.wa_id)[-1],
            30,
            f"attempt {attempt} marked sent",
        )
    assert env.fake.texts_to(shopper.wa_id) == ["Your order is ready"] * MAX_ATTEMPTS
    report(env, shopper.wa_id, "failed")
    row = outbox_row(env, row_id)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS) and "131026" in row.last_error
    with env.db.reading() as session:
        [alert] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"whatsapp-failed:{row_id}")
        ).all()
    assert (alert.channel, alert.kind) == (SELLER_CHANNEL, "delivery_failed") and "Your order is ready" in alert.text


def test_outside_the_window_a_notice_waits_until_the_shopper_writes(env, shopper):
    shopper.customer(last_wrote_ago=timedelta(hours=25))
    row_id = shopper.notify("Your order X1 is on its way.")
    assert settled(env, row_id, "held").last_error == NOT_DELIVERABLE
    assert env.fake.messages_to(shopper.wa_id) == []
    shopper.post(shopper.text("any news?"))
    env.fake.wait_for(lambda: "Your order X1 is on its way." in env.fake.texts_to(shopper.wa_id), 30, "the notice")
    assert settled(env, row_id, "sent").channel_message_id in env.fake.wamids_to(shopper.wa_id)
    assert [b["type"] for b in env.fake.messages_to(shopper.wa_id)] == ["text", "text"]  # free-form, and "echo"


def test_meta_refusing_a_free_form_notice_as_outside_the_window_holds_it(env, shopper):
    shopper.customer(last_wrote_ago=timedelta(hours=23))  # open by our clock
    env.fake.fail_next_outside_window(to=shopper.wa_id)
    row_id = shopper.notify("Order X2 shipped")
    assert settled(env, row_id, "held").last_error == NOT_DELIVERABLE
    [refused] = [c for c in env.fake.sent if c.kind == "message" and c.body.get("to") == shopper.wa_id]
    assert (refused.status, refused.answer["error"]["code"]) == (400, 131047)


def test_with_a_template_a_notice_outside_the_window_goes_as_that_template(env, shopper):
    restart(env, WHATSAPP_TEMPLATE_ORDER_UPDATE="order_update", WHATSAPP_TEMPLATE_LANGUAGE="pt_BR")
    try:
        customer_id = shopper.customer(last_wrote_ago=timedelta(days=3))
        with env.db.transaction() as session:
            customer = session.get_one(Customer, customer_id)
            order = add_order(
                session,
                customer,
                f"T{shopper.wa_id[-5:]}",
                [("CAP-DAD-BLK", 1)],
                at("2026-11-22 10:00"),
                status="fulfilled",
            )
            order.fulfilment_note = "Tracking: CT123456789PT\n\tCarrier:      CTT"
            row_id = queue_order_update(session, order, "fulfilled").id
        [sent] = env.fake.wait_for_messages(shopper.wa_id, 1, 30)
        assert sent["type"] == "template"
        template = sent["template"]
        assert (template["name"], template["language"]) == ("order_update", {"code": "pt_BR"})
        [component] = template["components"]
        [parameter] = component["parameters"]
        assert component["type"] == "body" and parameter["type"] == "text"
        assert parameter["text"].startswith(f"Your order {order.number} is on its way.")
        assert "CT123456789PT" in parameter["text"] and "CTT" in parameter["text"]
        assert "\n" not in parameter["text"] and "\t" not in parameter["text"] and "     " not in parameter["text"]
        settled(env, row_id, "sent")

        inside = Shopper(env)  # open by our clock, but Meta says otherwise: the template carries it
        inside.customer(last_wrote_ago=timedelta(hours=23))
        env.fake.fail_next_outside_window(to=inside.wa_id)
        inside_row = inside.notify("Order X3 shipped")
        [retried] = env.fake.wait_for_messages(inside.wa_id, 1, 30)
        assert retried["type"] == "template" and text_of(retried) == "Order X3 shipped"
        tries = [c.status for c in env.fake.sent if c.kind == "message" and c.body.get("to") == inside.wa_id]
        assert tries == [400, 200]
        settled(env, inside_row, "sent")

        later = Shopper(env)  # Meta takes the free-form send, then reports 131047 in a status webhook
        later.customer(last_wrote_ago=timedelta(hours=23))
        later_row = later.notify("Order X4 shipped")
        [free_form] = env.fake.wait_for_messages(later.wa_id, 1, 30)
        settled(env, later_row, "sent")
        app = create_app({"SETTINGS": env.settings.replace(whatsapp_template_order_update="order_update")})
        try:
            failed = wh.status(env.fake.wamids_to(later.wa_id)[-1], "failed", later.wa_id, errors=[wh.OUTSIDE_WINDOW])
            wh.signed_post(app.test_client(), wh.envelope(statuses=[failed]), APP_SECRET)
        finally:
            app.extensions["database"].dispose()
        [_, again] = env.fake.wait_for_messages(later.wa_id, 2, 30)
        assert (free_form["type"], again["type"]) == ("text", "template")  # not free-form again, refused again
        assert settled(env, later_row, "sent").channel_message_id == env.fake.wamids_to(later.wa_id)[-1]
    finally:
        restart(env)


def test_the_token_and_the_app_secret_never_appear_in_the_log(env):
    log = env.log_path.read_text()
    assert READY in log
    assert env.fake.token not in log and APP_SECRET not in log
