"""Order status changes. Each is one conditional UPDATE, so a change races safely and happens once."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from checkout.audit import record_audit
from checkout.db.database import rowcount
from checkout.db.models import Conversation, Order, OrderItem, Variant, utcnow
from checkout.email.transactional import queue_status_email
from checkout.errors import InvalidTransition
from checkout.notifications import queue_order_update
from checkout.promotions.redemption import release_use
from checkout.statuses import OrderStatus

# status -> the statuses it may come from
ALLOWED_FROM = {
    OrderStatus.PAID: (OrderStatus.AWAITING_PAYMENT,),
    OrderStatus.FULFILLED: (OrderStatus.PAID,),
    OrderStatus.CANCELLED: (OrderStatus.AWAITING_PAYMENT,),  # a paid order is refunded, not cancelled
    OrderStatus.EXPIRED: (OrderStatus.AWAITING_PAYMENT,),
    OrderStatus.REFUNDED: (OrderStatus.PAID, OrderStatus.FULFILLED),
}
# Stock goes back to the shelf when an order will never ship.
RELEASES_STOCK = (OrderStatus.CANCELLED, OrderStatus.EXPIRED)
# A promo code's use comes back when the order will never be paid for, or its money went back.
RELEASES_PROMO_USE = (OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REFUNDED)


def change_status(
    session: Session,
    order: Order,
    new_status: OrderStatus,
    actor: str,
    details: dict | None = None,
    notify_shopper: bool = True,
    allowed_from: tuple[OrderStatus, ...] | None = None,
) -> Order:
    """Moves the order to `new_status` or raises InvalidTransition (also when someone else just moved it).

    The shopper is told in their chat (through the outbox) unless they caused the change in the chat itself.
    `allowed_from` replaces ALLOWED_FROM for a caller that checked more than the status (a refund of money a
    cancelled order took: checkout.payments.refunds)."""
    allowed = allowed_from or ALLOWED_FROM.get(new_status)
    if not allowed:
        raise InvalidTransition(order.number, order.status, new_status)
    values = {"status": new_status, "updated_at": utcnow()}
    if new_status == OrderStatus.PAID:
        values["paid_at"] = utcnow()
    changed = rowcount(
        session.execute(
            update(Order)
            .where(Order.id == order.id, Order.status.in_(allowed))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(order)
    if changed != 1:
        raise InvalidTransition(order.number, order.status, new_status)
    if new_status in RELEASES_STOCK:
        release_stock(session, order)
    if new_status in RELEASES_PROMO_USE:
        release_use(session, order)
    if new_status == OrderStatus.PAID and order.conversation_id is not None:
        session.execute(
            update(Conversation)
            .where(Conversation.id == order.conversation_id)
            .values(had_paid_order=True)
            .execution_options(synchronize_session=False)
        )
    record_audit(session, actor, f"order.{new_status}", "order", order.number, details)
    if notify_shopper:
        queue_order_update(session, order, new_status)
    # Emailed even when the shopper caused the change in the chat: the email is their receipt. Only when they gave
    # an address, and only for the statuses shoppers are emailed about (checkout.email.kinds.STATUS_EMAILS).
    queue_status_email(session, order, new_status)
    return order


def release_stock(session: Session, order: Order) -> bool:
    """Puts reserved units back, once: the first caller to stamp stock_released_at does it."""
    stamped = rowcount(
        session.execute(
            update(Order)
            .where(Order.id == order.id, Order.stock_released_at.is_(None))
            .values(stock_released_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    )
    if stamped != 1:
        return False
    items = session.scalars(select(OrderItem).where(OrderItem.order_id == order.id, OrderItem.stock_reserved.is_(True)))
    for item in items:
        session.execute(
            update(Variant)
            .where(Variant.id == item.variant_id, Variant.stock.is_not(None))
            .values(stock=Variant.stock + item.quantity)
            .execution_options(synchronize_session=False)
        )
    session.refresh(order)
    return True


def customer_orders(session: Session, customer_id: int, limit: int = 5) -> list[Order]:
    """A customer's own orders, newest first: the only orders a shopper is ever shown."""
    return list(
        session.scalars(
            select(Order)
            .where(Order.customer_id == customer_id)
            .options(selectinload(Order.items))
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )


def customer_order(session: Session, customer_id: int, number: str) -> Order | None:
    """The order with this number if, and only if, it belongs to this customer."""
    return session.scalar(
        select(Order).where(Order.customer_id == customer_id, Order.number == number).options(selectinload(Order.items))
    )
