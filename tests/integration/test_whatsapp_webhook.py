"""`/webhooks/whatsapp` through the Flask app on SQLite and PostgreSQL, with payloads built and signed as Meta does
(tests/whatsapp_webhooks.py): the verification handshake, every way a POST is refused, each wamid stored once, and
what delivery states do to outbox rows. No gateway runs here: tests/integration/test_whatsapp_gateway.py answers
the stored messages."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from checkout.db.models import Customer, InboundMessage, OutboxMessage, utcnow
from checkout.notifications import MAX_ATTEMPTS, SELLER_CHANNEL
from checkout.settings import Settings
from tests import whatsapp_webhooks as wh
from tests.integration.orm_builders import add_customer
from web import create_app

APP_SECRET = "meta-app-secret-3f9a"
VERIFY_TOKEN = "verify-me-7c1d"
SHOPPER = "5511987654321"


def make_app(db, **settings: str):
    values = {
        "database_url": db.url,
        "shop_secret_key": "k",
        "whatsapp_app_secret": APP_SECRET,
        "whatsapp_verify_token": VERIFY_TOKEN,
        "whatsapp_phone_number_id": wh.PHONE_NUMBER_ID,
        **settings,
    }
    return create_app({"SETTINGS": Settings(**values), "TESTING": True})


@pytest.fixture
def app(clean_db):
    app = make_app(clean_db)
    yield app
    app.extensions["database"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def post(client, payload, secret: str = APP_SECRET, **headers: str):
    return wh.signed_post(client, payload, secret, headers=headers or None)


def inbound(db) -> list[InboundMessage]:
    with db.reading() as session:
        return list(session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def outbox_row(db, row_id: int) -> OutboxMessage:
    with db.reading() as session:
        return session.get_one(OutboxMessage, row_id)


# --- verification ----------------------------------------------------------------------------------------------
def test_verification_echoes_the_challenge_for_our_token_only(clean_db, client):
    answer = client.get(wh.WEBHOOK_PATH, query_string=wh.verification_params(VERIFY_TOKEN, "1158201444"))
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain" and answer.get_data(as_text=True) == "1158201444"

    wrong_mode = {**wh.verification_params(VERIFY_TOKEN), "hub.mode": "unsubscribe"}
    no_mode = {k: v for k, v in wh.verification_params(VERIFY_TOKEN).items() if k != "hub.mode"}
    for query in (
        wh.verification_params("not-the-token"),
        wh.verification_params(VERIFY_TOKEN + "x"),
        wh.verification_params(""),
        wrong_mode,
        no_mode,
        {},
    ):
        answer = client.get(wh.WEBHOOK_PATH, query_string=query)
        assert answer.status_code == 403, query
        assert "1158201444" not in answer.get_data(as_text=True)


def test_verification_without_a_configured_token_is_always_refused(clean_db):
    app = make_app(clean_db, whatsapp_verify_token="")
    try:
        client = app.test_client()
        for token in ("", "anything"):
            assert client.get(wh.WEBHOOK_PATH, query_string=wh.verification_params(token)).status_code == 403
    finally:
        app.extensions["database"].dispose()


# --- signatures and bodies ---------------------------------------------------------------------------------------
def test_only_a_post_signed_with_our_app_secret_is_stored(clean_db, client):
    payload = wh.envelope([wh.text_message(SHOPPER, "hi")])
    raw = wh.encode(payload)
    for headers in (
        {wh.SIGNATURE_HEADER: ""},  # missing (empty)
        {wh.SIGNATURE_HEADER: wh.signature(raw, "another-apps-secret")},  # wrong secret
        {wh.SIGNATURE_HEADER: wh.signature(raw + b" ", APP_SECRET)},  # for other bytes
        {wh.SIGNATURE_HEADER: wh.signature(raw, APP_SECRET).replace("sha256=", "sha1=")},  # wrong scheme
        {wh.SIGNATURE_HEADER: wh.signature(raw, APP_SECRET)[:-1]},  # cut short
    ):
        assert post(client, raw, **headers).status_code == 403, headers
    missing = client.post(wh.WEBHOOK_PATH, data=raw, content_type="application/json")  # no header at all
    assert missing.status_code == 403
    assert inbound(clean_db) == []

    answer = post(client, raw)
    assert answer.status_code == 200 and answer.get_json() == {"stored": 1, "repeated": 0, "states": 0}
    [stored] = inbound(clean_db)
    assert (stored.chat_id, stored.status, stored.body["message"]["text"]["body"]) == (SHOPPER, "pending", "hi")
    assert stored.body["profile_name"] == wh.DEFAULT_NAME


def test_without_an_app_secret_every_post_is_refused(clean_db):
    app = make_app(clean_db, whatsapp_app_secret="")
    try:
        client = app.test_client()
        payload = wh.envelope([wh.text_message(SHOPPER, "hi")])
        for secret in ("", APP_SECRET):  # signed with the empty secret, or with what a secret might have been
            assert post(client, payload, secret).status_code == 403
        assert inbound(clean_db) == []
    finally:
        app.extensions["database"].dispose()


def test_a_body_over_one_megabyte_is_refused_even_when_signed(clean_db, client):
    message = wh.text_message(SHOPPER, "x" * (1024 * 1024))  # the JSON around it takes it past 1 MB
    answer = post(client, wh.envelope([message]))
    assert answer.status_code == 413
    assert inbound(clean_db) == []


def test_a_signed_body_that_is_not_json_is_a_bad_request(clean_db, client):
    assert post(client, b"{not json").status_code == 400
    assert post(client, b"\xff\xfe binary").status_code == 400
    # JSON, but not a WhatsApp delivery: answered 200 (Meta would retry an error for a week), nothing stored
    answer = post(client, {"object": "page", "entry": [{"changes": [{"field": "feed", "value": {}}]}]})
    assert answer.status_code == 200 and answer.get_json()["stored"] == 0
    assert inbound(clean_db) == []


# --- messages ---------------------------------------------------------------------------------------------------
def test_each_wamid_is_stored_once_however_often_meta_delivers_it(clean_db, client):
    sent_at = int(time.time()) - 90
    message = wh.text_message(SHOPPER, "only once", timestamp=sent_at)
    assert post(client, wh.envelope([message])).get_json() == {"stored": 1, "repeated": 0, "states": 0}
    assert post(client, wh.envelope([message])).get_json() == {"stored": 0, "repeated": 1, "states": 0}
    other = wh.text_message(SHOPPER, "and this")
    assert post(client, wh.envelope([message, other, other])).get_json() == {"stored": 1, "repeated": 2, "states": 0}
    rows = inbound(clean_db)
    assert [r.message_id for r in rows] == [message["id"], other["id"]]
    assert int(rows[0].received_at.timestamp()) == sent_at  # the shopper's time opens the 24-hour window


def test_changes_for_another_number_and_malformed_parts_are_left_out(clean_db, client):
    elsewhere = wh.envelope([wh.text_message(SHOPPER, "not ours")], phone_number_id="999000111")
    assert post(client, elsewhere).get_json()["stored"] == 0
    good = wh.text_message(SHOPPER, "fine")
    payload = wh.envelope([good])
    value = payload["entry"][0]["changes"][0]["value"]
    value["messages"] = [{"type": "text"}, "junk", good]  # no id or sender, not an object, a good one
    value["statuses"] = [{"id": "wamid.x", "status": "exploded"}]
    assert post(client, payload).get_json() == {"stored": 1, "repeated": 0, "states": 0}
    assert [r.message_id for r in inbound(clean_db)] == [good["id"]]


def test_a_new_message_releases_the_notices_held_for_that_chat(clean_db, client):
    with clean_db.transaction() as session:
        customer = add_customer(session, SHOPPER, "Ana Lima", channel="whatsapp")
        rows = [
            OutboxMessage(channel="whatsapp", recipient=recipient, customer_id=customer.id, kind="t", text="x")
            for recipient in (SHOPPER, "4915112345678")
        ]
        for row in rows:
            row.status, row.last_error = "held", "not deliverable until the shopper writes"
        session.add_all(rows)
        session.flush()
        mine, theirs = rows[0].id, rows[1].id
    post(client, wh.envelope([wh.text_message(SHOPPER, "hello again")]))
    assert (outbox_row(clean_db, mine).status, outbox_row(clean_db, mine).last_error) == ("pending", None)
    assert outbox_row(clean_db, theirs).status == "held"  # another shopper's chat stays closed


# --- delivery states --------------------------------------------------------------------------------------------
def sent_row(db, wamid: str, attempts: int = 1) -> int:
    with db.transaction() as session:
        customer = session.scalar(select(Customer).where(Customer.channel_user_id == SHOPPER)) or add_customer(
            session, SHOPPER, "Ana Lima", channel="whatsapp"
        )
        row = OutboxMessage(
            channel="whatsapp",
            recipient=SHOPPER,
            customer_id=customer.id,
            kind="order_paid",
            text="Payment received for order A7K2Q9",
            status="sent",
            attempts=attempts,
            channel_message_id=wamid,
            sent_at=utcnow() - timedelta(minutes=1),
        )
        session.add(row)
        session.flush()
        return row.id


def test_delivery_states_only_move_forward(clean_db, client):
    wamid = wh.new_wamid(SHOPPER)
    row_id = sent_row(clean_db, wamid)
    states = []
    for state in ("sent", "delivered", "read", "delivered", "sent"):
        answer = post(client, wh.envelope(statuses=[wh.status(wamid, state, SHOPPER)]))
        assert answer.get_json()["states"] == 1
        states.append(outbox_row(clean_db, row_id).delivery_state)
    assert states == ["sent", "delivered", "read", "read", "read"]
    assert outbox_row(clean_db, row_id).status == "sent"
    stranger = post(client, wh.envelope(statuses=[wh.status(wh.new_wamid(SHOPPER), "read", SHOPPER)]))
    assert stranger.get_json()["states"] == 0  # not one of ours: ignored


def test_a_failed_message_is_retried_then_given_up_with_a_seller_alert(clean_db, client):
    wamid = wh.new_wamid(SHOPPER)
    row_id = sent_row(clean_db, wamid)
    post(client, wh.envelope(statuses=[wh.status(wamid, "failed", SHOPPER)]))
    row = outbox_row(clean_db, row_id)
    assert (row.status, row.delivery_state) == ("pending", "failed") and "131026" in row.last_error
    post(client, wh.envelope(statuses=[wh.status(wamid, "failed", SHOPPER)]))  # a repeated report changes nothing
    assert outbox_row(clean_db, row_id).status == "pending"

    last = wh.new_wamid(SHOPPER)
    last_id = sent_row(clean_db, last, attempts=MAX_ATTEMPTS)
    post(client, wh.envelope(statuses=[wh.status(last, "failed", SHOPPER)]))
    assert outbox_row(clean_db, last_id).status == "failed"
    with clean_db.reading() as session:
        [alert] = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == SELLER_CHANNEL)).all()
    assert alert.kind == "delivery_failed" and alert.status == "pending"
    assert "Ana Lima" in alert.text and "131026" in alert.text and "A7K2Q9" in alert.text
    post(client, wh.envelope(statuses=[wh.status(last, "failed", SHOPPER)]))  # alerted once
    with clean_db.reading() as session:
        assert session.scalar(select(func.count()).where(OutboxMessage.channel == SELLER_CHANNEL)) == 1


def test_a_late_failure_report_of_an_earlier_try_leaves_the_retry_under_way_alone(clean_db, client):
    wamid = wh.new_wamid(SHOPPER)
    row_id = sent_row(clean_db, wamid, attempts=MAX_ATTEMPTS)
    with clean_db.transaction() as session:  # the gateway is sending it again: claimed, the last try's id still on it
        session.get_one(OutboxMessage, row_id).status = "sending"
    post(client, wh.envelope(statuses=[wh.status(wamid, "failed", SHOPPER)]))  # Meta's retry of the report
    assert outbox_row(clean_db, row_id).status == "sending"
    with clean_db.reading() as session:  # no "could not be delivered" for a message that may well arrive
        assert session.scalar(select(func.count()).where(OutboxMessage.channel == SELLER_CHANNEL)) == 0


def test_a_message_refused_as_outside_the_window_is_held_unless_a_template_can_carry_it(clean_db, client):
    wamid = wh.new_wamid(SHOPPER)
    row_id = sent_row(clean_db, wamid)
    post(client, wh.envelope(statuses=[wh.status(wamid, "failed", SHOPPER, errors=[wh.OUTSIDE_WINDOW])]))
    assert outbox_row(clean_db, row_id).status == "held"

    app = make_app(clean_db, whatsapp_template_order_update="order_update")
    try:
        templated = wh.new_wamid(SHOPPER)
        templated_id = sent_row(clean_db, templated)
        failed = wh.envelope(statuses=[wh.status(templated, "failed", SHOPPER, errors=[wh.OUTSIDE_WINDOW])])
        post(app.test_client(), failed)
        assert outbox_row(clean_db, templated_id).status == "pending"  # tried again, as the template
    finally:
        app.extensions["database"].dispose()
