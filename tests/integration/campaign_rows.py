"""A campaign's rows as the campaign service queues them (issue 14's contract): one outbox row and one recipient row
per Telegram customer, in one transaction; and the seller's stop. Built with the ORM, so the gateway's tests do not
depend on how the service picks its audience."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from checkout.db.models import Campaign, CampaignRecipient, Conversation, Customer, OutboxMessage, utcnow
from checkout.marketing.delivery import STOPPED_ERROR
from checkout.statuses import CampaignStatus, OutboxStatus, RecipientStatus


def add_telegram_customers(session: Session, chat_ids: list[int], with_conversation: bool = True) -> list[Customer]:
    """Shoppers who wrote to the bot: a customer per chat and, unless told otherwise, the conversation recorded."""
    customers = []
    for chat_id in chat_ids:
        customer = Customer(channel="telegram", channel_user_id=str(chat_id), name=f"Shopper {chat_id}")
        session.add(customer)
        session.flush()
        if with_conversation:
            session.add(Conversation(customer_id=customer.id, sender_id=str(chat_id), channel="telegram"))
        customers.append(customer)
    session.flush()
    return customers


def add_campaign(session: Session, name: str = "Winter sale", image_url: str | None = None) -> Campaign:
    campaign = Campaign(
        name=name,
        status=CampaignStatus.SENDING,
        message="Hi {first_name}, 20% off with {code}",
        image_url=image_url,
        currency="EUR",
        created_by="seller@example.com",
    )
    session.add(campaign)
    session.flush()
    return campaign


def queue_campaign(
    session: Session,
    campaign: Campaign,
    customers: list[Customer],
    text: Callable[[Customer], str] = lambda c: f"Hi {c.name}, 20% off with WINTER20",
) -> list[OutboxMessage]:
    """What the campaign service queues for each Telegram customer, in one transaction."""
    rows = []
    for customer in customers:
        row = OutboxMessage(
            channel="telegram",
            recipient=customer.channel_user_id,
            customer_id=customer.id,
            kind="campaign",
            campaign_id=campaign.id,
            text=text(customer),
            image_url=campaign.image_url,
            dedupe_key=f"campaign:{campaign.id}:{customer.id}:telegram",
        )
        session.add(row)
        session.flush()
        session.add(
            CampaignRecipient(
                campaign_id=campaign.id,
                customer_id=customer.id,
                channel="telegram",
                status=RecipientStatus.QUEUED,
                promo_code="WINTER20",
                outbox_message_id=row.id,
            )
        )
        rows.append(row)
    session.flush()
    return rows


def stop_campaign(session: Session, campaign_id: int) -> None:
    """The seller's stop, as the campaign service does it: the campaign stopped and, in the same transaction, its
    pending messages failed and their recipients stopped. A message a gateway already claimed is left to it."""
    session.execute(
        update(Campaign).where(Campaign.id == campaign_id).values(status=CampaignStatus.STOPPED, stopped_at=utcnow())
    )
    pending = list(
        session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.campaign_id == campaign_id, OutboxMessage.status == OutboxStatus.PENDING
            )
        )
    )
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(pending))
        .values(status=OutboxStatus.FAILED, last_error=STOPPED_ERROR)
    )
    session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.outbox_message_id.in_(pending))
        .values(status=RecipientStatus.STOPPED, error=STOPPED_ERROR)
    )
