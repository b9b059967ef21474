"""What a campaign did: recipients, sent, failed, unsubscribes, and the orders and revenue credited to it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.db.database import Database
from checkout.db.models import Campaign, CampaignRecipient, ConsentChange, Order
from checkout.errors import CheckoutError
from checkout.money import Money
from checkout.statuses import SPENDING_STATUSES, CampaignStatus, OrderStatus, RecipientStatus

# Orders that no longer bring money: not counted in a campaign's orders or revenue.
LOST_STATUSES = (OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REFUNDED)


def shown_status(campaign: Campaign, queued: int) -> str:
    """A campaign being sent is "sent" once nothing of it is queued any more."""
    if campaign.status == CampaignStatus.SENDING and queued == 0:
        return CampaignStatus.SENT
    return campaign.status


def campaign_report(session: Session, campaign: Campaign) -> dict:
    """The JSON object of `shop campaign report` (money as decimal strings, as in the orders JSON)."""
    by_status = dict(
        session.execute(
            select(CampaignRecipient.status, func.count())
            .where(CampaignRecipient.campaign_id == campaign.id)
            .group_by(CampaignRecipient.status)
        ).all()
    )
    orders = session.execute(
        select(Order.status, Order.total_minor).where(
            Order.campaign_id == campaign.id, Order.status.not_in(LOST_STATUSES)
        )
    ).all()
    unsubscribed = session.scalar(
        select(func.count(func.distinct(ConsentChange.customer_id))).where(
            ConsentChange.campaign_id == campaign.id, ConsentChange.granted.is_(False)
        )
    )
    queued = by_status.get(RecipientStatus.QUEUED, 0)
    revenue = sum(total for _, total in orders)
    paid = sum(total for status, total in orders if status in SPENDING_STATUSES)
    recipients = sum(by_status.values())
    return {
        "id": campaign.id,
        "name": campaign.name,
        "status": shown_status(campaign, queued),
        "recipients": recipients,
        "queued": queued,
        "sent": by_status.get(RecipientStatus.SENT, 0),
        "failed": by_status.get(RecipientStatus.FAILED, 0) + by_status.get(RecipientStatus.STOPPED, 0),
        "unsubscribed": int(unsubscribed or 0),
        "orders": len(orders),
        "revenue": Money(revenue, campaign.currency).major_string(),
        "paid_revenue": Money(paid, campaign.currency).major_string(),
        "currency": campaign.currency,
    }


def list_campaigns(session: Session) -> list[dict]:
    """Every campaign, newest first, with its report."""
    campaigns = session.scalars(select(Campaign).order_by(Campaign.id.desc()))
    return [campaign_report(session, c) for c in campaigns]


def report_campaign(db: Database, campaign_id: int) -> dict:
    with db.reading() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise CheckoutError(f"there is no campaign {campaign_id}")
        return campaign_report(session, campaign)


def campaigns_overview(db: Database) -> list[dict]:
    with db.reading() as session:
        return list_campaigns(session)
