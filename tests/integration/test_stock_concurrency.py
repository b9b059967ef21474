"""Buyers racing for the same stock, and status changes racing each other, on a real database (a SQLite file with
BEGIN IMMEDIATE and busy_timeout; PostgreSQL with TEST_DATABASE_URL). Each thread has its own session and
transaction, as each request of the action server or the web app does."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from checkout.carts import add_to_cart, view_cart
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.database import Database
from checkout.db.models import AuditLog, Customer, Order, Variant
from checkout.errors import InvalidTransition
from checkout.orders.lifecycle import change_status
from checkout.orders.placement import place_order
from tests.integration.orm_builders import load_demo_catalog
from tests.integration.races import DETAILS, assert_only_sold_out, buyer, race, shoppers_with_carts

BUYERS = 20


@pytest.fixture
def shop(clean_db):
    load_demo_catalog(clean_db)
    return clean_db


def stock(db, sku: str) -> int | None:
    with db.transaction() as session:
        return session.scalar(select(Variant.stock).where(Variant.sku == sku))


def count(db, model, *where) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


class StockWatcher:
    """Reads the stock over and over while the race runs, to catch a negative value however briefly it exists."""

    def __init__(self, db: Database, sku: str):
        self.db, self.sku, self.seen = db, sku, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.seen.append(stock(self.db, self.sku))
            self._stop.wait(0.005)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=30)


def test_twenty_buyers_of_the_last_unit_make_exactly_one_order(shop):
    sku = "HOOD-ZIP-NVY-L"
    assert stock(shop, sku) == 1
    ids = shoppers_with_carts(shop, sku, BUYERS)
    with StockWatcher(shop, sku) as watcher:
        numbers, errors = race([buyer(shop, cid) for cid in ids])
    assert_only_sold_out(errors)
    assert len(numbers) == 1 and len(errors) == BUYERS - 1
    assert all(e.available == 0 and e.sku == sku for e in errors)
    assert stock(shop, sku) == 0
    assert watcher.seen and all(s >= 0 for s in watcher.seen)
    assert count(shop, Order) == 1
    # the losers' transactions rolled back: their carts are as they were
    with shop.transaction() as session:
        carts = [view_cart(session, session.get(Customer, cid), "EUR").lines for cid in ids]
        assert sum(1 for lines in carts if not lines) == 1
        assert all(len(lines) == 1 and lines[0].quantity == 1 for lines in carts if lines)


def test_twenty_buyers_of_five_units_make_exactly_five_orders(shop):
    sku = "HOOD-HVY-GRY-M"
    assert stock(shop, sku) == 5
    ids = shoppers_with_carts(shop, sku, BUYERS)
    with StockWatcher(shop, sku) as watcher:
        numbers, errors = race([buyer(shop, cid) for cid in ids])
    assert_only_sold_out(errors)
    assert len(numbers) == 5 and len(set(numbers)) == 5
    assert len(errors) == BUYERS - 5
    assert stock(shop, sku) == 0
    assert watcher.seen and all(s >= 0 for s in watcher.seen)
    assert count(shop, Order) == 5


def test_buyers_through_two_engines_like_two_server_processes(shop):
    """Two engines (two action-server instances) share no Python lock: only the database serialises them."""
    sku = "TEE-OVR-SND-L"
    assert stock(shop, sku) == 1
    ids = shoppers_with_carts(shop, sku, BUYERS)
    other = Database(shop.url)
    try:
        numbers, errors = race([buyer(shop if i % 2 else other, cid) for i, cid in enumerate(ids)])
    finally:
        other.dispose()
    assert_only_sold_out(errors)
    assert len(numbers) == 1
    assert stock(shop, sku) == 0


def placed_order(db, lines: list[tuple[str, int]]) -> str:
    with db.transaction() as session:
        shopper = identify(session, ShopperIdentity("rest", "web-cancel", "web-cancel"))
        for sku, quantity in lines:
            add_to_cart(session, shopper, session.scalar(select(Variant).where(Variant.sku == sku)), quantity)
        return place_order(session, shopper, None, DETAILS, "EUR").number


def changer(db: Database, number: str, status: str):
    def change() -> str:
        with db.transaction() as session:
            order = session.scalar(select(Order).where(Order.number == number))
            change_status(session, order, status, actor=f"thread:{threading.get_ident()}")
            return status

    return change


def test_ten_concurrent_cancels_release_the_stock_once(shop):
    number = placed_order(shop, [("HOOD-HVY-BLK-M", 3), ("TEE-LOGO-BLK-S", 2)])
    assert (stock(shop, "HOOD-HVY-BLK-M"), stock(shop, "TEE-LOGO-BLK-S")) == (7, 10)
    done, errors = race([changer(shop, number, "cancelled") for _ in range(10)])
    assert done == ["cancelled"]
    assert len(errors) == 9 and all(isinstance(e, InvalidTransition) for e in errors), errors
    assert (stock(shop, "HOOD-HVY-BLK-M"), stock(shop, "TEE-LOGO-BLK-S")) == (10, 12)
    assert count(shop, AuditLog, AuditLog.action == "order.cancelled") == 1


def test_cancel_racing_expiry_has_one_winner(shop):
    number = placed_order(shop, [("HOOD-HVY-BLK-L", 2)])
    assert stock(shop, "HOOD-HVY-BLK-L") == 6
    done, errors = race([changer(shop, number, s) for s in ["cancelled", "expired"] * 5])
    assert len(done) == 1 and all(isinstance(e, InvalidTransition) for e in errors), errors
    with shop.transaction() as session:
        assert session.scalar(select(Order.status).where(Order.number == number)) == done[0]
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 1
    assert stock(shop, "HOOD-HVY-BLK-L") == 8


def test_one_customer_however_many_messages_arrive_at_once(shop):
    """The first messages of a new shopper (a double tap, two gateways) create one customer, not several."""
    identity = ShopperIdentity("telegram", "777", "777", {"name": "Racing Shopper"})

    def first_contact():
        with shop.transaction() as session:
            return identify(session, identity).id

    ids, errors = race([first_contact for _ in range(10)])
    assert not errors, errors
    assert len(set(ids)) == 1
    assert count(shop, Customer) == 1
