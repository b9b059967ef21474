"""Who the shoppers are and everything they said: customers, conversations, messages, and the senders
who asked to be forgotten."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id", name="uq_customers_channel_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    # The channel's own id for the person (Telegram user id, Rasa sender id for the web chat).
    channel_user_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    # Current consent to offers, per channel: the latest of their consent_changes (marketing_consent: in the
    # chat they write from; email_consent: at `email`). consent_asked_at: the checkout asked once already.
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    email_consent: Mapped[bool] = mapped_column(default=False)
    consent_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The channel refused to deliver to them (a Telegram 403 "bot was blocked"): no campaign tries again.
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    forgotten_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    conversations: Mapped[list[Conversation]] = relationship(back_populates="customer")


class Conversation(Base):
    """One session of a customer with the assistant, ended by inactivity."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    # Rasa's conversation id (REST `sender`), shared by every session of the same chat.
    sender_id: Mapped[str] = mapped_column(String(255), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    had_cart: Mapped[bool] = mapped_column(default=False)
    had_order: Mapped[bool] = mapped_column(default=False)
    had_paid_order: Mapped[bool] = mapped_column(default=False)
    handoff_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handoff_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship(back_populates="conversations")
    messages: Mapped[list[Message]] = relationship(back_populates="conversation", order_by="Message.id")


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # "in" from the shopper, "out" to the shopper
    text: Mapped[str | None] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(64))
    # An NLU score, not money: a float is the right type.
    confidence: Mapped[float | None] = mapped_column(Float)
    entities: Mapped[list | None] = mapped_column(JSON)
    # Which model parsed it (Rasa's model_id from the event's metadata) and its top intents with confidences.
    model_id: Mapped[str | None] = mapped_column(String(64), index=True)
    intent_ranking: Mapped[list | None] = mapped_column(JSON)
    response_name: Mapped[str | None] = mapped_column(String(100))
    channel_message_id: Mapped[str | None] = mapped_column(String(100))
    # Where the row came from (e.g. a broker event id), unique so a replayed event is applied once.
    source_event_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class ForgottenSender(Base):
    """A Rasa sender id whose person asked to be forgotten, kept only as a hash keyed with the shop's secret
    (checkout.records.forgotten_chats): events still queued in a broker for it are dropped instead of recreating
    the records."""

    __tablename__ = "forgotten_senders"

    sender_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    forgotten_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
