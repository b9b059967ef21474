"""Payment attempts of an order: which order may still be paid, and which attempts are still open."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from checkout.db.models import Order, Payment, utcnow
from checkout.errors import CheckoutError, InvalidTransition
from checkout.statuses import OrderStatus, PaymentStatus

# An attempt that may still end in a payment (checkout/statuses.py says what each status means); the others
# are final.
OPEN_STATUSES = (PaymentStatus.CREATING, PaymentStatus.PENDING, PaymentStatus.PROCESSING)


def order_awaiting_payment(session: Session, number: str, lock: bool = False) -> Order:
    """The order with its lines, if it can still be paid; raises InvalidTransition otherwise. With `lock`, its row
    stays locked to the end of the transaction (PostgreSQL; SQLite's writers are serialised anyway)."""
    query = select(Order).where(Order.number == number).options(selectinload(Order.items))
    order = session.scalar(query.with_for_update() if lock else query)
    if order is None:
        raise CheckoutError(f"there is no order {number}")
    if order.status != OrderStatus.AWAITING_PAYMENT:
        raise InvalidTransition(order.number, order.status, OrderStatus.PAID)
    return order


def other_open_attempt(session: Session, order: Order, but: Payment) -> Payment | None:
    """Another attempt that may still pay the order: a payment link not yet expired, or the manual method
    (a bank transfer has no deadline of its own: the order's applies, checkout.orders.deadlines). While one exists,
    one link expiring does not expire the order."""
    now = utcnow()
    for payment in session.scalars(
        select(Payment).where(Payment.order_id == order.id, Payment.id != but.id, Payment.status.in_(OPEN_STATUSES))
    ):
        if payment.status == PaymentStatus.PROCESSING or payment.expires_at is None or payment.expires_at > now:
            return payment
    return None


def order_of_attempt(session: Session, method: str, reference: str) -> tuple[str, str] | None:
    """(number, status) of the order a provider's attempt is for, e.g. the Stripe Checkout session a
    shopper comes back from; None when no attempt has that reference."""
    row = session.execute(
        select(Order.number, Order.status)
        .join(Payment, Payment.order_id == Order.id)
        .where(Payment.method == method, Payment.reference == reference)
    ).first()
    return (row[0], row[1]) if row else None
