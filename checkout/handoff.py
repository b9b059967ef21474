"""Handing a conversation to the seller and back. While handed over, the assistant stays silent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.assistant_client import AssistantClient
from checkout.audit import record_audit
from checkout.customers.identity import ShopperIdentity, current_conversation, identify
from checkout.db.database import Database
from checkout.db.models import Conversation, Customer, utcnow
from checkout.notifications import queue_for_seller


def request_handoff(session: Session, conversation: Conversation) -> None:
    """Pauses the assistant in this conversation and alerts the seller (once per handoff: asking again
    while the seller has not answered yet sends no second alert)."""
    already_open = conversation.handoff_requested_at is not None and conversation.handoff_released_at is None
    conversation.handoff_requested_at = utcnow()
    conversation.handoff_released_at = None
    if already_open:
        return
    session.flush()
    customer = session.get(Customer, conversation.customer_id)
    who = (customer.name or customer.username or "A shopper") if customer else "A shopper"
    queue_for_seller(
        session,
        "handoff",
        f"{who} ({conversation.channel}) asks for a person. Conversation: "
        f"{conversation.sender_id}; "
        f"hand it back with: shop handoff release {conversation.sender_id}",
        dedupe_key=f"seller:handoff:{conversation.id}:{conversation.handoff_requested_at.isoformat()}",
        customer=customer,
    )


def ask_for_a_person(db: Database, identity: ShopperIdentity) -> None:
    """The shopper asks for the seller: their conversation is handed over (request_handoff). Raises nothing."""
    with db.transaction() as session:
        customer = identify(session, identity)
        request_handoff(session, current_conversation(session, customer, identity))


def open_handoffs(session: Session) -> list[Conversation]:
    return list(
        session.scalars(
            select(Conversation)
            .where(Conversation.handoff_requested_at.is_not(None), Conversation.handoff_released_at.is_(None))
            .order_by(Conversation.handoff_requested_at)
        )
    )


def release_handoff(session: Session, sender_id: str, actor: str) -> int:
    """Marks the sender's handed-over conversations as back with the bot; returns how many there were."""
    conversations = [c for c in open_handoffs(session) if c.sender_id == sender_id]
    for conversation in conversations:
        conversation.handoff_released_at = utcnow()
        record_audit(session, actor, "conversation.handoff_released", "conversation", conversation.id)
    return len(conversations)


def hand_back_to_assistant(db: Database, assistant: AssistantClient, sender_id: str, actor: str) -> int:
    """The assistant answers this conversation again. Rasa is told first: if it cannot be (AssistantUnavailable
    is raised), the conversation stays with the seller rather than going silent. Returns how many open
    handoffs were closed (0: none was recorded)."""
    assistant.resume_conversation(sender_id)
    with db.transaction() as session:
        return release_handoff(session, sender_id, actor)
