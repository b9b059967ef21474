"""What a chat gateway asks and records while it sends a campaign's messages (queued in the outbox by the campaign
service): is the campaign still wanted, and, once a message is sent, its place in the customer's transcript."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from checkout.customers.identity import ShopperIdentity, current_conversation
from checkout.db.models import Campaign, CampaignRecipient, Conversation, Customer, Message, OutboxMessage, utcnow
from checkout.notifications import mark_sent
from checkout.statuses import CampaignStatus, OutboxStatus, RecipientStatus

STOPPED_ERROR = "campaign stopped"
RESPONSE_NAME = "campaign"  # the transcript's name for a campaign message, as Rasa's utter_* names its own


def campaign_stopped(session: Session, campaign_id: int) -> bool:
    """Checked just before each send: stopping a campaign fails the messages still pending, but not one a gateway
    had already claimed. One read by primary key."""
    return session.scalar(select(Campaign.status).where(Campaign.id == campaign_id)) == CampaignStatus.STOPPED


def drop_stopped(session: Session, message_id: int) -> None:
    """A claimed message of a stopped campaign, not sent: failed, its recipient stopped (as the stop itself does
    to the pending ones)."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.FAILED, last_error=STOPPED_ERROR)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.outbox_message_id == message_id, CampaignRecipient.status == RecipientStatus.QUEUED)
        .values(status=RecipientStatus.STOPPED, error=STOPPED_ERROR)
        .execution_options(synchronize_session=False)
    )


def mark_campaign_message_sent(session: Session, message_id: int, channel_message_id: str | None) -> None:
    """Marks the message sent (and its recipient) and writes it into the customer's transcript, in one
    transaction, so the seller sees every campaign message the shopper got, beside what they answered."""
    mark_sent(session, message_id, channel_message_id)
    message = session.get_one(OutboxMessage, message_id)
    key = f"outbox:{message_id}"
    if message.customer_id is None or session.scalar(select(Message.id).where(Message.source_event_id == key)):
        return
    session.add(
        Message(
            conversation_id=_conversation(session, message, message.customer_id).id,
            direction="out",
            text=message.text,
            response_name=RESPONSE_NAME,
            channel_message_id=channel_message_id,
            source_event_id=key,
            created_at=utcnow(),
        )
    )


def _conversation(session: Session, message: OutboxMessage, customer_id: int) -> Conversation:
    """The customer's latest conversation in the chat it went to, left as it was: a campaign message is not the
    shopper talking, so it starts no conversation of its own (the insights' funnel counts conversations), and a
    reply to it is recorded the usual way. A chat with no conversation recorded gets one."""
    latest = session.scalar(
        select(Conversation)
        .where(Conversation.customer_id == customer_id, Conversation.sender_id == message.recipient)
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(1)
    )
    if latest is not None:
        return latest
    customer = session.get_one(Customer, customer_id)
    identity = ShopperIdentity(message.channel, customer.channel_user_id, message.recipient)
    return current_conversation(session, customer, identity)
