"""How many unpaid orders a shopper may hold at once (SHOP_MAX_OPEN_ORDERS): each one keeps stock off the shelf
until it is paid or expires, so a shopper (or a script posing as many chats' worth of one) cannot hold the
catalog for free. Asked when the checkout starts, and again, under a lock, when the order is placed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.db.models import Customer, Order
from checkout.errors import CheckoutError
from checkout.money import Money
from checkout.statuses import OrderStatus


@dataclass(frozen=True)
class OpenOrder:
    """An order of the shopper's still awaiting payment, as the refusal lists it."""

    number: str
    total: Money
    placed_at: datetime
    due_at: datetime | None  # when it expires unpaid (None: no deadline)


class TooManyOpenOrders(CheckoutError):
    """The shopper already has `limit` orders awaiting payment: they pay or cancel one before ordering again."""

    def __init__(self, limit: int, orders: list[OpenOrder]):
        super().__init__(f"{len(orders)} orders are waiting for payment (at most {limit} at once)")
        self.limit, self.orders = limit, orders


def open_orders(session: Session, customer_id: int) -> list[OpenOrder]:
    """The customer's orders awaiting payment, oldest first."""
    rows = session.scalars(
        select(Order)
        .where(Order.customer_id == customer_id, Order.status == OrderStatus.AWAITING_PAYMENT)
        .order_by(Order.created_at, Order.id)
    )
    return [OpenOrder(o.number, Money(o.total_minor, o.currency), o.created_at, o.payment_due_at) for o in rows]


def check_open_orders(session: Session, customer: Customer, limit: int, *, lock: bool = False) -> None:
    """Raises TooManyOpenOrders when `customer` already has `limit` orders awaiting payment. With `lock` (placing an
    order), the customer's row stays locked to the end of the transaction, so two checkouts at once cannot both
    count the same open orders and place one each (PostgreSQL; SQLite's writers take turns anyway)."""
    if lock:
        session.execute(select(Customer.id).where(Customer.id == customer.id).with_for_update())
    found = open_orders(session, customer.id)
    if len(found) >= limit:
        raise TooManyOpenOrders(limit, found)
