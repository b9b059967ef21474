"""Customer lists with what sellers ask first: how many orders, how much spent, when last."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from checkout.db.models import Customer, Order
from checkout.money import Money
from checkout.orders.export import isoformat_utc
from checkout.spreadsheet_cells import spreadsheet_safe
from checkout.statuses import SPENDING_STATUSES

# Orders whose money the seller keeps.
CSV_COLUMNS = (
    "id",
    "channel",
    "channel_user_id",
    "name",
    "username",
    "phone",
    "email",
    "address",
    "language",
    "marketing_consent",
    "email_consent",
    "first_seen",
    "last_seen",
    "order_count",
    "total_spent",
    "currency",
    "last_order_at",
)


def customer_stats_query(currency: str) -> Select[Customer, int, int, datetime]:
    """Customers with order count, total spent (paid and fulfilled, in `currency`) and last order: one query."""
    spent = func.coalesce(
        func.sum(Order.total_minor).filter(Order.status.in_(SPENDING_STATUSES), Order.currency == currency), 0
    )
    return (
        select(
            Customer,
            func.count(Order.id).label("order_count"),
            spent.label("total_spent_minor"),
            func.max(Order.created_at).label("last_order_at"),
        )
        .outerjoin(Order, Order.customer_id == Customer.id)
        .group_by(Customer.id)
        .order_by(Customer.id)
    )


def customer_to_dict(
    customer: Customer, order_count: int, total_spent_minor: int, last_order_at: datetime | str | None, currency: str
) -> dict:
    return {
        "id": customer.id,
        "channel": customer.channel,
        "channel_user_id": customer.channel_user_id,
        "name": customer.name,
        "username": customer.username,
        "phone": customer.phone,
        "email": customer.email,
        "address": customer.address,
        "language": customer.language,
        "marketing_consent": customer.marketing_consent,  # to offers in the chat they write from
        "email_consent": customer.email_consent,  # to offers by email
        "first_seen": isoformat_utc(customer.first_seen),
        "last_seen": isoformat_utc(customer.last_seen),
        "order_count": order_count,
        "total_spent": Money(int(total_spent_minor), currency).major_string(),
        "currency": currency,
        # SQLite's max() hands back text; the ORM column type is lost in an aggregate.
        "last_order_at": _iso(last_order_at),
    }


def _iso(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        value = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return isoformat_utc(value)


def export_customers(
    session: Session, currency: str, limit: int | None = None, offset: int = 0, customer_id: int | None = None
) -> list[dict]:
    """Customers in id order as the CLI and the JSON API give them; a page of them; or one."""
    query = customer_stats_query(currency).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    if customer_id is not None:
        query = query.where(Customer.id == customer_id)
    return [customer_to_dict(*row, currency=currency) for row in session.execute(query)]


def count_customers(session: Session) -> int:
    return session.scalar(select(func.count(Customer.id))) or 0


def customer_exists(session: Session, customer_id: int) -> bool:
    return session.get(Customer, customer_id) is not None


def customers_to_csv(customers: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for customer in customers:
        writer.writerow({k: spreadsheet_safe(customer[k]) for k in CSV_COLUMNS})
    return out.getvalue()
