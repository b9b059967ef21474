"""Building blocks for integration tests: the demo catalog and orders made directly with the ORM."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.catalog.importer import import_catalog
from checkout.db.models import Customer, Order, OrderItem, Payment, Variant

DEMO_CSV = Path(__file__).resolve().parents[2] / "data" / "catalog" / "demo.csv"


def at(text: str) -> datetime:
    """'2026-11-22 10:15' as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def load_demo_catalog(db) -> None:
    with db.transaction() as session:
        result = import_catalog(session, DEMO_CSV.read_bytes(), "EUR")
    assert result.ok, result.errors


def add_customer(
    session: Session, channel_user_id: str, name: str | None = None, channel: str = "rest", **fields
) -> Customer:
    customer = Customer(channel=channel, channel_user_id=channel_user_id, name=name, **fields)
    session.add(customer)
    session.flush()
    return customer


def add_order(
    session: Session,
    customer: Customer,
    number: str,
    lines: list[tuple[str, int]],
    created_at: datetime,
    status: str = "awaiting_payment",
    payments: list[dict] | None = None,
    names: dict[str, str] | None = None,
    **fields,
) -> Order:
    """An order for `lines` of (sku, quantity), priced from the catalog as checkout would."""
    order = Order(
        number=number,
        status=status,
        customer_id=customer.id,
        channel=customer.channel,
        sender_id=customer.channel_user_id,
        currency="EUR",
        total_minor=0,
        created_at=created_at,
        **{"customer_name": customer.name, **fields},
    )
    for sku, quantity in lines:
        variant = session.scalar(select(Variant).where(Variant.sku == sku))
        order.items.append(
            OrderItem(
                variant_id=variant.id,
                sku=variant.sku,
                name=(names or {}).get(sku, variant.product.name),
                color=variant.color,
                size=variant.size,
                quantity=quantity,
                unit_price_minor=variant.price_minor,
            )
        )
    order.total_minor = sum(item.unit_price_minor * item.quantity for item in order.items)
    session.add(order)
    session.flush()
    for payment in payments or []:
        session.add(Payment(order_id=order.id, amount_minor=order.total_minor, currency=order.currency, **payment))
    session.flush()
    return order
