"""The seller's and operator's services on a real database (SQLite always, PostgreSQL with TEST_DATABASE_URL),
called as the dashboard, the JSON API and the CLI call them: status changes, catalog changes, replies,
forgetting a customer, and the pages' reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from checkout.catalog.editing import CatalogEditError, edit_variant
from checkout.catalog.importer import import_catalog_file
from checkout.customers.detail import customer_detail
from checkout.customers.forgetting import forget_customer
from checkout.db.models import AuditLog, Conversation, Customer, Order, OutboxMessage, Payment, Variant
from checkout.errors import CustomerNotFound, InvalidTransition
from checkout.learning import learning_status
from checkout.orders.detail import order_detail
from checkout.orders.seller_actions import OrderNotFound, mark_fulfilled, mark_paid
from checkout.seller_replies import ConversationNotFound, ReplyRefused, reply_to_shopper
from checkout.settings import Settings
from checkout.statuses import OrderStatus, PaymentStatus
from tests.integration.orm_builders import DEMO_CSV, add_customer, add_order, at, load_demo_catalog


@pytest.fixture
def shop(clean_db):
    load_demo_catalog(clean_db)
    return clean_db


@pytest.fixture
def shop_settings(shop, tmp_path) -> Settings:
    return Settings(
        database_url=shop.url,
        shop_catalog_terms_file=str(tmp_path / "catalog_terms.json"),
        # Rasa's stores not created yet: forgetting finds nothing there to erase.
        rasa_tracker_url=f"sqlite:///{tmp_path / 'tracker.db'}",
        rasa_events_url=f"sqlite:///{tmp_path / 'events.db'}",
    )


def an_order(db, number: str = "ORD-SVC001", status: str = OrderStatus.AWAITING_PAYMENT) -> int:
    with db.transaction() as session:
        shopper = add_customer(session, "web-ada", "Ada Lovelace")
        payments = [{"method": "manual", "status": PaymentStatus.PENDING}]
        add_order(session, shopper, number, [("CAP-DAD-BEI", 1)], at("2026-11-20 10:00"), status, payments)
        return shopper.id


def audit_actions(db, entity_id: str) -> list[str]:
    with db.reading() as session:
        return list(session.scalars(select(AuditLog.action).where(AuditLog.entity_id == entity_id)))


def test_mark_paid_then_fulfilled_settles_the_manual_attempt_and_keeps_the_note(shop):
    an_order(shop)
    assert mark_paid(shop, "ord-svc001", "seller:a@example.com", reference="  BANK-42 ") == "ORD-SVC001"
    assert mark_fulfilled(shop, "ORD-SVC001", "seller:a@example.com", note="Parcel 123") == "ORD-SVC001"
    with shop.reading() as session:
        order = session.scalar(select(Order).where(Order.number == "ORD-SVC001"))
        payment = session.scalar(select(Payment).where(Payment.order_id == order.id))
        assert (order.status, order.fulfilment_note) == (OrderStatus.FULFILLED, "Parcel 123")
        assert (payment.status, payment.reference) == (PaymentStatus.PAID, "BANK-42")


def test_a_refused_status_change_changes_nothing_not_even_the_note(shop):
    an_order(shop)
    with pytest.raises(InvalidTransition):  # not paid yet
        mark_fulfilled(shop, "ORD-SVC001", "seller:a@example.com", note="too early")
    with pytest.raises(OrderNotFound):
        mark_paid(shop, "ORD-NOPE00", "seller:a@example.com")
    with shop.reading() as session:
        order = session.scalar(select(Order).where(Order.number == "ORD-SVC001"))
        assert (order.status, order.fulfilment_note) == (OrderStatus.AWAITING_PAYMENT, None)
    assert audit_actions(shop, "ORD-SVC001") == []


def test_order_detail_reads_everything_the_page_shows_and_knows_unknown_numbers(shop):
    an_order(shop)
    mark_paid(shop, "ORD-SVC001", "seller:a@example.com")
    detail = order_detail(shop, " ord-svc001 ")
    assert [item.sku for item in detail.order.items] == ["CAP-DAD-BEI"]
    assert detail.order.customer.name == "Ada Lovelace"
    assert [entry.action for entry in detail.history] == audit_actions(shop, "ORD-SVC001") != []
    with pytest.raises(OrderNotFound):
        order_detail(shop, "ORD-NOPE00")


def test_customer_detail_lists_the_customers_orders_and_refuses_unknown_ids(shop):
    customer_id = an_order(shop)
    found = customer_detail(shop, "EUR", customer_id)
    assert (found.row.customer.name, [o.number for o in found.orders]) == ("Ada Lovelace", ["ORD-SVC001"])
    with pytest.raises(CustomerNotFound):
        customer_detail(shop, "EUR", customer_id + 1000)


def test_import_catalog_file_is_whole_or_nothing_and_audit_logged(shop, shop_settings):
    bad = DEMO_CSV.read_bytes() + b"BROKEN-SKU,No price,,EUR,1,caps,,,,\n"
    result = import_catalog_file(shop, shop_settings, bad, "bad.csv", "seller:a@example.com")
    assert not result.ok and result.errors
    assert audit_actions(shop, "bad.csv") == []

    renamed = DEMO_CSV.read_bytes().replace(b"Dad Cap", b"Baseball Cap")
    result = import_catalog_file(shop, shop_settings, renamed, "renamed.csv", "cli")
    assert result.ok and result.updated > 0
    assert audit_actions(shop, "renamed.csv") == ["catalog.imported"]
    # The assistant is told: the catalog's words are published and a model that learned them is asked for.
    assert "baseball cap" in Path(shop_settings.shop_catalog_terms_file).read_text(encoding="utf-8").lower()
    assert learning_status(shop_settings).state == "waiting"


def test_edit_variant_saves_and_a_bad_price_changes_nothing(shop, shop_settings):
    with shop.reading() as session:
        cap = session.scalar(select(Variant).where(Variant.sku == "CAP-DAD-BEI"))
        variant_id, price, stock = cap.id, cap.price_minor, cap.stock
    with pytest.raises(CatalogEditError):
        edit_variant(shop, shop_settings, variant_id, "twelve", str(stock), str(stock), True, "seller:a@example.com")
    sku = edit_variant(shop, shop_settings, variant_id, "19.50", str(stock), str(stock), True, "seller:a@example.com")
    with shop.reading() as session:
        assert (sku, session.get(Variant, variant_id).price_minor) == ("CAP-DAD-BEI", 1950) != (sku, price)


def test_reply_to_shopper_queues_once_per_form_and_refuses_an_empty_reply(shop):
    customer_id = an_order(shop)
    with shop.transaction() as session:
        conversation = Conversation(customer_id=customer_id, sender_id="web-ada", channel="rest")
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
    with pytest.raises(ConversationNotFound):
        reply_to_shopper(shop, conversation_id + 1000, "Hello", "seller:a@example.com", "token-1")
    with pytest.raises(ReplyRefused):
        reply_to_shopper(shop, conversation_id, "   ", "seller:a@example.com", "token-1")
    assert reply_to_shopper(shop, conversation_id, "It ships today.", "seller:a@example.com", "token-1") is True
    assert reply_to_shopper(shop, conversation_id, "It ships today.", "seller:a@example.com", "token-1") is False
    with shop.reading() as session:
        assert session.scalar(select(func.count(OutboxMessage.id))) == 1


def test_forget_customer_erases_the_person_and_refuses_unknown_ids(shop, shop_settings):
    customer_id = an_order(shop)
    with pytest.raises(CustomerNotFound):
        forget_customer(shop, shop_settings, customer_id + 1000, "cli")
    forgotten = forget_customer(shop, shop_settings, customer_id, "cli")
    assert (forgotten.orders, forgotten.tracker_events, forgotten.broker_events) == (1, 0, 0)
    with shop.reading() as session:
        assert session.get(Customer, customer_id).name is None
        assert session.scalar(select(Order.total_minor)) > 0  # the books keep the amounts
