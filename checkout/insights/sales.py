"""Revenue and orders over time, top products and best customers, in the shop's currency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.customers.directory import as_datetime
from checkout.db.models import Order, OrderItem
from checkout.insights.periods import Bucket, bucket_index
from checkout.statuses import SPENDING_STATUSES


@dataclass(frozen=True)
class Series:
    buckets: list[Bucket]
    orders: list[int]  # orders placed in the bucket, whatever became of them
    revenue_minor: list[int]  # money of orders paid in the bucket (paid or fulfilled now)


@dataclass(frozen=True)
class ProductSales:
    name: str
    quantity: int
    revenue_minor: int


def sales_series(session: Session, buckets: list[Bucket], currency: str) -> Series:
    orders, revenue = [0] * len(buckets), [0] * len(buckets)
    start = buckets[0].start
    rows = session.execute(
        select(Order.created_at, Order.paid_at, Order.status, Order.total_minor).where(
            Order.currency == currency, (Order.created_at >= start) | (Order.paid_at >= start)
        )
    )
    for created_at, paid_at, status, total in rows:
        placed = bucket_index(buckets, as_datetime(created_at))
        if placed is not None:
            orders[placed] += 1
        if status in SPENDING_STATUSES:
            # Orders marked paid before paid_at existed count on the day they were placed.
            paid = bucket_index(buckets, as_datetime(paid_at or created_at))
            if paid is not None:
                revenue[paid] += total
    return Series(buckets, orders, revenue)


def top_products(session: Session, since: datetime, currency: str, limit: int = 8) -> list[ProductSales]:
    revenue = func.sum(OrderItem.unit_price_minor * OrderItem.quantity)
    rows = session.execute(
        select(OrderItem.name, func.sum(OrderItem.quantity), revenue)
        .join(Order, Order.id == OrderItem.order_id)
        .where(Order.status.in_(SPENDING_STATUSES), Order.currency == currency, Order.created_at >= since)
        .group_by(OrderItem.name)
        .order_by(revenue.desc(), OrderItem.name)
        .limit(limit)
    )
    return [ProductSales(name, int(quantity), int(money)) for name, quantity, money in rows]
