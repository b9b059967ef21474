"""Conversations as the seller reads them: every message in order, with what the assistant understood."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from checkout.db.models import Conversation, Message, Order


@dataclass(frozen=True)
class Transcript:
    conversation: Conversation
    messages: list[Message]


def transcript(session: Session, conversation_id: int) -> Transcript | None:
    conversation = session.scalar(select(Conversation).where(Conversation.id == conversation_id)
                                  .options(selectinload(Conversation.customer)))
    if conversation is None:
        return None
    messages = session.scalars(select(Message).where(Message.conversation_id == conversation.id)
                               .order_by(Message.created_at, Message.id))
    return Transcript(conversation, list(messages))


def order_transcripts(session: Session, order: Order) -> list[Transcript]:
    """The conversation that produced the order; an order placed without one recorded falls back to the
    conversations of its chat up to the moment it was placed."""
    if order.conversation_id is not None:
        found = transcript(session, order.conversation_id)
        return [found] if found else []
    ids = session.scalars(select(Conversation.id).where(Conversation.sender_id == order.sender_id,
                                                        Conversation.started_at <= order.created_at)
                          .order_by(Conversation.started_at.desc()).limit(1))
    return [t for t in (transcript(session, i) for i in ids) if t]


def is_handed_over(conversation: Conversation) -> bool:
    return conversation.handoff_requested_at is not None and conversation.handoff_released_at is None
