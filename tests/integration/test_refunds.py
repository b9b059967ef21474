"""Refunding a whole order on SQLite and PostgreSQL: Stripe refunds through stripe-python to the fake Stripe on
loopback (idempotency key, timeouts, refusals) confirmed by signed webhooks through the Flask app (applied once
however often delivered), Telegram and manual payments marked refunded with a reference, refusals, and
`shop orders refund`."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from checkout.db.models import AuditLog, Order, Payment, Refund, Variant
from checkout.orders.lifecycle import change_status
from checkout.orders.seller_actions import OrderNotFound, mark_paid
from checkout.payments.refunds import (
    NotRefundable,
    RefundOutcome,
    RefundReferenceNeeded,
    RefundState,
    RefundUnavailable,
    refund_order,
)
from checkout.payments.stripe.provider import StripeProvider
from checkout.payments.stripe.reconcile import reconcile_stripe_refunds
from checkout.payments.telegram.events import TelegramCharge, apply_successful_payment
from checkout.payments.telegram.provider import TelegramInvoiceProvider
from checkout.settings import Settings
from cli.context import AppContext
from cli.main import shop as shop_command
from tests.fake_stripe import API_KEY, WEBHOOK_SECRET, FakeStripe, sign, stripe_event
from tests.integration.orm_builders import load_demo_catalog
from tests.integration.payment_builders import order, outbox, payments, place
from tests.integration.races import race
from web import create_app

SKU = "HOOD-HVY-BLK-M"  # 10 in stock, €59.00
SELLER = "seller:ana@example.com"


@pytest.fixture
def fake():
    server = FakeStripe().start()
    yield server
    server.stop()


@pytest.fixture
def shop(clean_db):
    load_demo_catalog(clean_db)
    return clean_db


@pytest.fixture
def settings(shop, fake) -> Settings:
    return Settings(
        database_url=shop.url,
        stripe_secret_key=API_KEY,
        stripe_api_base=fake.url,
        stripe_webhook_secret=WEBHOOK_SECRET,
        shop_secret_key="k",
        shop_payment_methods="stripe,manual",
        shop_public_url="https://shop.example.com",
        stripe_timeout_seconds=2,
        stripe_max_retries=0,
    )


@pytest.fixture
def deliver(settings):
    """Posts an event to `/webhooks/stripe` as Stripe does (signed raw JSON); returns the outcome."""
    app = create_app({"SETTINGS": settings, "TESTING": True})
    client = app.test_client()

    def post(event: dict) -> str:
        body = json.dumps(event).encode()
        response = client.post(
            "/webhooks/stripe", data=body, headers={"Content-Type": "application/json", "Stripe-Signature": sign(body)}
        )
        assert response.status_code == 200
        return response.get_json()["outcome"]

    yield post
    app.extensions["database"].dispose()


def paid_by_card(shop, fake, settings, deliver, quantity: int = 2, cancel: bool = False, **paid) -> tuple[str, str]:
    """An order paid through a Checkout Session at the fake Stripe and its signed webhook: (number, payment intent).
    `cancel`: the order is cancelled before the shopper pays (the payment is then flagged for a refund)."""
    number = place(shop, [(SKU, quantity)])
    StripeProvider(settings).start_payment(shop, number)
    session_id = next(reversed(fake.sessions))
    if cancel:
        with shop.transaction() as session:
            change_status(session, session.scalar(select(Order).where(Order.number == number)), "cancelled", "test")
    checkout = fake.complete(session_id, **paid)
    deliver(stripe_event("checkout.session.completed", checkout))
    return number, checkout["payment_intent"]


def stock(db) -> int:
    with db.reading() as session:
        return session.scalar(select(Variant.stock).where(Variant.sku == SKU))


def refunds(db, number: str) -> list[Refund]:
    with db.reading() as session:
        return list(session.scalars(select(Refund).join(Order).where(Order.number == number).order_by(Refund.id)))


def audits(db, action: str) -> list[AuditLog]:
    with db.reading() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


# --- Stripe ------------------------------------------------------------------------------------------------------


def test_a_stripe_refund_goes_through_stripe_and_its_webhook_applied_once(shop, fake, settings, deliver):
    number, payment_intent = paid_by_card(shop, fake, settings, deliver)
    assert (order(shop, number).status, stock(shop)) == ("paid", 8)

    first = refund_order(shop, settings, number, SELLER, restock=True)
    again = refund_order(shop, settings, number, SELLER, restock=True)  # a double click, a retried run
    (refund,) = fake.refunds.values()
    assert first == again == RefundOutcome(number, RefundState.PENDING, (refund["id"],))
    (request,) = fake.refund_creates  # the second call found the refund pending: Stripe was not asked again
    (payment,) = payments(shop, number)
    assert request.idempotency_key == f"refund-{number}-{payment.id}-1"
    assert request.form == {"payment_intent": payment_intent, "metadata": {"order_number": number}}
    # Pending until Stripe's event confirms it: the order stays paid, its stock reserved, the shopper not told yet.
    (row,) = refunds(shop, number)
    assert (row.status, row.reference, row.amount_minor, row.restock) == ("pending", refund["id"], 11800, True)
    assert (order(shop, number).status, stock(shop)) == ("paid", 8)
    assert outbox(shop, kind="order_refunded") == []
    assert [a.actor for a in audits(shop, "order.refund_requested")] == [SELLER]

    updated = stripe_event("refund.updated", refund)
    charge_refunded = stripe_event("charge.refunded", fake.charge(payment_intent))
    outcomes = [deliver(updated), deliver(updated), deliver(charge_refunded), deliver(charge_refunded)]
    assert outcomes == ["refunded", "duplicate", "already refunded", "duplicate"]

    refunded = order(shop, number)
    assert refunded.status == "refunded" and stock(shop) == 10  # back once
    assert [p.status for p in payments(shop, number)] == ["refunded"]
    assert [r.status for r in refunds(shop, number)] == ["succeeded"]
    (audit,) = audits(shop, "order.refunded")
    assert audit.actor == f"stripe:{updated['id']}" and audit.details["requested_by"] == SELLER
    assert audit.details["restocked"] is True
    (notice,) = outbox(shop, kind="order_refunded")
    assert (notice.recipient, notice.channel) == ("web-ana", "rest")
    assert "€118.00 goes back to the card you paid with" in notice.text and number in notice.text
    assert refund_order(shop, settings, number, SELLER, restock=True).state == RefundState.ALREADY_REFUNDED
    assert len(fake.refund_creates) == 1 and stock(shop) == 10


def test_refunds_clicked_at_once_are_one_refund_at_stripe(shop, fake, settings, deliver):
    number, _ = paid_by_card(shop, fake, settings, deliver)
    outcomes, errors = race([lambda: refund_order(shop, settings, number, SELLER) for _ in range(4)])
    assert errors == [] and {o.state for o in outcomes} == {RefundState.PENDING}
    assert len(fake.refunds) == 1 and len(refunds(shop, number)) == 1
    assert len({r.idempotency_key for r in fake.refund_creates}) == 1


def test_without_a_stripe_key_nothing_is_asked_nor_written(shop, fake, settings, deliver):
    number, _ = paid_by_card(shop, fake, settings, deliver)
    with pytest.raises(RefundUnavailable, match="STRIPE_SECRET_KEY is not set"):
        refund_order(shop, settings.replace(stripe_secret_key=""), number, SELLER)
    assert refunds(shop, number) == [] and fake.refund_creates == []


def test_charge_refunded_alone_confirms_the_refund(shop, fake, settings, deliver):
    number, payment_intent = paid_by_card(shop, fake, settings, deliver)
    refund_order(shop, settings, number, SELLER)
    assert deliver(stripe_event("charge.refunded", fake.charge(payment_intent))) == "refunded"
    assert order(shop, number).status == "refunded" and stock(shop) == 8  # no restock asked
    assert len(outbox(shop, kind="order_refunded")) == 1 and len(audits(shop, "order.refunded")) == 1


def test_a_refund_asked_again_after_a_timeout_is_one_refund_at_stripe(shop, fake, settings, deliver):
    number, payment_intent = paid_by_card(shop, fake, settings, deliver)
    fake.delay_next(3)  # longer than the client's 2 seconds: the refund is made, the answer never arrives
    with pytest.raises(RefundUnavailable) as timed_out:
        refund_order(shop, settings, number, SELLER)
    assert timed_out.value.retry
    (row,) = refunds(shop, number)
    assert (row.status, row.reference) == ("requesting", None)
    assert order(shop, number).status == "paid"

    time.sleep(1.2)  # the fake makes the first refund now
    assert refund_order(shop, settings, number, SELLER).state == RefundState.PENDING
    first, second = fake.refund_creates
    assert first.idempotency_key == second.idempotency_key and first.raw == second.raw
    (refund,) = fake.refunds.values()  # one refund, however often it was asked for
    assert [r.reference for r in refunds(shop, number)] == [refund["id"]]
    assert deliver(stripe_event("refund.updated", refund)) == "refunded"


def test_an_event_for_a_refund_we_never_heard_back_about_is_matched_by_its_payment(shop, fake, settings, deliver):
    number, payment_intent = paid_by_card(shop, fake, settings, deliver)
    fake.delay_next(3)
    with pytest.raises(RefundUnavailable):
        refund_order(shop, settings, number, SELLER)
    time.sleep(1.2)
    (refund,) = fake.refunds.values()
    assert deliver(stripe_event("refund.updated", refund)) == "refunded"
    (row,) = refunds(shop, number)
    assert (row.status, row.reference) == ("succeeded", refund["id"])
    assert order(shop, number).status == "refunded"
    # Asked again now, nothing goes to Stripe: the order is refunded.
    assert refund_order(shop, settings, number, SELLER).state == RefundState.ALREADY_REFUNDED
    assert len(fake.refund_creates) == 1


def test_a_failed_refund_shows_as_failed_and_can_be_asked_again(shop, fake, settings, deliver):
    number, payment_intent = paid_by_card(shop, fake, settings, deliver)
    fake.refund_status = "pending"
    refund_order(shop, settings, number, SELLER, restock=True)
    (refund,) = fake.refunds.values()
    failed = stripe_event("refund.updated", fake.settle_refund(refund["id"], "failed", "expired_or_canceled_card"))
    assert [deliver(failed), deliver(failed)] == ["refund failed", "duplicate"]
    (row,) = refunds(shop, number)
    assert (row.status, row.failure_reason) == ("failed", "expired_or_canceled_card")
    assert order(shop, number).status == "paid" and stock(shop) == 8
    (alert,) = outbox(shop, channel="telegram_seller", kind="refund_failed")
    assert number in alert.text and "expired_or_canceled_card" in alert.text
    assert len(audits(shop, "order.refund_failed")) == 1 and outbox(shop, kind="order_refunded") == []

    fake.refund_status = "succeeded"
    assert refund_order(shop, settings, number, SELLER, restock=True).state == RefundState.PENDING
    (payment,) = payments(shop, number)
    assert [r.idempotency_key for r in fake.refund_creates] == [
        f"refund-{number}-{payment.id}-1",
        f"refund-{number}-{payment.id}-2",  # a new refund, not Stripe's answer to the failed one
    ]
    assert deliver(stripe_event("charge.refunded", fake.charge(payment_intent))) == "refunded"
    assert [r.status for r in refunds(shop, number)] == ["failed", "succeeded"]
    assert order(shop, number).status == "refunded" and stock(shop) == 10


def test_a_refund_stripe_refuses_is_recorded_as_failed(shop, fake, settings, deliver):
    number, _ = paid_by_card(shop, fake, settings, deliver)
    fake.fail_next(400)
    with pytest.raises(RefundUnavailable) as refused:
        refund_order(shop, settings, number, SELLER)
    assert not refused.value.retry and "Stripe refused the refund" in str(refused.value)
    (row,) = refunds(shop, number)
    assert row.status == "failed" and "Stripe refused it" in row.failure_reason
    assert order(shop, number).status == "paid"


def test_a_payment_after_a_cancel_is_refunded_and_the_stock_not_returned_twice(shop, fake, settings, deliver):
    number, payment_intent = paid_by_card(shop, fake, settings, deliver, cancel=True)
    flagged = order(shop, number)
    assert flagged.status == "cancelled" and "refund it" in flagged.flagged_reason and stock(shop) == 10
    refund_order(shop, settings, number, SELLER, restock=True)
    assert deliver(stripe_event("charge.refunded", fake.charge(payment_intent))) == "refunded"
    assert order(shop, number).status == "refunded" and stock(shop) == 10  # it went back at the cancel
    (audit,) = audits(shop, "order.refunded")
    assert audit.details["restocked"] is False


def test_a_payment_of_another_amount_is_refunded_whole(shop, fake, settings, deliver):
    number, payment_intent = paid_by_card(shop, fake, settings, deliver, amount_total=100)
    assert order(shop, number).status == "awaiting_payment"
    assert [p.status for p in payments(shop, number)] == ["flagged"]
    refund_order(shop, settings, number, SELLER, restock=True)
    (refund,) = fake.refunds.values()
    assert refund["amount"] == 100  # the whole charge, as Stripe took it
    assert deliver(stripe_event("refund.updated", refund)) == "refunded"
    assert order(shop, number).status == "refunded" and stock(shop) == 10
    assert "€1.00 goes back to the card" in outbox(shop, kind="order_refunded")[0].text


def test_a_pending_refund_whose_event_never_came_is_applied_by_reconcile(shop, fake, settings, deliver):
    number, _ = paid_by_card(shop, fake, settings, deliver)
    fake.refund_status = "pending"
    refund_order(shop, settings, number, SELLER)
    (refund,) = fake.refunds.values()
    assert [r.outcome for r in reconcile_stripe_refunds(shop, settings)] == ["refund pending"]
    fake.settle_refund(refund["id"])
    assert [(r.order_number, r.session_id, r.outcome) for r in reconcile_stripe_refunds(shop, settings)] == [
        (number, refund["id"], "refunded")
    ]
    assert reconcile_stripe_refunds(shop, settings) == []
    assert order(shop, number).status == "refunded"


# --- refunds the seller makes: Telegram invoices, manual payments -------------------------------------------------


def test_a_manual_payment_is_marked_refunded_with_its_reference(shop, settings):
    number = place(shop, [(SKU, 3)])
    with shop.transaction() as session:  # the shopper chose the bank transfer
        found = session.scalar(select(Order).where(Order.number == number))
        session.add(Payment(order_id=found.id, method="manual", status="pending", amount_minor=17700, currency="EUR"))
    mark_paid(shop, number, SELLER, "TRF-IN-1")
    with pytest.raises(RefundReferenceNeeded):
        refund_order(shop, settings, number, SELLER, restock=True)
    assert refunds(shop, number) == [] and order(shop, number).status == "paid"

    done = refund_order(shop, settings, number, SELLER, restock=True, reference="  TRF-BACK-7 ")
    assert (done.state, done.restocked) == (RefundState.REFUNDED, True)
    assert order(shop, number).status == "refunded" and stock(shop) == 10
    (row,) = refunds(shop, number)
    assert (row.method, row.status, row.reference, row.amount_minor) == ("manual", "succeeded", "TRF-BACK-7", 17700)
    assert [p.status for p in payments(shop, number)] == ["refunded"]
    (audit,) = audits(shop, "order.refunded")
    assert audit.actor == SELLER and audit.details["refunds"] == "manual TRF-BACK-7"
    (notice,) = outbox(shop, kind="order_refunded")
    assert "the seller sent €177.00 back to you (reference TRF-BACK-7)" in notice.text


def test_an_order_marked_paid_with_no_payment_recorded_gives_its_total_back(shop, settings):
    number = place(shop, [(SKU, 1)])
    mark_paid(shop, number, SELLER)
    done = refund_order(shop, settings, number, SELLER, reference="cash")
    assert done.state == RefundState.REFUNDED and not done.restocked and stock(shop) == 9
    (row,) = refunds(shop, number)
    assert (row.payment_id, row.method, row.amount_minor, row.reference) == (None, "manual", 5900, "cash")


def test_a_telegram_invoice_paid_twice_is_marked_refunded_with_a_reference(shop, settings):
    telegram = Settings(telegram_payment_provider_token="284685063:TEST:x", shop_payment_methods="telegram,manual")
    number = place(shop, [(SKU, 1)], sender="4242")
    with shop.transaction() as session:  # a Telegram shopper
        session.execute(
            Order.__table__.update().where(Order.number == number).values(channel="telegram", sender_id="4242")
        )
    TelegramInvoiceProvider(telegram).start_payment(shop, number)
    (attempt,) = payments(shop, number)
    for charge_id in ("tg-1", "tg-2"):
        apply_successful_payment(
            shop, TelegramCharge(attempt.idempotency_key, 4242, 5900, "EUR", charge_id, "ch_" + charge_id)
        )
    assert "a second time" in order(shop, number).flagged_reason
    done = refund_order(shop, settings, number, SELLER, reference="provider re_77")
    assert done.state == RefundState.REFUNDED
    assert [(r.method, r.status, r.amount_minor) for r in refunds(shop, number)] == [
        ("telegram", "succeeded", 5900),
        ("telegram", "succeeded", 5900),
    ]
    assert [p.status for p in payments(shop, number)] == ["refunded", "refunded"]
    (notice,) = outbox(shop, kind="order_refunded")
    assert (notice.channel, notice.recipient) == ("telegram", "4242")
    assert "€118.00 goes back through the payment provider you paid with in Telegram" in notice.text


# --- refusals ------------------------------------------------------------------------------------------------------


def test_an_unpaid_order_is_not_refunded(shop, settings):
    number = place(shop, [(SKU, 1)])
    with pytest.raises(NotRefundable, match="awaiting_payment: it took no payment"):
        refund_order(shop, settings, number, SELLER, reference="x")
    with pytest.raises(OrderNotFound):
        refund_order(shop, settings, "ZZZZZZ", SELLER)
    assert refunds(shop, number) == [] and audits(shop, "order.refunded") == []
    assert order(shop, number).status == "awaiting_payment"


def test_an_order_already_refunded_is_left_as_it_is(shop, settings):
    number = place(shop, [(SKU, 1)])
    mark_paid(shop, number, SELLER)
    refund_order(shop, settings, number, SELLER, reference="first", restock=True)
    again = refund_order(shop, settings, number, "cli", reference="second", restock=True)
    assert again.state == RefundState.ALREADY_REFUNDED
    assert [r.reference for r in refunds(shop, number)] == ["first"]
    assert len(audits(shop, "order.refunded")) == 1 and len(outbox(shop, kind="order_refunded")) == 1
    assert stock(shop) == 10


# --- shop orders refund ---------------------------------------------------------------------------------------------


@pytest.fixture
def cli(settings):
    context = AppContext(settings)
    runner = CliRunner()
    yield lambda *args: runner.invoke(shop_command, ["orders", "refund", *args], obj=context, catch_exceptions=False)
    if "db" in context.__dict__:
        context.db.dispose()


def test_the_cli_refunds_and_says_what_happened(shop, fake, settings, deliver, cli):
    unpaid = place(shop, [(SKU, 1)])
    result = cli(unpaid)
    assert result.exit_code == 1
    assert f"Nothing refunded: order {unpaid} is awaiting_payment: it took no payment" in result.output
    assert cli("NOPE42").exit_code == 1

    manual = place(shop, [(SKU, 1)])
    mark_paid(shop, manual, SELLER)
    result = cli(manual)
    assert result.exit_code == 1 and "--reference" in result.output and order(shop, manual).status == "paid"
    result = cli(manual.lower(), "--restock", "--reference", "TRF-9")
    assert result.exit_code == 0
    assert (
        result.output
        == f"Order {manual} is refunded. Its items are back in stock. The shopper is told in their chat.\n"
    )
    result = cli(manual, "--reference", "TRF-9")
    assert (result.exit_code, result.output) == (0, f"Order {manual} is already refunded; nothing changed.\n")
    (audit,) = audits(shop, "order.refunded")
    assert audit.actor == "cli"

    card, _ = paid_by_card(shop, fake, settings, deliver)
    result = cli(card, "--restock")
    (refund,) = fake.refunds.values()
    assert result.exit_code == 0 and f"requested at Stripe ({refund['id']})" in result.output
    assert cli(card, "--restock").exit_code == 0 and len(fake.refund_creates) == 1
    deliver(stripe_event("refund.updated", refund))
    assert "already refunded" in cli(card).output

    other, _ = paid_by_card(shop, fake, settings, deliver)
    fake.fail_next(503)
    result = cli(other)
    assert (
        result.exit_code == 1 and "Not refunded yet" in result.output and "Run the same command again" in result.output
    )
