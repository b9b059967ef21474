"""Which campaign an order is credited to: the one whose code it uses, otherwise the latest campaign the customer
received within SHOP_CAMPAIGN_ATTRIBUTION_DAYS before ordering. Decided once, when the order is placed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from checkout.db.models import Campaign, CampaignRecipient, PromoCode
from checkout.statuses import RecipientStatus


def credited_campaign(
    session: Session, customer_id: int, code: str | None, now: datetime, window_days: int
) -> int | None:
    if code is not None:
        promotion_id = session.scalar(select(PromoCode.promotion_id).where(PromoCode.code == code))
        by_code = session.scalar(
            select(Campaign.id)
            .where(or_(Campaign.promo_code == code, Campaign.promotion_id == promotion_id))
            .order_by(Campaign.sent_at.desc(), Campaign.id.desc())
            .limit(1)
        )
        if by_code is not None:
            return by_code
    return session.scalar(
        select(CampaignRecipient.campaign_id)
        .where(
            CampaignRecipient.customer_id == customer_id,
            CampaignRecipient.status == RecipientStatus.SENT,
            CampaignRecipient.sent_at >= now - timedelta(days=window_days),
            CampaignRecipient.sent_at <= now,
        )
        .order_by(CampaignRecipient.sent_at.desc(), CampaignRecipient.id.desc())
        .limit(1)
    )


def latest_campaign_received(session: Session, customer_id: int, now: datetime, window_days: int) -> int | None:
    """The campaign a "stop" in the chat answers: the latest one that reached the customer lately."""
    return credited_campaign(session, customer_id, None, now, window_days)
