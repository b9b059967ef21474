"""What chat gateways keep beside the commerce tables: long button payloads under short keys, and the messages a
webhook channel (WhatsApp) delivered, kept until a worker has handled them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class ButtonPayload(Base):
    """A button's Rasa payload under a short key: Telegram carries at most 64 bytes of button data, and a
    key we issued cannot be forged into a payload we never offered."""

    __tablename__ = "button_payloads"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundMessage(Base):
    """A shopper's message as the channel's webhook delivered it, stored before the webhook is answered.

    Meta retries a webhook that is slow to answer, so the answer cannot wait for Rasa: the message is kept here and
    a worker hands it to Rasa. The unique (channel, message_id) applies each message once, across retries and
    restarts; `received_at` of a chat's latest message opens WhatsApp's 24-hour window for free-form replies."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("channel", "message_id", name="uq_inbound_messages_channel_message"),
        Index("ix_inbound_messages_chat", "channel", "chat_id", "received_at"),
        Index("ix_inbound_messages_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str] = mapped_column(String(255))  # WhatsApp's wamid
    chat_id: Mapped[str] = mapped_column(String(64))  # the shopper's wa_id
    # The message and the sender's profile as delivered; emptied once handled (it holds what the shopper wrote).
    body: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))  # InboundStatus
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the shopper sent it (the channel's time)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when a worker took it
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
