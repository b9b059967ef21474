"""`POST /webhooks/stripe` through the Flask app on SQLite and PostgreSQL, with events signed the way Stripe
signs them: what each event does to the order, duplicates, wrong amounts, and every way a signature is bad."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from checkout.db.models import AuditLog, Order, OutboxMessage, ProcessedEvent, Variant
from checkout.orders.lifecycle import change_status
from checkout.settings import Settings
from tests.fake_stripe import WEBHOOK_SECRET, sign, stripe_event
from tests.integration.orm_builders import load_demo_catalog
from tests.integration.payment_builders import completed, count, open_session, order, outbox, payments, place
from web import create_app

SKU = "HOOD-HVY-BLK-M"  # 10 in stock


@pytest.fixture
def shop(clean_db):
    load_demo_catalog(clean_db)
    return clean_db


def make_app(db, secret: str = WEBHOOK_SECRET):
    app = create_app(
        {"SETTINGS": Settings(database_url=db.url, stripe_webhook_secret=secret, shop_secret_key="k"), "TESTING": True}
    )
    return app


@pytest.fixture
def app(shop):
    app = make_app(shop)
    yield app
    app.extensions["database"].dispose()


@pytest.fixture
def deliver(app):
    """Posts an event as Stripe does: the raw JSON body and its Stripe-Signature header."""
    client = app.test_client()

    def post(event: dict | bytes, signature: str | None = "sign", timestamp: int | None = None):
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            headers["Stripe-Signature"] = sign(body, timestamp=timestamp)
        elif signature is not None:
            headers["Stripe-Signature"] = signature
        return client.post("/webhooks/stripe", data=body, headers=headers)

    return post


def stock(db) -> int:
    with db.reading() as session:
        return session.scalar(select(Variant.stock).where(Variant.sku == SKU))


def test_a_paid_session_marks_the_order_paid_once(shop, deliver):
    number = place(shop, [(SKU, 2)])
    checkout = open_session(shop, number)
    event = stripe_event("checkout.session.completed", completed(checkout))
    for _ in range(3):  # Stripe delivers at least once
        response = deliver(event)
        assert response.status_code == 200
    assert response.get_json()["outcome"] == "duplicate"
    paid = order(shop, number)
    assert paid.status == "paid" and paid.paid_at is not None and paid.flagged_reason is None
    assert [p.status for p in payments(shop, number)] == ["paid"]
    assert count(shop, ProcessedEvent, ProcessedEvent.event_id == event["id"]) == 1
    with shop.reading() as session:
        (audit,) = session.scalars(select(AuditLog).where(AuditLog.action == "order.paid"))
    assert audit.actor == f"stripe:{event['id']}" and audit.details["stripe_session"] == checkout["id"]
    (message,) = outbox(shop, kind="order_paid")  # written in the same transaction; a gateway delivers it
    assert (message.recipient, message.status) == ("web-ana", "pending") and number in message.text
    assert stock(shop) == 8  # paid: the reservation stands


def test_a_completed_session_not_yet_paid_waits_for_the_async_result(shop, deliver):
    number = place(shop, [(SKU, 1)])
    checkout = open_session(shop, number)
    assert deliver(stripe_event("checkout.session.completed", completed(checkout, "unpaid"))).status_code == 200
    assert order(shop, number).status == "awaiting_payment"
    assert [p.status for p in payments(shop, number)] == ["processing"]
    deliver(stripe_event("checkout.session.async_payment_succeeded", completed(checkout)))
    assert order(shop, number).status == "paid"


def test_a_failed_async_payment_leaves_the_order_to_pay_again(shop, deliver):
    number = place(shop, [(SKU, 1)])
    checkout = open_session(shop, number)
    deliver(stripe_event("checkout.session.completed", completed(checkout, "unpaid")))
    failed = stripe_event("checkout.session.async_payment_failed", completed(checkout, "unpaid"))
    deliver(failed)
    deliver(failed)
    assert order(shop, number).status == "awaiting_payment"
    assert [p.status for p in payments(shop, number)] == ["failed"]
    (message,) = outbox(shop, kind="payment_failed")
    assert number in message.text
    assert message.buttons == [
        {
            "title": "Pay by card",
            "payload": f'/choose_payment_method{{"payment_method": "stripe", "order_number": "{number}"}}',
        }
    ]


def test_an_expired_session_expires_the_order_and_releases_stock_once(shop, deliver):
    number = place(shop, [(SKU, 3)])
    assert stock(shop) == 7
    checkout = open_session(shop, number)
    expired = {**checkout, "status": "expired"}
    for event in [stripe_event("checkout.session.expired", expired)] * 2 + [
        stripe_event("checkout.session.expired", expired)
    ]:
        assert deliver(event).status_code == 200  # the same event again, and another event for the same session
    assert order(shop, number).status == "expired"
    assert stock(shop) == 10
    assert count(shop, AuditLog, AuditLog.action == "order.expired") == 1
    assert len(outbox(shop, kind="order_expired")) == 1


def test_one_link_expiring_does_not_expire_an_order_with_another_way_to_pay(shop, deliver):
    number = place(shop, [(SKU, 1)])
    old = open_session(shop, number, expires_in=timedelta(minutes=-1))
    new = open_session(shop, number)
    deliver(stripe_event("checkout.session.expired", {**old, "status": "expired"}))
    assert order(shop, number).status == "awaiting_payment"
    deliver(stripe_event("checkout.session.completed", completed(new)))
    assert order(shop, number).status == "paid"
    assert [p.status for p in payments(shop, number)] == ["expired", "paid"]


@pytest.mark.parametrize("change", [{"amount_total": 100}, {"currency": "usd"}])
def test_a_wrong_amount_or_currency_flags_the_order_instead_of_paying_it(shop, deliver, change):
    number = place(shop, [(SKU, 1)])
    checkout = open_session(shop, number)
    event = stripe_event("checkout.session.completed", completed(checkout, **change))
    deliver(event)
    deliver(stripe_event("checkout.session.async_payment_succeeded", completed(checkout, **change)))
    flagged = order(shop, number)
    assert flagged.status == "awaiting_payment"
    assert checkout["id"] in flagged.flagged_reason and "€59.00" in flagged.flagged_reason
    assert flagged.flagged_reason.count(checkout["id"]) == 1
    assert [p.status for p in payments(shop, number)] == ["flagged"]
    (alert,) = outbox(shop, channel="telegram_seller", kind="order_flagged")
    assert number in alert.text
    assert outbox(shop, kind="order_paid") == []


def test_a_payment_for_a_cancelled_order_is_flagged_for_a_refund(shop, deliver):
    number = place(shop, [(SKU, 1)])
    checkout = open_session(shop, number)
    with shop.transaction() as session:
        change_status(
            session, session.scalar(select(Order).where(Order.number == number)), "cancelled", actor="shopper:1"
        )
    deliver(stripe_event("checkout.session.completed", completed(checkout)))
    assert order(shop, number).status == "cancelled"
    assert "cancelled" in order(shop, number).flagged_reason


def test_a_session_we_never_heard_back_about_is_found_by_its_order_number(shop, deliver):
    number = place(shop, [(SKU, 1)])
    checkout = open_session(shop, number)
    stranger = {**completed(checkout), "id": "cs_test_never_stored"}
    deliver(stripe_event("checkout.session.completed", stranger))
    assert order(shop, number).status == "paid"
    assert [(p.reference, p.status) for p in payments(shop, number)] == [
        (checkout["id"], "pending"),
        ("cs_test_never_stored", "paid"),
    ]


def test_unknown_types_and_other_integrations_sessions_get_200_and_change_nothing(shop, deliver):
    number = place(shop, [(SKU, 1)])
    open_session(shop, number)
    response = deliver(stripe_event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert (response.status_code, response.get_json()["outcome"]) == (200, "ignored")
    foreign = {
        "id": "cs_test_elsewhere",
        "amount_total": 5900,
        "currency": "eur",
        "payment_status": "paid",
        "client_reference_id": None,
        "metadata": {},
    }
    assert deliver(stripe_event("checkout.session.completed", foreign)).get_json()["outcome"] == "ignored"
    assert order(shop, number).status == "awaiting_payment"


# --- signatures ---------------------------------------------------------------------------------------------------


def paid_event(shop):
    number = place(shop, [(SKU, 1)])
    return number, stripe_event("checkout.session.completed", completed(open_session(shop, number)))


@pytest.mark.parametrize(
    "signature",
    [
        None,  # no header
        "",
        "t=abc,v1=0",
        "v1=" + "0" * 64,  # no timestamp
        "garbage",
        "wrong-secret",
        "tampered-body",
        "stale",
        "from-the-future",
        "v0-only",
    ],
)
def test_a_bad_signature_gets_400_and_changes_nothing(shop, deliver, signature):
    number, event = paid_event(shop)
    body = json.dumps(event).encode()
    now = int(time.time())
    header = {
        "wrong-secret": sign(body, secret="whsec_other"),
        "tampered-body": sign(body.replace(b'"paid"', b'"unpaid"', 1)),
        "stale": sign(body, timestamp=now - 301),
        "from-the-future": sign(body, timestamp=now + 301),
        "v0-only": sign(body).replace("v1=", "v0="),
    }.get(signature, signature)
    response = deliver(body, signature=header)
    assert response.status_code == 400
    assert order(shop, number).status == "awaiting_payment"
    assert count(shop, ProcessedEvent) == 0


def test_a_signature_within_five_minutes_either_way_is_accepted(shop, deliver):
    for offset in (-290, 290):
        number, event = paid_event(shop)
        assert deliver(event, timestamp=int(time.time()) + offset).status_code == 200
        assert order(shop, number).status == "paid"


def test_any_of_several_signatures_may_match_while_the_secret_is_rolled(shop, deliver):
    number, event = paid_event(shop)
    body = json.dumps(event).encode()
    good = sign(body)
    t, v1 = good.split(",")
    assert deliver(body, signature=f"{t},v1={'0' * 64},{v1}").status_code == 200
    assert order(shop, number).status == "paid"


@pytest.mark.parametrize("secret", ["", "   "])
def test_without_a_configured_secret_everything_is_refused(shop, secret):
    app = make_app(shop, secret=secret)
    try:
        number, event = paid_event(shop)
        body = json.dumps(event).encode()
        for header in (sign(body), sign(body, secret=""), sign(body, secret=secret), None):
            response = app.test_client().post(
                "/webhooks/stripe", data=body, headers={"Stripe-Signature": header} if header else {}
            )
            assert response.status_code == 400
        assert order(shop, number).status == "awaiting_payment" and count(shop, ProcessedEvent) == 0
    finally:
        app.extensions["database"].dispose()


def test_a_signed_body_that_is_not_an_event_gets_400(shop, deliver):
    assert deliver(b"not json").status_code == 400
    assert deliver(b'["a list"]').status_code == 400
    assert deliver(b'{"type": "checkout.session.completed"}').status_code == 400


def test_the_webhook_needs_no_csrf_token_while_the_chat_still_does(app, deliver, shop):
    assert app.config.get("WTF_CSRF_ENABLED", True)  # CSRF is on in this app
    refused = app.test_client().post("/chat/messages", json={"text": "hi"})
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["reason"]
    number, event = paid_event(shop)
    assert deliver(event).status_code == 200
    assert count(shop, OutboxMessage) >= 1


# --- the pages Stripe sends the shopper back to --------------------------------------------------------------------


def test_the_return_pages_say_what_happens_next(shop, app, deliver):
    client = app.test_client()
    number = place(shop, [(SKU, 1)])
    checkout = open_session(shop, number)
    page = client.get(f"/payments/stripe/success?session_id={checkout['id']}").get_data(as_text=True)
    assert "confirming the payment for order" in page and number in page
    deliver(stripe_event("checkout.session.completed", completed(checkout)))
    page = client.get(f"/payments/stripe/success?session_id={checkout['id']}").get_data(as_text=True)
    assert "Payment received" in page and number in page
    unknown = client.get("/payments/stripe/success?session_id=cs_test_unknown").get_data(as_text=True)
    assert "We are confirming your payment." in unknown and "order <strong>" not in unknown
    cancelled = client.get(f"/payments/stripe/cancel?order={number.lower()}")
    assert cancelled.status_code == 200 and "Nothing was charged" in cancelled.get_data(as_text=True)
    assert number in cancelled.get_data(as_text=True)
    forged = client.get("/payments/stripe/cancel?order=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>" not in forged and "Your order" not in forged
