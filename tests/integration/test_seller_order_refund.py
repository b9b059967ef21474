"""Seller dashboard: refunding a whole order from its page (CSRF-protected form, a reference for money the seller
sends back, restock), and what the page shows while a Stripe refund is pending or after it failed."""

from __future__ import annotations

from sqlalchemy import select, update

from checkout.db.models import Order, OrderItem, Payment, Refund, Variant
from checkout.payments.refunds import refund_order
from checkout.settings import Settings
from tests.fake_stripe import API_KEY, FakeStripe
from tests.integration.dashboard import EMAIL, post_form

PAGE = "/seller/orders/A7K2Q9"
SKU = "HOOD-HVY-BLK-M"


def order(db) -> Order:
    with db.reading() as session:
        return session.scalar(select(Order).where(Order.number == "A7K2Q9"))


def stock(db) -> int:
    with db.reading() as session:
        return session.scalar(select(Variant.stock).where(Variant.sku == SKU))


def reserve_stock(db) -> None:
    """The order's line took its unit off the shelf, as checkout does."""
    with db.transaction() as session:
        order_id = session.scalar(select(Order.id).where(Order.number == "A7K2Q9"))
        session.execute(update(OrderItem).where(OrderItem.order_id == order_id).values(stock_reserved=True))
        session.execute(update(Variant).where(Variant.sku == SKU).values(stock=Variant.stock - 1))


def test_the_seller_refunds_a_manual_payment_from_the_order_page(app, seller, shop):
    db = app.extensions["database"]
    reserve_stock(db)
    before = stock(db)
    post_form(seller, f"{PAGE}/paid", {"reference": "TRF-IN"}, page=PAGE)
    html = seller.get(PAGE).get_data(as_text=True)
    assert "Refund the whole order." in html and "Send the manual payment (€59.00) back yourself" in html
    assert '<input name="reference" maxlength="255" required>' in html
    assert '<input type="checkbox" name="restock" value="1" checked>' in html  # never shipped: back to stock

    assert seller.post(f"{PAGE}/refund", data={"reference": "x", "restock": "1"}).status_code == 400  # no CSRF token
    post_form(seller, f"{PAGE}/refund", {"restock": "1"}, page=PAGE)  # no reference
    assert "Nothing changed: order A7K2Q9 was paid by hand" in seller.get(PAGE).get_data(as_text=True)
    assert order(db).status == "paid"

    response = post_form(seller, f"{PAGE}/refund", {"reference": "TRF-BACK-1", "restock": "1"}, page=PAGE)
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)
    assert order(db).status == "refunded" and stock(db) == before + 1
    html = seller.get(PAGE).get_data(as_text=True)
    assert "Order A7K2Q9 is refunded. The shopper is told in their chat." in html
    assert "<h3>Refunds</h3>" in html and "TRF-BACK-1" in html and "succeeded" in html
    assert f"refunded by seller:{EMAIL}" in html  # the history
    assert "Refund the whole order." not in html and "Nothing left to do for a refunded order." in html

    post_form(seller, f"{PAGE}/refund", {"reference": "again"}, page=PAGE)
    assert "Order A7K2Q9 was already refunded; nothing changed." in seller.get(PAGE).get_data(as_text=True)
    with db.reading() as session:
        assert session.scalars(select(Refund.reference)).all() == ["TRF-BACK-1"]


def test_an_unpaid_order_offers_no_refund_and_a_post_changes_nothing(app, seller, shop):
    db = app.extensions["database"]
    assert "Refund the whole order." not in seller.get(PAGE).get_data(as_text=True)
    post_form(seller, f"{PAGE}/refund", {"reference": "x"}, page=PAGE)
    html = seller.get(PAGE).get_data(as_text=True)
    assert "Nothing changed: order A7K2Q9 is awaiting_payment: it took no payment" in html
    assert order(db).status == "awaiting_payment"
    assert post_form(seller, "/seller/orders/NOPE42/refund", {"reference": "x"}).status_code == 404


def test_the_page_shows_a_pending_stripe_refund_then_a_failed_one(app, seller, shop):
    db = app.extensions["database"]
    fake = FakeStripe().start()
    try:
        fake.refund_status = "pending"
        fake.sessions["cs_test_1"] = {"id": "cs_test_1", "payment_intent": "pi_test_1", "amount_total": 5900}
        fake.sessions["cs_test_1"]["currency"] = "eur"
        with db.transaction() as session:
            found = session.scalar(select(Order).where(Order.number == "A7K2Q9"))
            found.status = "fulfilled"
            session.add(
                Payment(
                    order_id=found.id,
                    method="stripe",
                    status="paid",
                    amount_minor=5900,
                    currency="EUR",
                    reference="cs_test_1",
                    provider_data={"payment_intent": "pi_test_1"},
                )
            )
        html = seller.get(PAGE).get_data(as_text=True)
        assert "Card payments go back through Stripe" in html and 'name="reference"' not in html
        assert '<input type="checkbox" name="restock" value="1">' in html  # fulfilled: the items left the shop
        stripe = Settings(stripe_secret_key=API_KEY, stripe_api_base=fake.url, stripe_max_retries=0)
        refund_order(db, stripe, "A7K2Q9", f"seller:{EMAIL}")
        (refund,) = fake.refunds.values()

        html = seller.get(PAGE).get_data(as_text=True)
        assert "Refund pending at Stripe since" in html and "the order stays fulfilled until Stripe confirms" in html
        assert refund["id"] in html and "Refund the whole order." not in html
        post_form(seller, f"{PAGE}/refund", {}, page=PAGE)  # a second click: Stripe is not asked again
        assert "asked at Stripe" in seller.get(PAGE).get_data(as_text=True) and len(fake.refund_creates) == 1

        with db.transaction() as session:  # what Stripe's refund.updated (failed) does
            row = session.scalars(select(Refund)).one()
            row.status, row.failure_reason = "failed", "expired_or_canceled_card"
        html = seller.get(PAGE).get_data(as_text=True)
        assert "failed: expired_or_canceled_card" in html and "Refund the whole order." in html
        assert "Refund pending at Stripe" not in html
    finally:
        fake.stop()


def test_a_refund_stripe_never_answered_can_be_asked_again_from_the_page(app, seller, shop):
    db = app.extensions["database"]
    with db.transaction() as session:
        found = session.scalar(select(Order).where(Order.number == "A7K2Q9"))
        found.status = "paid"
        payment = Payment(order_id=found.id, method="stripe", status="paid", amount_minor=5900, currency="EUR")
        session.add(payment)
        session.flush()
        session.add(
            Refund(
                order_id=found.id,
                payment_id=payment.id,
                method="stripe",
                status="requesting",
                amount_minor=5900,
                currency="EUR",
                idempotency_key="refund-A7K2Q9-1-1",
                requested_by=f"seller:{EMAIL}",
            )
        )
    html = seller.get(PAGE).get_data(as_text=True)
    assert "Stripe did not answer the refund asked" in html and "Refund the whole order." in html
    assert "Refund pending at Stripe" not in html
