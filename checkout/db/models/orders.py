"""Carts and orders with their price snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checkout.statuses import OrderStatus

from .base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:  # relationships to models filed in other modules
    from .catalog import Variant
    from .customers import Customer
    from .payments import Payment

ORDER_STATUSES = tuple(status.value for status in OrderStatus)  # plain strings, for CLI choices and messages


def _items_subtotal(context: DefaultExecutionContext) -> int:
    """An order inserted without a subtotal has neither discount nor delivery: its subtotal is its total."""
    return int(context.get_current_parameters()["total_minor"])


class Cart(Base):
    """A customer's open cart; one per customer so it survives across sessions."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), unique=True)
    # The promo code the shopper gave, kept even while it cannot apply yet (below its minimum, before its start).
    discount_code: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartItem.id"
    )


class CartItem(Base):
    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id", name="uq_cart_items_cart_variant"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    quantity: Mapped[int] = mapped_column(Integer)

    cart: Mapped[Cart] = relationship(back_populates="items")
    variant: Mapped[Variant] = relationship()


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ",".join(f"'{status}'" for status in OrderStatus) + ")",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(12), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.AWAITING_PAYMENT, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    sender_id: Mapped[str] = mapped_column(String(255), index=True)
    # Delivery details as given at checkout (the customer record may change later).
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_phone: Mapped[str | None] = mapped_column(String(40))
    customer_email: Mapped[str | None] = mapped_column(String(254))
    customer_address: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    # What is charged: subtotal (items) - discount + delivery.
    total_minor: Mapped[int] = mapped_column(Integer)
    subtotal_minor: Mapped[int] = mapped_column(Integer, default=_items_subtotal)
    discount_minor: Mapped[int] = mapped_column(Integer, default=0)
    discount_code: Mapped[str | None] = mapped_column(String(32))
    delivery_minor: Mapped[int] = mapped_column(Integer, default=0)
    # The campaign the order is credited to: its code was used, or the customer ordered soon after receiving it.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    # Set once when reserved stock goes back to the shelf (cancel, expiry), so it happens once.
    stock_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the seller must look at this order (e.g. a payment amount that did not match).
    flagged_reason: Mapped[str | None] = mapped_column(Text)
    fulfilment_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When an unpaid order expires (checkout.orders.deadlines), set when it is placed; None: no deadline (orders
    # not placed through checkout). The shopper is reminded once at payment_reminder_at, which the reminder stamps
    # into payment_reminded_at in the same transaction as the message it queues.
    payment_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    payments: Mapped[list[Payment]] = relationship(back_populates="order", order_by="Payment.id")
    customer: Mapped[Customer] = relationship()


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    # Copied at order time: a later catalog change never rewrites an order.
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    color: Mapped[str | None] = mapped_column(String(50))
    size: Mapped[str | None] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(Integer)
    # Whether this line took stock at order time (untracked SKUs reserve nothing).
    stock_reserved: Mapped[bool] = mapped_column(default=False)

    order: Mapped[Order] = relationship(back_populates="items")

    @property
    def line_total_minor(self) -> int:
        return self.unit_price_minor * self.quantity
