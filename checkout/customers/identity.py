"""Who is writing: one customer per (channel, channel user id), one open conversation per customer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.db.models import Conversation, Customer, utcnow

# A conversation ends after this much silence; the next message starts a new one (same as Rasa's session).
CONVERSATION_TIMEOUT = timedelta(minutes=60)
# last_seen is refreshed at most this often, so answering a question is not a database write each time.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
PROFILE_FIELDS = ("name", "username", "language", "phone")
# Filled from the channel only while empty: what the shopper gave at checkout wins over the channel's profile.
CHECKOUT_FIELDS = ("name", "phone")


@dataclass(frozen=True)
class ShopperIdentity:
    channel: str
    channel_user_id: str
    sender_id: str
    profile: dict = field(default_factory=dict)

    @classmethod
    def from_rasa(cls, sender_id: str, input_channel: str | None, metadata: dict | None) -> ShopperIdentity:
        """Gateways put the channel's user in the REST metadata; a bare REST sender is its own user."""
        metadata = metadata or {}
        channel = str(metadata.get("channel") or input_channel or "rest")[:32]
        user_id = metadata.get("user_id")
        first, last = metadata.get("first_name"), metadata.get("last_name")
        profile = {
            "name": " ".join(p for p in (first, last) if p) or None,
            "username": metadata.get("username"),
            "language": metadata.get("language_code"),
            "phone": _phone(metadata.get("phone")),
        }
        return cls(
            channel,
            str(user_id if user_id is not None else sender_id)[:255],
            sender_id[:255],
            {k: str(v)[:100] for k, v in profile.items() if v},
        )


def identify(session: Session, identity: ShopperIdentity, at: datetime | None = None) -> Customer:
    """The customer for this identity, created on first contact; profile fields refreshed from the channel.

    `at` is when the shopper wrote (the records consumer replays events that may be minutes old)."""
    now = at or utcnow()
    customer = _find(session, identity)
    if customer is None:
        try:
            with session.begin_nested():
                customer = Customer(
                    channel=identity.channel, channel_user_id=identity.channel_user_id, first_seen=now, last_seen=now
                )
                session.add(customer)
        except IntegrityError:  # another process created it between our read and our insert
            customer = _find(session, identity)
            if customer is None:  # then the insert failed for another reason: that is the error to see
                raise
    if customer.forgotten_at is None:
        for key in PROFILE_FIELDS:
            if identity.profile.get(key) and (key not in CHECKOUT_FIELDS or not getattr(customer, key)):
                setattr(customer, key, identity.profile[key])
    if customer.last_seen is None or now - customer.last_seen > LAST_SEEN_RESOLUTION:
        customer.last_seen = now
    if customer.first_seen is None or now < customer.first_seen:
        customer.first_seen = now
    return customer


def _phone(value: object) -> str | None:
    """A channel's number (WhatsApp's wa_id: digits with the country code) written as shoppers write it."""
    digits = str(value or "").strip()
    return f"+{digits}" if digits.isdigit() and 6 <= len(digits) <= 15 else None


def _find(session: Session, identity: ShopperIdentity) -> Customer | None:
    return session.scalar(
        select(Customer).where(
            Customer.channel == identity.channel, Customer.channel_user_id == identity.channel_user_id
        )
    )


def current_conversation(
    session: Session, customer: Customer, identity: ShopperIdentity, at: datetime | None = None
) -> Conversation:
    """The customer's conversation in this chat at time `at` (now by default): the latest one, unless
    CONVERSATION_TIMEOUT of silence passed, which starts a new one.

    Actions call this while the shopper writes and the records consumer calls it for the same message a
    moment later (or much later, catching up), so both must land on the same conversation."""
    now = at or utcnow()
    conversation = session.scalar(
        select(Conversation)
        .where(
            Conversation.customer_id == customer.id,
            Conversation.sender_id == identity.sender_id,
            Conversation.started_at <= now + CONVERSATION_TIMEOUT,
        )
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(1)
    )
    if conversation is not None and now - conversation.last_message_at > CONVERSATION_TIMEOUT:
        if conversation.ended_at is None:
            conversation.ended_at = conversation.last_message_at
        conversation = None
    if conversation is None:
        conversation = Conversation(
            customer=customer,
            sender_id=identity.sender_id,
            channel=identity.channel,
            started_at=now,
            last_message_at=now,
        )
        session.add(conversation)
        session.flush()
    if now > conversation.last_message_at:
        conversation.last_message_at = now
    if now < conversation.started_at:
        conversation.started_at = now  # the action created it a moment after the message it answers
    return conversation
