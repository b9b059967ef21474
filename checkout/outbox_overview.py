"""What became of the messages queued for a shopper, in the seller's words.

The outbox knows whether "Your order is on its way" went out, waits for a WhatsApp shopper to write again, or was
given up on; without this the seller only sees that they marked the order fulfilled. Read by the order page (that
order's notices and emails) and the conversation page and inbox (the seller's own replies)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.db.models import Conversation, OutboxMessage
from checkout.email.kinds import OrderEmail
from checkout.notifications import SELLER_CHANNEL
from checkout.seller_replies import RESPONSE_NAME
from checkout.statuses import DeliveryReport, OrderStatus, OutboxStatus

# The words a seller knows an announcement by; the chat's order updates are "order_<status>" (queue_order_update).
_ANNOUNCED = {
    OrderStatus.PAID: "Payment received",
    OrderStatus.FULFILLED: "On its way",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.EXPIRED: "Expired",
    OrderStatus.REFUNDED: "Refunded",
}
KIND_WORDS: dict[str, str] = {
    **{f"order_{status}": words for status, words in _ANNOUNCED.items()},
    OrderEmail.CONFIRMATION: "Order confirmation",
    OrderEmail.PAID: _ANNOUNCED[OrderStatus.PAID],
    OrderEmail.FULFILLED: _ANNOUNCED[OrderStatus.FULFILLED],
    OrderEmail.EXPIRED: _ANNOUNCED[OrderStatus.EXPIRED],
    RESPONSE_NAME: "Seller reply",
}
# What WhatsApp reports once a message reached the phone (checkout/whatsapp/delivery_states.py); "sent" adds nothing.
SEEN_STATES = (DeliveryReport.DELIVERED, DeliveryReport.READ)
UNSENT_WORDS = {
    OutboxStatus.HELD: "not deliverable until the shopper writes",
    OutboxStatus.FAILED: "not delivered",
    OutboxStatus.SENDING: "being sent",
    OutboxStatus.PENDING: "waiting to be sent",
}
PREVIEW_WIDTH = 140


@dataclass(frozen=True)
class ShopperMessage:
    queued_at: datetime
    channel: str
    what: str  # the kind in words
    preview: str  # the text shortened to a line ("" once erased for a forgotten customer)
    status: OutboxStatus
    state: str  # the status in words, short enough for a badge
    reason: str | None  # the error behind it, shown next to the badge (up to 500 characters)
    # A seller reply's key, which is also the source_event_id of its message in the conversation (seller_replies).
    key: str | None


def kind_in_words(kind: str) -> str:
    """A kind nobody named here yet ("payment_failed") still reads as words."""
    return KIND_WORDS.get(kind) or kind.replace("_", " ").capitalize()


def state_in_words(message: OutboxMessage) -> str:
    status = OutboxStatus(message.status)
    if status == OutboxStatus.SENT:
        return f"sent, {message.delivery_state}" if message.delivery_state in SEEN_STATES else "sent"
    return UNSENT_WORDS[status]


def reason_in_words(message: OutboxMessage) -> str | None:
    """Why a message did not go out: the error of a failed one, the last try's of one pending again after a failure
    (a timeout, a WhatsApp failure report), so the seller sees why it is late. A held one's state says it all."""
    if not message.last_error or message.status not in (OutboxStatus.FAILED, OutboxStatus.PENDING):
        return None
    return message.last_error if message.status == OutboxStatus.FAILED else f"last try: {message.last_error}"


def _shopper_message(message: OutboxMessage) -> ShopperMessage:
    return ShopperMessage(
        queued_at=message.created_at,
        channel=message.channel,
        what=kind_in_words(message.kind),
        preview=textwrap.shorten(message.text, PREVIEW_WIDTH, placeholder=" …") if message.text.strip() else "",
        status=OutboxStatus(message.status),
        state=state_in_words(message),
        reason=reason_in_words(message),
        key=message.dedupe_key,
    )


def order_messages(session: Session, order_id: int) -> list[ShopperMessage]:
    """The order's notices to the shopper in every channel (chat and email), oldest first; not the seller's alerts
    about it, which carry the order too."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.order_id == order_id, OutboxMessage.channel != SELLER_CHANNEL)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return [_shopper_message(row) for row in rows]


def seller_replies(session: Session, conversation: Conversation) -> list[ShopperMessage]:
    """The seller's replies to this conversation's chat, oldest first. By chat, not by conversation: a reply goes to
    the shopper's chat (recipient = sender id), whichever of that chat's conversations it was written in."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.kind == RESPONSE_NAME,
            OutboxMessage.channel == conversation.channel,
            OutboxMessage.recipient == conversation.sender_id,
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return [_shopper_message(row) for row in rows]


def held_reply_counts(session: Session, conversations: Sequence[Conversation]) -> dict[int, int]:
    """How many seller replies wait for each conversation's shopper to write: conversation id -> count, absent
    when none."""
    if not conversations:
        return {}
    rows = session.execute(
        select(OutboxMessage.channel, OutboxMessage.recipient, func.count())
        .where(
            OutboxMessage.kind == RESPONSE_NAME,
            OutboxMessage.status == OutboxStatus.HELD,
            OutboxMessage.recipient.in_({c.sender_id for c in conversations}),
        )
        .group_by(OutboxMessage.channel, OutboxMessage.recipient)
    )
    by_chat = {(channel, recipient): count for channel, recipient, count in rows}
    return {c.id: by_chat[c.channel, c.sender_id] for c in conversations if (c.channel, c.sender_id) in by_chat}
