"""Payment attempts, the files shoppers send as proof of payment, and the external events already applied."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checkout.statuses import PaymentStatus, RefundStatus

from .base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from .orders import Order


class Payment(Base):
    """One attempt to pay an order through one provider (manual, stripe, telegram)."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.PENDING)
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    url: Mapped[str | None] = mapped_column(String(1000))
    # The provider's id for the attempt (Stripe session id, Telegram charge id, bank reference).
    reference: Mapped[str | None] = mapped_column(String(255), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    provider_data: Mapped[dict | None] = mapped_column(JSON)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="payments")


class Refund(Base):
    """Money given back for one payment of an order (checkout/payments/refunds.py): at Stripe through its Refunds
    API, or by the seller at the provider or by hand (Telegram invoices, manual payments) with their reference.
    An order refunded with no payment row (marked paid by hand) has one refund without a payment."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=RefundStatus.REQUESTING)
    # What goes back; a Stripe refund takes the whole charge and its amount is what Stripe reports.
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # Stripe's refund id (re_...), or the seller's reference of the money they sent back.
    reference: Mapped[str | None] = mapped_column(String(255), index=True)
    # The Stripe PaymentIntent refunded: charge.refunded events name it, not the refund.
    provider_payment_id: Mapped[str | None] = mapped_column(String(255), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    # The exact request sent to Stripe, so asking again after a timeout sends it unchanged with the same key.
    request: Mapped[dict | None] = mapped_column(JSON)
    # Whether the order's items go back to stock when the refund succeeds.
    restock: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[str] = mapped_column(String(254))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PaymentProof(Base):
    """A file a shopper sent while their order awaited payment (a transfer receipt, a screenshot), for the
    seller to check. The bytes live in the database so every gateway and web instance sees the same file."""

    __tablename__ = "payment_proofs"
    __table_args__ = (UniqueConstraint("order_id", "file_unique_id", name="uq_payment_proofs_order_file"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    # The channel's ids for the file: file_id to fetch it again, file_unique_id to notice the same file twice.
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str] = mapped_column(String(100))
    mime_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    caption: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessedEvent(Base):
    """An external event (webhook, broker message, a shopper message's change) already applied; written in the
    same transaction."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_processed_events_provider_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(255))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What applying it produced (the number of the order a message placed), so a repeat answers as the first did.
    outcome: Mapped[str | None] = mapped_column(String(255))
