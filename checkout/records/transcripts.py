"""Conversations and their messages: as the seller reads them, and as JSON objects (the privacy export,
`GET /api/customers/<id>/messages`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from checkout.db.models import Conversation, Message, Order
from checkout.orders.export import isoformat_utc


def message_to_dict(message: Message) -> dict:
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "direction": message.direction,
        "text": message.text,
        "intent": message.intent,
        "confidence": message.confidence,
        "entities": message.entities,
        "response_name": message.response_name,
        "channel_message_id": message.channel_message_id,
        "created_at": isoformat_utc(message.created_at),
    }


def conversation_to_dict(conversation: Conversation) -> dict:
    optional = lambda moment: isoformat_utc(moment) if moment else None  # noqa: E731
    return {
        "id": conversation.id,
        "customer_id": conversation.customer_id,
        "channel": conversation.channel,
        "sender_id": conversation.sender_id,
        "started_at": isoformat_utc(conversation.started_at),
        "last_message_at": isoformat_utc(conversation.last_message_at),
        "ended_at": optional(conversation.ended_at),
        "had_cart": conversation.had_cart,
        "had_order": conversation.had_order,
        "had_paid_order": conversation.had_paid_order,
        "handoff_requested_at": optional(conversation.handoff_requested_at),
        "handoff_released_at": optional(conversation.handoff_released_at),
    }


def customer_messages_query(customer_id: int) -> Select[Message]:
    """A customer's messages in the order they were said (conversation by conversation)."""
    return (
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.customer_id == customer_id)
        .order_by(Message.created_at, Message.id)
    )


def customer_messages(session: Session, customer_id: int, limit: int | None = None, offset: int = 0) -> list[Message]:
    return list(session.scalars(customer_messages_query(customer_id).limit(limit).offset(offset)))


def count_customer_messages(session: Session, customer_id: int) -> int:
    return session.execute(
        select(func.count()).select_from(customer_messages_query(customer_id).subquery())
    ).scalar_one()


def customer_conversations(session: Session, customer_id: int) -> list[Conversation]:
    return list(
        session.scalars(
            select(Conversation)
            .where(Conversation.customer_id == customer_id)
            .order_by(Conversation.started_at, Conversation.id)
        )
    )


@dataclass(frozen=True)
class Transcript:
    conversation: Conversation
    messages: list[Message]


def transcript(session: Session, conversation_id: int) -> Transcript | None:
    conversation = session.scalar(
        select(Conversation).where(Conversation.id == conversation_id).options(selectinload(Conversation.customer))
    )
    if conversation is None:
        return None
    messages = session.scalars(
        select(Message).where(Message.conversation_id == conversation.id).order_by(Message.created_at, Message.id)
    )
    return Transcript(conversation, list(messages))


def order_transcripts(session: Session, order: Order) -> list[Transcript]:
    """The conversation that produced the order; an order placed without one recorded falls back to the
    conversations of its chat up to the moment it was placed."""
    if order.conversation_id is not None:
        found = transcript(session, order.conversation_id)
        return [found] if found else []
    ids = session.scalars(
        select(Conversation.id)
        .where(Conversation.sender_id == order.sender_id, Conversation.started_at <= order.created_at)
        .order_by(Conversation.started_at.desc())
        .limit(1)
    )
    return [t for t in (transcript(session, i) for i in ids) if t]


def is_handed_over(conversation: Conversation) -> bool:
    return conversation.handoff_requested_at is not None and conversation.handoff_released_at is None
