"""What chat gateways keep beside the commerce tables: proofs of payment shoppers send, long button payloads."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


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


class ButtonPayload(Base):
    """A button's Rasa payload under a short key: Telegram carries at most 64 bytes of button data, and a
    key we issued cannot be forged into a payload we never offered."""

    __tablename__ = "button_payloads"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
