"""Orders placed as checkout places them (stock reserved), and Stripe sessions attached to them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from checkout.carts import add_to_cart
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.models import Order, OutboxMessage, Payment, Variant, utcnow
from checkout.orders.placement import DeliveryDetails, place_order


def place(db, lines: list[tuple[str, int]], email: str | None = "ana@example.com", sender: str = "web-ana") -> str:
    with db.transaction() as session:
        customer = identify(session, ShopperIdentity("rest", sender, sender))
        for sku, quantity in lines:
            add_to_cart(session, customer, session.scalar(select(Variant).where(Variant.sku == sku)), quantity)
        details = DeliveryDetails("Ana Lima", "+33612345678", "1 rue du Test, 75001 Paris", email)
        return place_order(session, customer, None, details, "EUR").number


def payments(db, number: str) -> list[Payment]:
    with db.reading() as session:
        order = session.scalar(select(Order).where(Order.number == number))
        return list(session.scalars(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)))


def order(db, number: str) -> Order:
    with db.reading() as session:
        return session.scalar(select(Order).where(Order.number == number))


def open_session(db, number: str, expires_in: timedelta = timedelta(hours=1)) -> dict:
    """A pending Stripe attempt for the order, and the Checkout Session object Stripe holds for it."""
    session_id = f"cs_test_{uuid.uuid4().hex}"
    with db.transaction() as session:
        found = session.scalar(select(Order).where(Order.number == number))
        session.add(
            Payment(
                order_id=found.id,
                method="stripe",
                status="pending",
                amount_minor=found.total_minor,
                currency=found.currency,
                reference=session_id,
                url=f"https://checkout.test/{session_id}",
                expires_at=utcnow() + expires_in,
            )
        )
        total, currency = found.total_minor, found.currency
    return {
        "id": session_id,
        "object": "checkout.session",
        "status": "open",
        "payment_status": "unpaid",
        "amount_total": total,
        "currency": currency.lower(),
        "client_reference_id": number,
        "metadata": {"order_number": number},
        "payment_intent": None,
        "mode": "payment",
    }


def completed(checkout: dict, payment_status: str = "paid", **changes) -> dict:
    return {
        **checkout,
        "status": "complete",
        "payment_status": payment_status,
        "payment_intent": "pi_" + checkout["id"][-12:],
        "url": None,
        **changes,
    }


def outbox(db, **where) -> list[OutboxMessage]:
    with db.reading() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(session.scalars(query))


def count(db, model, *where) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))
