"""Seller dashboard: giving a shopper more time to pay one order from its page (audit-logged; the reminder moves
with the deadline)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from checkout.db.models import AuditLog, Order, utcnow
from tests.integration.dashboard import EMAIL, post_form

PAGE = "/seller/orders/A7K2Q9"


def order(db) -> Order:
    with db.reading() as session:
        return session.scalar(select(Order).where(Order.number == "A7K2Q9"))


def extensions(db) -> list[AuditLog]:
    with db.reading() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == "order.deadline_extended")))


def test_the_seller_extends_an_unpaid_orders_deadline_from_its_page(app, seller, shop):
    db = app.extensions["database"]
    due = utcnow() + timedelta(hours=5)
    with db.transaction() as session:
        session.execute(
            update(Order)
            .where(Order.number == "A7K2Q9")
            .values(payment_due_at=due, payment_reminder_at=due - timedelta(hours=1), payment_reminded_at=utcnow())
        )
    html = seller.get(PAGE).get_data(as_text=True)
    assert f"To be paid by <strong>{due:%Y-%m-%d %H:%M} UTC</strong>" in html
    assert "the shopper was reminded" in html and "Extend the payment deadline" in html

    response = post_form(seller, f"{PAGE}/deadline", {"hours": "24"}, page=PAGE)
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)
    extended = order(db)
    assert extended.payment_due_at == due + timedelta(hours=24)
    assert extended.payment_reminded_at is None  # reminded again, half-way to the new deadline
    (entry,) = extensions(db)
    assert (entry.actor, entry.entity_id, entry.details["hours"]) == (f"seller:{EMAIL}", "A7K2Q9", "24")
    page = seller.get(PAGE).get_data(as_text=True)
    assert f"can now be paid until {extended.payment_due_at:%d %b %Y %H:%M} UTC" in page
    assert "deadline_extended by seller:owner@example.com" in page  # in the order's history


def test_a_bad_number_of_hours_or_a_paid_order_changes_nothing(app, seller, shop):
    db = app.extensions["database"]
    for hours in ("", "soon", "0", "-3", "100000"):
        post_form(seller, f"{PAGE}/deadline", {"hours": hours}, page=PAGE)
        assert "Nothing changed: give a number of hours" in seller.get(PAGE).get_data(as_text=True), hours
    with db.transaction() as session:
        session.execute(update(Order).where(Order.number == "A7K2Q9").values(status="paid"))
    post_form(seller, f"{PAGE}/deadline", {"hours": "24"}, page=PAGE)
    html = seller.get(PAGE).get_data(as_text=True)
    assert "Nothing changed: order A7K2Q9 is paid" in html and "Extend the payment deadline" not in html
    assert extensions(db) == [] and order(db).payment_due_at is None
    assert post_form(seller, "/seller/orders/ZZZZZZ/deadline", {"hours": "24"}).status_code == 404


def test_extending_needs_the_forms_csrf_token(app, seller, shop):
    assert seller.post(f"{PAGE}/deadline", data={"hours": "24"}).status_code == 400
    assert extensions(app.extensions["database"]) == []
