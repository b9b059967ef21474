"""The Stripe provider through stripe-python over real HTTP to the fake Stripe on loopback, on SQLite and
PostgreSQL: what Stripe is asked, idempotency, reuse, retries, timeouts and failures."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from checkout.db.models import Order, Payment, Variant, utcnow
from checkout.errors import InvalidTransition, PaymentUnavailable
from checkout.orders.lifecycle import change_status
from checkout.payments.manual import ManualProvider
from checkout.payments.stripe.provider import StripeProvider
from checkout.settings import Settings
from tests.fake_stripe import API_KEY, FakeStripe
from tests.integration.orm_builders import load_demo_catalog
from tests.integration.payment_builders import payments, place
from tests.integration.races import race


@pytest.fixture
def fake():
    server = FakeStripe().start()
    yield server
    server.stop()


@pytest.fixture
def shop(clean_db):
    load_demo_catalog(clean_db)
    return clean_db


def stripe_settings(fake: FakeStripe, **changes) -> Settings:
    values = dict(
        stripe_secret_key=API_KEY,
        stripe_api_base=fake.url,
        shop_payment_methods="stripe,manual",
        shop_public_url="https://shop.example.com",
        stripe_timeout_seconds=2,
        stripe_max_retries=2,
    )
    return Settings(**{**values, **changes})


def test_one_session_from_the_order_snapshot(shop, fake):
    number = place(shop, [("HOOD-HVY-BLK-M", 2), ("TEE-LOGO-BLK-S", 1)])
    # A later catalog price change never reaches a placed order's payment.
    with shop.transaction() as session:
        session.execute(update(Variant).where(Variant.sku == "HOOD-HVY-BLK-M").values(price_minor=100))
    before = int(time.time())
    step = StripeProvider(stripe_settings(fake)).start_payment(shop, number)

    (create,) = fake.creates
    assert create.headers["authorization"] == f"Bearer {API_KEY}"
    assert create.idempotency_key == f"checkout-{number}-stripe-1"
    form = create.form
    assert form["line_items"] == [
        {
            "quantity": "2",
            "price_data": {
                "currency": "eur",
                "unit_amount": "5900",
                "product_data": {"name": "Heavyweight Hoodie (black, M)"},
            },
        },
        {
            "quantity": "1",
            "price_data": {"currency": "eur", "unit_amount": "2490", "product_data": {"name": "Logo Tee (black, S)"}},
        },
    ]
    # The order number is all Stripe learns about the order; the email only prefills the payment page.
    assert form["client_reference_id"] == number
    assert form["metadata"] == {"order_number": number}
    assert form["payment_intent_data"] == {"metadata": {"order_number": number}}
    assert form["customer_email"] == "ana@example.com"
    assert not any(secret in create.raw.decode() for secret in ("Ana", "Lima", "33612345678", "rue"))
    assert before + 3600 <= int(form["expires_at"]) <= int(time.time()) + 3600
    assert form["success_url"] == "https://shop.example.com/payments/stripe/success?session_id={CHECKOUT_SESSION_ID}"
    assert form["cancel_url"] == f"https://shop.example.com/payments/stripe/cancel?order={number}"
    assert form["mode"] == "payment"

    session = fake.sessions[step.url.rsplit("/", 1)[1]]
    assert session["amount_total"] == 2 * 5900 + 2490
    (payment,) = payments(shop, number)
    assert (payment.method, payment.status, payment.reference, payment.url) == (
        "stripe",
        "pending",
        session["id"],
        step.url,
    )
    assert (payment.amount_minor, payment.currency) == (2 * 5900 + 2490, "EUR")
    assert int(payment.expires_at.timestamp()) == int(form["expires_at"]) == int(step.expires_at.timestamp())


def test_no_email_is_sent_when_the_shopper_gave_none(shop, fake):
    number = place(shop, [("TEE-LOGO-BLK-S", 1)], email=None)
    StripeProvider(stripe_settings(fake)).start_payment(shop, number)
    assert "customer_email" not in fake.creates[0].form


def test_an_open_session_is_reused_not_created_again(shop, fake):
    number = place(shop, [("TEE-LOGO-BLK-S", 1)])
    provider = StripeProvider(stripe_settings(fake))
    first = provider.start_payment(shop, number)
    assert provider.start_payment(shop, number) == first
    assert StripeProvider(stripe_settings(fake)).start_payment(shop, number) == first  # another action server
    assert len(fake.creates) == 1 and len(payments(shop, number)) == 1


def test_a_session_about_to_expire_is_replaced(shop, fake):
    number = place(shop, [("TEE-LOGO-BLK-S", 1)])
    provider = StripeProvider(stripe_settings(fake))
    first = provider.start_payment(shop, number)
    with shop.transaction() as session:
        session.execute(update(Payment).values(expires_at=utcnow() + timedelta(minutes=5)))
    second = provider.start_payment(shop, number)
    assert second.url != first.url
    assert [c.idempotency_key for c in fake.creates] == [f"checkout-{number}-stripe-1", f"checkout-{number}-stripe-2"]


@pytest.mark.parametrize("minutes, expected", [(5, 31), (30, 31), (90, 90), (100_000, 24 * 60)])
def test_the_lifetime_is_clamped_to_what_stripe_accepts(shop, fake, minutes, expected):
    number = place(shop, [("TEE-LOGO-BLK-S", 1)])
    before = int(time.time())
    StripeProvider(stripe_settings(fake, stripe_checkout_expires_minutes=minutes)).start_payment(shop, number)
    lifetime = int(fake.creates[0].form["expires_at"]) - before
    assert expected * 60 - 2 <= lifetime <= expected * 60 + 2
    assert len(fake.sessions) == 1  # Stripe accepted it


def test_a_500_then_200_is_retried_with_the_same_key(shop, fake):
    number = place(shop, [("TEE-LOGO-BLK-S", 1)])
    fake.fail_next(500)
    step = StripeProvider(stripe_settings(fake)).start_payment(shop, number)
    assert [c.idempotency_key for c in fake.creates] == [f"checkout-{number}-stripe-1"] * 2
    assert fake.creates[0].raw == fake.creates[1].raw
    assert len(fake.sessions) == 1 and step.url
    assert payments(shop, number)[0].status == "pending"


def test_stripe_down_is_a_clear_error_and_the_order_can_be_paid_later(shop, fake):
    number = place(shop, [("TEE-LOGO-BLK-S", 1)])
    provider = StripeProvider(stripe_settings(fake, stripe_max_retries=2))
    fake.fail_next(500, 503, 500)
    with pytest.raises(PaymentUnavailable) as refused:
        provider.start_payment(shop, number)
    assert refused.value.method == "stripe" and "Stripe" in refused.value.reason
    assert len(fake.creates) == 3  # the first try and two retries, no more
    with shop.reading() as session:
        assert session.scalar(select(Order.status).where(Order.number == number)) == "awaiting_payment"
    assert [p.status for p in payments(shop, number)] == ["failed"]
    step = provider.start_payment(shop, number)  # retryable: a new attempt, a new key
    assert fake.creates[-1].idempotency_key == f"checkout-{number}-stripe-2"
    assert [p.status for p in payments(shop, number)] == ["failed", "pending"] and step.url


def test_a_refused_request_is_not_retried(shop, fake):
    number = place(shop, [("TEE-LOGO-BLK-S", 1)])
    fake.fail_next(400)
    with pytest.raises(PaymentUnavailable):
        StripeProvider(stripe_settings(fake)).start_payment(shop, number)
    assert len(fake.creates) == 1


def test_a_timeout_keeps_the_attempt_so_the_retry_gets_the_same_session(shop, fake):
    number = place(shop, [("TEE-LOGO-BLK-S", 1)])
    provider = StripeProvider(stripe_settings(fake, stripe_timeout_seconds=1, stripe_max_retries=0))
    fake.delay_next(2.5)
    started = time.monotonic()
    with pytest.raises(PaymentUnavailable):
        provider.start_payment(shop, number)
    assert time.monotonic() - started < 2  # the shopper is not kept waiting for a slow Stripe
    assert [p.status for p in payments(shop, number)] == ["creating"]
    time.sleep(2)  # Stripe finished making the session after we gave up
    step = provider.start_payment(shop, number)
    assert [c.idempotency_key for c in fake.creates] == [f"checkout-{number}-stripe-1"] * 2
    assert fake.creates[0].raw == fake.creates[1].raw
    assert len(fake.sessions) == 1 and step.url.endswith(next(iter(fake.sessions)))
    assert [p.status for p in payments(shop, number)] == ["pending"]


def test_stripe_unreachable(shop, fake):
    number = place(shop, [("TEE-LOGO-BLK-S", 1)])
    fake.stop()
    with pytest.raises(PaymentUnavailable):
        StripeProvider(stripe_settings(fake, stripe_max_retries=1)).start_payment(shop, number)


@pytest.mark.parametrize("round_", range(3))
def test_double_taps_make_one_session(shop, fake, round_):
    number = place(shop, [("TEE-LOGO-BLK-S", 1)])
    provider_settings = stripe_settings(fake)
    steps, errors = race([lambda: StripeProvider(provider_settings).start_payment(shop, number) for _ in range(10)])
    assert not errors, errors
    assert len(fake.sessions) == 1
    assert {s.url for s in steps} == {next(iter(fake.sessions.values()))["url"]}
    assert {c.idempotency_key for c in fake.creates} == {f"checkout-{number}-stripe-1"}
    assert [p.status for p in payments(shop, number)] == ["pending"]


def test_an_order_no_longer_awaiting_payment_asks_stripe_nothing(shop, fake):
    number = place(shop, [("TEE-LOGO-BLK-S", 1)])
    with shop.transaction() as session:
        change_status(session, session.scalar(select(Order).where(Order.number == number)), "cancelled", actor="test")
    with pytest.raises(InvalidTransition):
        StripeProvider(stripe_settings(fake)).start_payment(shop, number)
    assert fake.requests == []


def test_cancelling_withdraws_the_open_links(shop, fake):
    number = place(shop, [("TEE-LOGO-BLK-S", 1)])
    provider = StripeProvider(stripe_settings(fake))
    step = provider.start_payment(shop, number)
    session_id = step.url.rsplit("/", 1)[1]
    assert provider.withdraw_links(shop, number) == 1
    assert fake.sessions[session_id]["status"] == "expired"
    assert fake.requests[-1].path == f"/v1/checkout/sessions/{session_id}/expire"
    fake.fail_next(500, 500, 500)
    assert provider.withdraw_links(shop, number) == 0  # Stripe refusing is logged, never raised


def test_an_order_cancelled_while_stripe_answers_keeps_the_link_but_does_not_send_it(shop, fake):
    number = place(shop, [("TEE-LOGO-BLK-S", 1)])
    fake.delay_next(1.0)
    outcome = []
    worker = threading.Thread(
        target=lambda: outcome.append(_attempt(StripeProvider(stripe_settings(fake)), shop, number))
    )
    worker.start()
    time.sleep(0.5)  # the request is at Stripe now
    with shop.transaction() as session:
        change_status(session, session.scalar(select(Order).where(Order.number == number)), "cancelled", actor="test")
    worker.join(timeout=10)
    assert isinstance(outcome[0], InvalidTransition)
    (payment,) = payments(shop, number)
    assert payment.reference == next(iter(fake.sessions))  # known, so its webhooks find the order


def _attempt(provider, db, number):
    try:
        return provider.start_payment(db, number)
    except InvalidTransition as exc:
        return exc


def test_double_taps_on_bank_transfer_make_one_payment(shop):
    number = place(shop, [("TEE-LOGO-BLK-S", 1)])
    _, errors = race([lambda: ManualProvider("Pay.").start_payment(shop, number) for _ in range(10)])
    assert not errors, errors
    assert [p.method for p in payments(shop, number)] == ["manual"]
