"""Messages to send outside a conversation turn (order updates, seller replies, seller alerts).

Written in the same transaction as the change they announce and sent afterwards by the channel's
gateway, so a notification is never sent for a change that rolled back, nor lost when sending fails.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from checkout.statuses import OutboxStatus

from .base import Base, UTCDateTime, utcnow

OUTBOX_STATUSES = tuple(status.value for status in OutboxStatus)


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which gateway delivers it ("telegram", "rest", ...) and to whom there (the chat / Rasa sender id).
    channel: Mapped[str] = mapped_column(String(32), index=True)
    recipient: Mapped[str] = mapped_column(String(255))
    # The customer it is to (shopper messages) or about (seller alerts; None when about no one).
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # order_paid, order_fulfilled, seller_reply, seller_alert, ...
    text: Mapped[str] = mapped_column(Text)  # an email's plain-text part
    buttons: Mapped[list | None] = mapped_column(JSON)
    subject: Mapped[str | None] = mapped_column(String(200))  # email only
    html: Mapped[str | None] = mapped_column(Text)  # an email's HTML part
    image_url: Mapped[str | None] = mapped_column(String(500))  # a picture sent with the text (campaigns)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    # The same announcement is queued once, however often the change is reported (e.g. "order:12:paid").
    dedupe_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    channel_message_id: Mapped[str | None] = mapped_column(String(100), index=True)
    # What the channel reported after accepting it (WhatsApp: delivered, read), for the seller.
    delivery_state: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
