"""The seller's customer list: order count, spend, last order, last seen, segment; sortable and filterable.

One aggregate query; sorting and the segment filter run over its rows (the segment needs every paying
customer's spend), which is fine for a small seller's tens of thousands of customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import overload

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from checkout.customers.segments import Purchases, best_spend_threshold, segment
from checkout.db.models import Customer, Order, utcnow
from checkout.orders.export import parse_utc
from checkout.orders.search import Page
from checkout.statuses import SPENDING_STATUSES

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SORTS = {
    "name": lambda r: (r.customer.name or "").casefold(),
    "orders": lambda r: r.order_count,
    "spent": lambda r: r.spent_minor,
    "last_order": lambda r: r.last_order_at or _EPOCH,
    "last_seen": lambda r: r.customer.last_seen,
}


@dataclass(frozen=True)
class CustomerRow:
    customer: Customer
    order_count: int
    spent_minor: int
    last_order_at: datetime | None
    segment: str | None


def _paid(currency: str) -> ColumnElement[bool]:
    return Order.status.in_(SPENDING_STATUSES) & (Order.currency == currency)


def spend_threshold(session: Session, currency: str) -> int:
    """The spend that makes a best customer, from every paying customer's total (one light query)."""
    spends = session.scalars(select(func.sum(Order.total_minor)).where(_paid(currency)).group_by(Order.customer_id))
    return best_spend_threshold([int(s) for s in spends])


def customer_rows(
    session: Session, currency: str, customer_id: int | None = None, top_spenders: int | None = None
) -> list[CustomerRow]:
    """Every customer with their figures and segment; or one customer; or the `top_spenders` by spend."""
    paid = _paid(currency)
    spent = func.coalesce(func.sum(Order.total_minor).filter(paid), 0)
    query = (
        select(
            Customer,
            func.count(Order.id),
            spent,
            func.max(Order.created_at),
            func.count(Order.id).filter(paid),
            func.min(Order.created_at).filter(paid),
            func.max(Order.created_at).filter(paid),
        )
        .outerjoin(Order, Order.customer_id == Customer.id)
        .group_by(Customer.id)
    )
    if customer_id is not None:
        query = query.where(Customer.id == customer_id)
    if top_spenders is not None:
        query = query.order_by(spent.desc(), Customer.id).limit(top_spenders)
    threshold = spend_threshold(session, currency)
    now = utcnow()
    result = []
    for customer, count, spent_minor, last_order, paid_count, first_paid, last_paid in session.execute(query):
        purchases = Purchases(paid_count, int(spent_minor), as_datetime(first_paid), as_datetime(last_paid))
        result.append(
            CustomerRow(customer, count, int(spent_minor), as_datetime(last_order), segment(purchases, now, threshold))
        )
    return result


def list_customers(
    session: Session,
    currency: str,
    sort: str = "last_seen",
    descending: bool = True,
    segment_filter: str | None = None,
    query: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page:
    rows = customer_rows(session, currency)
    if segment_filter:
        rows = [r for r in rows if r.segment == segment_filter]
    text = (query or "").strip().casefold()
    if text:
        rows = [
            r
            for r in rows
            if any(
                text in (v or "").casefold()
                for v in (r.customer.name, r.customer.phone, r.customer.email, r.customer.username)
            )
        ]
    rows.sort(key=lambda r: r.customer.id, reverse=descending)  # ties keep a stable, sensible order
    rows.sort(key=SORTS.get(sort, SORTS["last_seen"]), reverse=descending)
    pages = max(1, -(-len(rows) // page_size))
    page = min(max(1, page), pages)
    return Page(rows[(page - 1) * page_size : page * page_size], page, pages, len(rows))


@overload
def as_datetime(value: datetime | str) -> datetime: ...
@overload
def as_datetime(value: datetime | str | None) -> datetime | None: ...
def as_datetime(value: datetime | str | None) -> datetime | None:
    """Aggregates lose the column type on SQLite (text comes back); make it an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        return parse_utc(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
