"""What a seller does to an order from the dashboard: mark paid, mark fulfilled (cancelling:
checkout.orders.cancellation).

Each is one transaction through change_status (one conditional update, audit-logged, shopper told via the
outbox) and returns the order's number; raises OrderNotFound, or InvalidTransition when the status does not allow it.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from checkout.db.database import Database
from checkout.db.models import Order, Payment, utcnow
from checkout.errors import CheckoutError
from checkout.orders.export import find_order
from checkout.orders.lifecycle import change_status
from checkout.statuses import OrderStatus, PaymentStatus

MAX_NOTE = 500


class OrderNotFound(CheckoutError):
    pass


def order_by_number(session: Session, number: str) -> Order:
    order = find_order(session, number)
    if order is None:
        raise OrderNotFound(f"there is no order {number!r}")
    return order


def mark_paid(db: Database, number: str, actor: str, reference: str | None = None) -> str:
    """For manual payments (bank transfer, cash): the seller saw the money arrive."""
    with db.transaction() as session:
        order = order_by_number(session, number)
        reference = (reference or "").strip()[:255] or None
        change_status(session, order, OrderStatus.PAID, actor, {"reference": reference} if reference else None)
        # The pending manual attempt is the one that got paid; provider payments are settled by their webhooks.
        values = {"status": PaymentStatus.PAID, "updated_at": utcnow()}
        if reference:
            values["reference"] = reference
        session.execute(
            update(Payment)
            .where(Payment.order_id == order.id, Payment.method == "manual", Payment.status == PaymentStatus.PENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return order.number


def mark_fulfilled(db: Database, number: str, actor: str, note: str | None = None) -> str:
    """Shipped or handed over; the note (a tracking number...) goes to the shopper with the notice."""
    with db.transaction() as session:
        order = order_by_number(session, number)
        note = (note or "").strip()[:MAX_NOTE] or None
        if note and order.status == OrderStatus.PAID:
            # Before the status change, which queues the notice that carries the note. If the change is
            # refused the transaction rolls back and the note goes with it.
            order.fulfilment_note = note
            session.flush()
        change_status(session, order, OrderStatus.FULFILLED, actor, {"note": note} if note else None)
        return order.number
