"""Forgetting a customer leaves no identifier of theirs behind: not in the audit log (a Telegram payer's user id, the
seller's note to them), and the chats kept to drop their queued events are HMACs keyed with the shop's secret, not a
plain SHA-256 of a 10-digit id that anyone can recompute."""

from __future__ import annotations

import hashlib
import time

import pytest
from sqlalchemy import select

from checkout.carts import add_to_cart
from checkout.customers.forgetting import forget_customer
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.models import AuditLog, Customer, ForgottenSender, Order, Payment, Variant, utcnow
from checkout.orders.placement import DeliveryDetails, place_order
from checkout.orders.seller_actions import mark_fulfilled
from checkout.payments.telegram.events import TelegramCharge, apply_successful_payment
from checkout.payments.telegram.provider import TelegramInvoiceProvider
from checkout.records.forgotten_chats import sender_hash
from checkout.records.recorder import FORGOTTEN, RECORDED, apply_event
from checkout.settings import Settings
from tests.integration.orm_builders import load_demo_catalog
from tests.records_events import user_event

CHAT, PAYER = "5550001234", 987654321
NOTE = "DHL 00340434161094042557, for Zephyrine Quokkaberg"
SECRET = "the-shops-secret"


@pytest.fixture
def settings(clean_db, tmp_path) -> Settings:
    return Settings(
        database_url=clean_db.url,
        rasa_tracker_url=f"sqlite:///{tmp_path / 'rasa.db'}",
        shop_secret_key=SECRET,
        shop_var_dir=str(tmp_path),
        telegram_payment_provider_token="284685063:TEST:x",
        shop_payment_methods="telegram,manual",
    )


def telegram_customer(db, chat: str = CHAT) -> int:
    with db.transaction() as session:
        assert apply_event(session, user_event(chat, "hi", metadata={"channel": "telegram", "user_id": chat}), SECRET)
        return session.scalar(select(Customer.id).where(Customer.channel_user_id == chat))


def paid_in_telegram_and_shipped(db, settings: Settings) -> str:
    with db.transaction() as session:
        customer = identify(session, ShopperIdentity("telegram", CHAT, CHAT))
        add_to_cart(session, customer, session.scalar(select(Variant).where(Variant.sku == "CAP-DAD-BLK")), 1)
        details = DeliveryDetails("Zephyrine Quokkaberg", "+447700900461", "17 Marmalade Crescent", None)
        number = place_order(session, customer, None, details, "EUR").number
    TelegramInvoiceProvider(settings).start_payment(db, number)
    with db.reading() as session:
        payment = session.scalar(select(Payment).join(Order).where(Order.number == number))
    charge = TelegramCharge(payment.idempotency_key, PAYER, payment.amount_minor, "EUR", "tg-1", "ch_tg-1")
    assert apply_successful_payment(db, charge) == "paid"
    mark_fulfilled(db, number, "seller:owner@example.com", NOTE)
    return number


def audit_text(db) -> str:
    with db.reading() as session:
        return "\n".join(f"{e.actor} {e.action} {e.entity_id} {e.details}" for e in session.scalars(select(AuditLog)))


def test_forgetting_scrubs_the_audit_log_and_keeps_what_was_done(clean_db, settings):
    load_demo_catalog(clean_db)
    customer_id = telegram_customer(clean_db)
    number = paid_in_telegram_and_shipped(clean_db, settings)
    before = audit_text(clean_db)
    assert str(PAYER) in before and "Zephyrine" in before

    forget_customer(clean_db, settings, customer_id, actor="cli")

    after = audit_text(clean_db)
    assert str(PAYER) not in after and "Zephyrine" not in after and CHAT not in after
    with clean_db.reading() as session:
        paid = session.scalar(select(AuditLog).where(AuditLog.action == "order.paid", AuditLog.entity_id == number))
        shipped = session.scalar(select(AuditLog).where(AuditLog.action == "order.fulfilled"))
    assert paid.actor == "telegram:tg-1" and paid.details["telegram_payment_charge_id"] == "tg-1"
    assert paid.details["paid_amount_minor"] > 0  # the books still add up
    assert shipped.actor == "seller:owner@example.com" and shipped.entity_id == number


def forgotten_hashes(db) -> set[str]:
    with db.reading() as session:
        return set(session.scalars(select(ForgottenSender.sender_hash)))


def test_a_forgotten_chat_is_kept_as_an_hmac_keyed_with_the_shops_secret(clean_db, settings):
    customer_id = telegram_customer(clean_db)
    queued = user_event(CHAT, "it's me again", timestamp=time.time() - 5)
    forget_customer(clean_db, settings, customer_id, actor="cli")

    assert forgotten_hashes(clean_db) == {sender_hash(CHAT, SECRET)}
    assert hashlib.sha256(CHAT.encode()).hexdigest() not in forgotten_hashes(clean_db)
    assert sender_hash(CHAT, "another-shops-secret") != sender_hash(CHAT, SECRET)
    with clean_db.transaction() as session:
        assert apply_event(session, queued, SECRET) == FORGOTTEN
        assert apply_event(session, user_event(CHAT, "new here", timestamp=time.time() + 1), SECRET) == RECORDED


def test_rows_from_before_keying_keep_working_and_are_rekeyed_at_the_next_forget(clean_db, settings):
    old_chat = "5550009999"
    legacy = hashlib.sha256(old_chat.encode()).hexdigest()  # what the previous version stored
    with clean_db.transaction() as session:
        session.add(ForgottenSender(sender_hash=legacy, forgotten_at=utcnow()))
    queued = user_event(old_chat, "still in the queue", timestamp=time.time() - 60)
    with clean_db.transaction() as session:
        assert apply_event(session, queued, SECRET) == FORGOTTEN

    forget_customer(clean_db, settings, telegram_customer(clean_db), actor="cli")

    assert forgotten_hashes(clean_db) == {sender_hash(CHAT, SECRET), sender_hash(old_chat, SECRET)}
    with clean_db.transaction() as session:
        assert apply_event(session, dict(queued, message_id="again"), SECRET) == FORGOTTEN
