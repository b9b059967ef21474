"""A seller answering a handed-over conversation from the dashboard.

The reply goes out through the outbox (the shopper's channel gateway delivers it) and is recorded as an
outbound message of the conversation, both in one transaction. Each reply form carries a one-time token:
the same form sent twice (double click, reload) queues and records the reply once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.audit import record_audit
from checkout.db.database import Database
from checkout.db.models import Conversation, Customer, Message
from checkout.errors import CheckoutError
from checkout.notifications import queue_for_customer

MAX_REPLY = 4000
RESPONSE_NAME = "seller_reply"


class ConversationNotFound(CheckoutError):
    pass


def reply_to_shopper(db: Database, conversation_id: int, text: str, actor: str, form_token: str) -> bool:
    """The seller's reply to a conversation, queued for the shopper's chat; False when this form was already
    sent (a double click). Raises ConversationNotFound, or ReplyRefused when it cannot be sent."""
    with db.transaction() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise ConversationNotFound(f"there is no conversation {conversation_id}")
        return reply_to_conversation(session, conversation, text, actor, form_token)


class ReplyRefused(CheckoutError):
    pass


def reply_to_conversation(session: Session, conversation: Conversation, text: str, actor: str, form_token: str) -> bool:
    """Queues and records the reply. False when this form's reply was already sent."""
    text = (text or "").strip()
    if not text:
        raise ReplyRefused("the reply is empty")
    if len(text) > MAX_REPLY:
        raise ReplyRefused(f"the reply is longer than {MAX_REPLY} characters")
    if not form_token or len(form_token) > 64:
        raise ReplyRefused("the form has expired; reload the page")
    key = f"seller_reply:{form_token}"
    if session.scalar(select(Message.id).where(Message.source_event_id == key)) is not None:
        return False
    customer = session.get_one(Customer, conversation.customer_id)
    # Delivered to the customer's latest chat: the handed-over conversation is the one they are writing in.
    queued = queue_for_customer(session, customer, RESPONSE_NAME, text, dedupe_key=key)
    if queued is None:
        return False
    session.add(
        Message(
            conversation_id=conversation.id,
            direction="out",
            text=text,
            response_name=RESPONSE_NAME,
            source_event_id=key,
        )
    )
    record_audit(session, actor, "conversation.seller_reply", "conversation", conversation.id, {"outbox_id": queued.id})
    return True
