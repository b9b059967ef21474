"""The checkout side of Telegram invoices on SQLite and PostgreSQL: one attempt and one invoice however often
"Pay in Telegram" is pressed at once, each charge applied once however often (and however concurrently) it is
reported, and an invoice not sent for an order that stopped awaiting payment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from checkout.carts import add_to_cart
from checkout.customers.identity import ShopperIdentity, identify
from checkout.customers.privacy import erase_customer_records
from checkout.db.models import AuditLog, Customer, Order, OutboxMessage, Payment, Variant
from checkout.errors import InvalidTransition, PaymentUnavailable
from checkout.orders.lifecycle import change_status
from checkout.orders.placement import DeliveryDetails, place_order
from checkout.payments.telegram.delivery import invoice_refused, invoice_to_send
from checkout.payments.telegram.events import TelegramCharge, apply_successful_payment
from checkout.payments.telegram.provider import INVOICE_KIND, TelegramInvoiceProvider
from checkout.settings import Settings
from tests.integration.orm_builders import load_demo_catalog

SETTINGS = Settings(telegram_payment_provider_token="284685063:TEST:x", shop_payment_methods="telegram,manual")
DETAILS = DeliveryDetails("Marie Dupont", "+33612345678", "12 rue de la République, Lyon", None)
TAPS = 8


@pytest.fixture
def shop(clean_db):
    load_demo_catalog(clean_db)
    return clean_db


def place(db, channel: str = "telegram", user: str = "4242") -> str:
    with db.transaction() as session:
        customer = identify(session, ShopperIdentity(channel, user, user))
        add_to_cart(session, customer, session.scalar(select(Variant).where(Variant.sku == "CAP-DAD-BLK")), 2)
        return place_order(session, customer, None, DETAILS, "EUR").number


def invoice_rows(db) -> list[OutboxMessage]:
    with db.reading() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == INVOICE_KIND)))


def attempt(db, number: str) -> Payment:
    with db.reading() as session:
        return session.scalar(select(Payment).join(Order).where(Order.number == number).order_by(Payment.id))


def charge(payment: Payment, charge_id: str = "tg-1", **changes) -> TelegramCharge:
    fields = dict(
        payload=payment.idempotency_key,
        user_id=4242,
        total_amount=payment.amount_minor,
        currency=payment.currency,
        telegram_charge_id=charge_id,
        provider_charge_id="ch_" + charge_id,
    )
    return TelegramCharge(**{**fields, **changes})


def test_double_taps_make_one_attempt_and_one_invoice(shop):
    number = place(shop)
    provider = TelegramInvoiceProvider(SETTINGS)
    with ThreadPoolExecutor(TAPS) as pool:
        steps = list(pool.map(lambda _: provider.start_payment(shop, number), range(TAPS)))
    assert len({s.instructions for s in steps}) == 1 and "€44.00" in steps[0].instructions
    [row] = invoice_rows(shop)
    payment = attempt(shop, number)
    assert row.recipient == "4242" and row.channel == "telegram" and number in row.text
    with shop.reading() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 1
        invoice = invoice_to_send(session, row.dedupe_key)
    assert invoice["payload"] == payment.idempotency_key and sum(p["amount"] for p in invoice["prices"]) == 4400


def test_an_invoice_the_outbox_gave_up_on_is_replaced_by_a_new_attempt(shop):
    number = place(shop)
    provider = TelegramInvoiceProvider(SETTINGS)
    provider.start_payment(shop, number)
    [row] = invoice_rows(shop)
    with shop.transaction() as session:  # e.g. five failed tries to reach the chat
        session.get(OutboxMessage, row.id).status = "failed"
    provider.start_payment(shop, number)
    with shop.reading() as session:
        statuses = session.scalars(select(Payment.status).order_by(Payment.id)).all()
    assert statuses == ["failed", "pending"] and [r.status for r in invoice_rows(shop)] == ["failed", "pending"]


def test_the_same_charge_reported_at_once_many_times_pays_the_order_once(shop):
    number = place(shop)
    TelegramInvoiceProvider(SETTINGS).start_payment(shop, number)
    paid = charge(attempt(shop, number))
    with ThreadPoolExecutor(TAPS) as pool:
        outcomes = sorted(pool.map(lambda _: apply_successful_payment(shop, paid), range(TAPS)))
    assert outcomes == ["duplicate"] * (TAPS - 1) + ["paid"]
    with shop.reading() as session:
        order = session.scalar(select(Order).where(Order.number == number))
        assert order.status == "paid"
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.entity_id == number, AuditLog.action == "order.paid")
            )
            == 1
        )
        assert (
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.order_id == order.id, OutboxMessage.kind == "order_paid")
            )
            == 1
        )


def test_a_second_charge_for_a_paid_invoice_is_kept_and_flagged(shop):
    number = place(shop)
    TelegramInvoiceProvider(SETTINGS).start_payment(shop, number)
    payment = attempt(shop, number)
    assert apply_successful_payment(shop, charge(payment, "tg-1")) == "paid"
    assert apply_successful_payment(shop, charge(payment, "tg-2")) == "flagged"
    with shop.reading() as session:
        order = session.scalar(select(Order).where(Order.number == number))
        rows = session.scalars(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)).all()
        assert [(p.status, p.reference) for p in rows] == [("paid", "tg-1"), ("paid", "tg-2")]
        assert order.status == "paid" and "a second time" in order.flagged_reason


def test_a_charge_for_no_invoice_of_ours_alerts_the_seller(shop):
    outcome = apply_successful_payment(shop, TelegramCharge("tgi1-unknown", 1, 500, "EUR", "tg-x", "ch_x"))
    assert outcome == "unmatched"
    with shop.reading() as session:
        [alert] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "payment_unmatched")).all()
    assert "tg-x" in alert.text and "€5.00" in alert.text


def test_an_invoice_is_not_sent_once_its_order_stops_awaiting_payment(shop):
    number = place(shop)
    TelegramInvoiceProvider(SETTINGS).start_payment(shop, number)
    [row] = invoice_rows(shop)
    with shop.transaction() as session:
        change_status(session, session.scalar(select(Order).where(Order.number == number)), "cancelled", "test")
    with shop.transaction() as session:
        assert invoice_to_send(session, row.dedupe_key) is None
        invoice_refused(session, row.dedupe_key, "late", ["telegram", "manual"])  # nothing to offer any more
        assert (
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == "invoice_refused", OutboxMessage.channel == "telegram")
            )
            == 0
        )
    with pytest.raises(InvalidTransition):
        TelegramInvoiceProvider(SETTINGS).start_payment(shop, number)


def test_an_order_placed_outside_telegram_gets_no_invoice(shop):
    number = place(shop, channel="rest", user="web-ana")
    with pytest.raises(PaymentUnavailable):
        TelegramInvoiceProvider(SETTINGS).start_payment(shop, number)
    assert invoice_rows(shop) == []


def test_forgetting_the_shopper_erases_the_queued_invoice_text(shop):
    number = place(shop)
    TelegramInvoiceProvider(SETTINGS).start_payment(shop, number)
    with shop.transaction() as session:
        erase_customer_records(
            session, session.scalar(select(Customer).where(Customer.channel_user_id == "4242")), "test"
        )
    [row] = invoice_rows(shop)
    assert number not in (row.text or "")  # the gateway sends nothing whose text was erased
