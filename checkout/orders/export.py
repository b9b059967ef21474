"""The orders contract: the JSON objects of `shop orders export` and `GET /api/orders`, and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from checkout.db.models import Order
from checkout.money import Money
from checkout.spreadsheet_cells import spreadsheet_safe

_Columns = TypeVarTuple("_Columns")
CSV_COLUMNS = (
    "number",
    "status",
    "created_at",
    "channel",
    "sender_id",
    "customer_name",
    "customer_phone",
    "customer_email",
    "customer_address",
    "sku",
    "item_name",
    "color",
    "size",
    "quantity",
    "unit_price",
    "line_total",
    "total",
    "currency",
    "payment_method",
    "payment_status",
    # Added with promo codes and delivery fees; at the end so existing spreadsheets keep their columns.
    "subtotal",
    "discount_code",
    "discount",
    "delivery",
)


def isoformat_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_utc(value: str) -> datetime:
    """A date or date-time filter as typed ('2026-11-01', '2026-11-01T09:00'); UTC unless it says otherwise.
    Raises ValueError."""
    moment = datetime.fromisoformat(value.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def order_to_dict(order: Order) -> dict:
    money = lambda minor: Money(minor, order.currency).major_string()  # noqa: E731
    payment = order.payments[-1] if order.payments else None
    return {
        "number": order.number,
        "status": order.status,
        "created_at": isoformat_utc(order.created_at),
        "channel": order.channel,
        "sender_id": order.sender_id,
        "customer": {
            "name": order.customer_name,
            "phone": order.customer_phone,
            "email": order.customer_email,
            "address": order.customer_address,
        },
        "items": [
            {
                "sku": i.sku,
                "name": i.name,
                "color": i.color,
                "size": i.size,
                "quantity": i.quantity,
                "unit_price": money(i.unit_price_minor),
                "line_total": money(i.line_total_minor),
            }
            for i in order.items
        ],
        "subtotal": money(order.subtotal_minor),
        "discount": (
            {"code": order.discount_code, "amount": money(order.discount_minor)} if order.discount_code else None
        ),
        "delivery": money(order.delivery_minor),
        "total": money(order.total_minor),  # what is charged: subtotal - discount + delivery
        "currency": order.currency,
        "payment": {
            "method": payment.method if payment else None,
            "status": payment.status if payment else None,
            "url": payment.url if payment else None,
            "reference": payment.reference if payment else None,
        },
    }


def _filtered(
    query: Select[*_Columns], status: str | None, since: datetime | None, until: datetime | None
) -> Select[*_Columns]:
    if status:
        query = query.where(Order.status == status)
    if since:
        query = query.where(Order.created_at >= since)
    if until:
        query = query.where(Order.created_at < until)
    return query


def count_orders(
    session: Session, status: str | None = None, since: datetime | None = None, until: datetime | None = None
) -> int:
    return session.execute(_filtered(select(func.count(Order.id)), status, since, until)).scalar_one()


def find_orders(
    session: Session,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Order]:
    """Newest first; `since` and `until` bound created_at (inclusive, exclusive)."""
    query = _filtered(
        select(Order).options(selectinload(Order.items), selectinload(Order.payments)), status, since, until
    )
    query = query.order_by(Order.created_at.desc(), Order.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def orders_to_csv(orders: list[Order]) -> str:
    """One row per order line, the order's columns repeated, so a spreadsheet can sum either."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for order in orders:
        data = order_to_dict(order)
        c, p, d = data["customer"], data["payment"], data["discount"] or {}
        for item in data["items"]:
            writer.writerow(
                [
                    spreadsheet_safe(v)
                    for v in (
                        data["number"],
                        data["status"],
                        data["created_at"],
                        data["channel"],
                        data["sender_id"],
                        c["name"],
                        c["phone"],
                        c["email"],
                        c["address"],
                        item["sku"],
                        item["name"],
                        item["color"],
                        item["size"],
                        item["quantity"],
                        item["unit_price"],
                        item["line_total"],
                        data["total"],
                        data["currency"],
                        p["method"],
                        p["status"],
                        data["subtotal"],
                        d.get("code"),
                        d.get("amount"),
                        data["delivery"],
                    )
                ]
            )
    return out.getvalue()


def find_order(session: Session, number: str) -> Order | None:
    """One order by its number as a shopper or seller types it (any case), with its lines, payments and customer."""
    return session.scalar(
        select(Order)
        .where(Order.number == (number or "").strip().upper()[:12])
        .options(selectinload(Order.items), selectinload(Order.payments), selectinload(Order.customer))
    )


def orders_of_sender(session: Session, sender_id: str) -> list[Order]:
    """The orders placed from one chat, oldest first, with their lines."""
    query = select(Order).where(Order.sender_id == sender_id).options(selectinload(Order.items)).order_by(Order.id)
    return list(session.scalars(query))
