"""Jobs run at the same moment, each in its own thread with its own session and transaction, as each request of
the action server or the web app runs: buyers racing for the same stock."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from checkout.carts import add_to_cart
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.database import Database
from checkout.db.models import Customer, Variant
from checkout.errors import NotEnoughStock
from checkout.orders.placement import DeliveryDetails, place_order

DETAILS = DeliveryDetails(name="Race Buyer", phone="+33612345678", address="1 rue du Test, 75001 Paris")


def shoppers_with_carts(db, sku: str, how_many: int) -> list[int]:
    """`how_many` separate customers, each with one unit of `sku` in their cart; their ids."""
    ids = []
    for i in range(how_many):
        with db.transaction() as session:
            shopper = identify(session, ShopperIdentity("rest", f"buyer-{i}", f"buyer-{i}"))
            add_to_cart(session, shopper, session.scalar(select(Variant).where(Variant.sku == sku)), 1)
            ids.append(shopper.id)
    return ids


def race(jobs: list) -> tuple[list, list[BaseException]]:
    """Runs every job at the same moment in its own thread; returns (results, exceptions)."""
    barrier = threading.Barrier(len(jobs))

    def start(job):
        barrier.wait(timeout=30)
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(start, job) for job in jobs]
        outcomes = [
            (f.result(timeout=120), None) if f.exception(timeout=120) is None else (None, f.exception())
            for f in futures
        ]
    return [r for r, e in outcomes if e is None], [e for _, e in outcomes if e is not None]


def buyer(db: Database, customer_id: int):
    def buy() -> str:
        with db.transaction() as session:
            return place_order(session, session.get(Customer, customer_id), None, DETAILS, "EUR").number

    return buy


def assert_only_sold_out(errors: list[BaseException]) -> None:
    unexpected = [e for e in errors if not isinstance(e, NotEnoughStock)]
    assert not unexpected, unexpected  # no lock timeout, deadlock or constraint error reaches a buyer
