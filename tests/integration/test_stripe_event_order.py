"""Stripe events in any order, any number of times, and at the same moment, on SQLite and PostgreSQL: the order
always ends in the same state, its stock is released at most once, and buyers racing for a released last unit
get it exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from checkout.db.models import AuditLog, Order, ProcessedEvent, Variant
from checkout.payments.stripe.events import apply_stripe_event
from tests.fake_stripe import stripe_event
from tests.integration.orm_builders import load_demo_catalog
from tests.integration.payment_builders import completed, count, open_session, order, outbox, payments, place
from tests.integration.races import assert_only_sold_out, buyer, race, shoppers_with_carts

SKU = "TEE-LOGO-BLK-S"
PAST, FUTURE = timedelta(minutes=-1), timedelta(hours=1)


@pytest.fixture
def shop(clean_db):
    load_demo_catalog(clean_db)
    with clean_db.transaction() as session:
        session.execute(update(Variant).where(Variant.sku == SKU).values(stock=100_000))
    return clean_db


def stock(db, sku: str = SKU) -> int:
    with db.reading() as session:
        return session.scalar(select(Variant.stock).where(Variant.sku == sku))


def expired(checkout: dict) -> dict:
    return {**checkout, "status": "expired"}


# Each scenario: the links the order has (their expiry), the events Stripe sends for them, and the end state:
# (order status, each link's payment status, whether the stock went back, whether the seller must look).
SCENARIOS = {
    "paid": ([FUTURE], lambda a: [("checkout.session.completed", completed(a[0]))], ("paid", ["paid"], False, False)),
    "paid by a debit that settles later": (
        [FUTURE],
        lambda a: [
            ("checkout.session.completed", completed(a[0], "unpaid")),
            ("checkout.session.async_payment_succeeded", completed(a[0])),
        ],
        ("paid", ["paid"], False, False),
    ),
    "debit failed": (
        [FUTURE],
        lambda a: [
            ("checkout.session.completed", completed(a[0], "unpaid")),
            ("checkout.session.async_payment_failed", completed(a[0], "unpaid")),
        ],
        ("awaiting_payment", ["failed"], False, False),
    ),
    "expired": (
        [FUTURE],
        lambda a: [("checkout.session.expired", expired(a[0]))],
        ("expired", ["expired"], True, False),
    ),
    "first link expired, second paid": (
        [PAST, FUTURE],
        lambda a: [("checkout.session.expired", expired(a[0])), ("checkout.session.completed", completed(a[1]))],
        ("paid", ["expired", "paid"], False, False),
    ),
    "both links expired": (
        [PAST, FUTURE],
        lambda a: [("checkout.session.expired", expired(a[0])), ("checkout.session.expired", expired(a[1]))],
        ("expired", ["expired", "expired"], True, False),
    ),
    "paid the wrong amount": (
        [FUTURE],
        lambda a: [
            ("checkout.session.completed", completed(a[0], amount_total=1)),
            ("checkout.session.async_payment_succeeded", completed(a[0], amount_total=1)),
        ],
        ("awaiting_payment", ["flagged"], False, True),
    ),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_events_in_any_order_and_number_end_in_the_same_state(shop, data):
    name = data.draw(st.sampled_from(sorted(SCENARIOS)), label="scenario")
    expiries, make_events, (status, payment_statuses, released, flagged) = SCENARIOS[name]
    number = place(shop, [(SKU, 2)], sender=f"web-{name}")
    links = [open_session(shop, number, expires_in=e) for e in expiries]
    events = [stripe_event(kind, checkout) for kind, checkout in make_events(links)]
    copies = data.draw(st.lists(st.integers(1, 3), min_size=len(events), max_size=len(events)), label="copies")
    deliveries = data.draw(
        st.permutations([e for e, n in zip(events, copies, strict=True) for _ in range(n)]), label="order"
    )
    before = stock(shop)

    outcomes = [apply_stripe_event(shop, event) for event in deliveries]

    assert outcomes.count("duplicate") == sum(copies) - len(events)
    end = order(shop, number)
    assert end.status == status, (name, [e["type"] for e in deliveries], outcomes)
    assert [p.status for p in payments(shop, number)] == payment_statuses
    assert stock(shop) == before + (2 if released else 0)
    assert bool(end.flagged_reason) == flagged
    with shop.reading() as session:
        audits = list(session.scalars(select(AuditLog.action).where(AuditLog.entity_id == number)))
    expected = [f"order.{status}"] if status != "awaiting_payment" else []
    assert audits == expected + (["order.flagged"] if flagged else [])


def test_one_event_delivered_ten_times_at_once_is_applied_once(shop):
    number = place(shop, [(SKU, 1)])
    event = stripe_event("checkout.session.completed", completed(open_session(shop, number)))
    outcomes, errors = race([lambda: apply_stripe_event(shop, event) for _ in range(10)])
    assert not errors, errors
    assert sorted(outcomes) == ["duplicate"] * 9 + ["paid"]
    assert order(shop, number).status == "paid"
    assert count(shop, ProcessedEvent) == 1
    assert count(shop, AuditLog, AuditLog.action == "order.paid") == 1
    assert len(outbox(shop, kind="order_paid")) == 1


def test_two_links_expiring_at_the_same_moment_expire_the_order_once(shop):
    """Each expiry alone sees the other link still open; under the order's lock the second one sees it expired."""
    before = stock(shop)
    number = place(shop, [(SKU, 4)])
    a, b = open_session(shop, number), open_session(shop, number)
    events = [stripe_event("checkout.session.expired", expired(link)) for link in (a, b)]
    _, errors = race([lambda e=e: apply_stripe_event(shop, e) for e in events * 5])
    assert not errors, errors
    assert order(shop, number).status == "expired"
    assert [p.status for p in payments(shop, number)] == ["expired", "expired"]
    assert stock(shop) == before
    assert count(shop, AuditLog, AuditLog.action == "order.expired") == 1


def test_a_payment_racing_the_other_links_expiry_wins(shop):
    number = place(shop, [(SKU, 1)])
    a, b = open_session(shop, number, expires_in=PAST), open_session(shop, number)
    events = [
        stripe_event("checkout.session.expired", expired(a)),
        stripe_event("checkout.session.completed", completed(b)),
    ]
    _, errors = race([lambda e=e: apply_stripe_event(shop, e) for e in events * 5])
    assert not errors, errors
    assert order(shop, number).status == "paid"


def test_the_last_unit_released_by_expiry_goes_to_exactly_one_of_twenty_buyers(shop):
    last = "HOOD-ZIP-NVY-L"  # one in stock
    number = place(shop, [(last, 1)], sender="web-first")
    assert stock(shop, last) == 0
    event = stripe_event("checkout.session.expired", expired(open_session(shop, number)))
    _, errors = race([lambda: apply_stripe_event(shop, event) for _ in range(10)])
    assert not errors and stock(shop, last) == 1  # released once, not ten times
    ids = shoppers_with_carts(shop, last, 20)
    numbers, errors = race([buyer(shop, cid) for cid in ids])
    assert_only_sold_out(errors)
    assert len(numbers) == 1 and stock(shop, last) == 0
    with shop.reading() as session:
        assert session.scalar(select(Order.status).where(Order.number == numbers[0])) == "awaiting_payment"
