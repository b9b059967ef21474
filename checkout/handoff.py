"""Handing a conversation to the seller and back. While handed over, the assistant stays silent."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.audit import record_audit
from checkout.db.models import Conversation, utcnow


def request_handoff(session: Session, conversation: Conversation) -> None:
    conversation.handoff_requested_at = utcnow()
    conversation.handoff_released_at = None


def open_handoffs(session: Session) -> list[Conversation]:
    return list(session.scalars(
        select(Conversation).where(Conversation.handoff_requested_at.is_not(None),
                                   Conversation.handoff_released_at.is_(None))
        .order_by(Conversation.handoff_requested_at)
    ))


def release_handoff(session: Session, sender_id: str, actor: str) -> int:
    """Marks the sender's handed-over conversations as back with the bot; returns how many there were."""
    conversations = [c for c in open_handoffs(session) if c.sender_id == sender_id]
    for conversation in conversations:
        conversation.handoff_released_at = utcnow()
        record_audit(session, actor, "conversation.handoff_released", "conversation", conversation.id)
    return len(conversations)
