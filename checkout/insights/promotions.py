"""What promo codes gave and brought in over time: discount given and revenue of paid orders that used a code."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.customers.directory import as_datetime
from checkout.db.models import Order, PromoRedemption
from checkout.insights.periods import Bucket, bucket_index
from checkout.statuses import SPENDING_STATUSES


@dataclass(frozen=True)
class CodeSeries:
    buckets: list[Bucket]
    orders: list[int]  # paid orders with a code, by the bucket they were paid in
    discount_minor: list[int]  # what the codes saved those orders (discount plus waived delivery)
    revenue_minor: list[int]  # those orders' totals


def code_series(session: Session, buckets: list[Bucket], currency: str) -> CodeSeries:
    """Counted as revenue is on the sales charts: orders paid (or since fulfilled), on the day they were paid."""
    size = len(buckets)
    orders, discount, revenue = [0] * size, [0] * size, [0] * size
    start = buckets[0].start
    rows = session.execute(
        select(Order.created_at, Order.paid_at, Order.total_minor, PromoRedemption.discount_given_minor)
        .join(PromoRedemption, PromoRedemption.order_id == Order.id)
        .where(
            Order.currency == currency,
            Order.status.in_(SPENDING_STATUSES),
            (Order.created_at >= start) | (Order.paid_at >= start),
        )
    )
    for created_at, paid_at, total, given in rows:
        index = bucket_index(buckets, as_datetime(paid_at or created_at))
        if index is not None:
            orders[index] += 1
            discount[index] += given
            revenue[index] += total
    return CodeSeries(buckets, orders, discount, revenue)
