"""Marketing: every consent change a customer made, campaigns, and one row per campaign message to a customer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from checkout.statuses import CampaignStatus, ConsentChannel, ConsentSource, RecipientStatus

from .base import Base, UTCDateTime, utcnow


def _known(column: str, values: Iterable[str]) -> CheckConstraint:
    return CheckConstraint(f"{column} IN (" + ",".join(f"'{v}'" for v in values) + ")", name=f"{column}_known")


class ConsentChange(Base):
    """One yes or no to offers, kept forever (until the customer is forgotten): the customer's current consent
    per channel is their latest change (also kept on the customer row, for the audience query)."""

    __tablename__ = "consent_changes"
    __table_args__ = (_known("channel", ConsentChannel), _known("source", ConsentSource))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    granted: Mapped[bool]
    source: Mapped[str] = mapped_column(String(20))
    # Which wording the customer saw when they answered (CONSENT_WORDING_VERSION at the time).
    wording_version: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))  # the address an email consent is for
    # The campaign whose message the customer unsubscribed from (email link, or a "stop" after it).
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (_known("status", CampaignStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default=CampaignStatus.DRAFT, index=True)
    message: Mapped[str] = mapped_column(Text)  # may hold {first_name} and {code}
    image_url: Mapped[str | None] = mapped_column(String(500))  # a product image, sent with the message
    segments: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every consenting customer
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)  # "chat", "email"; empty: both
    promo_code: Mapped[str | None] = mapped_column(String(32))  # one code for every recipient
    # A batch made for this campaign: each recipient gets one of its single-use codes.
    promotion_id: Mapped[int | None] = mapped_column(ForeignKey("promotions.id"))
    currency: Mapped[str] = mapped_column(String(3))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CampaignRecipient(Base):
    """One campaign message to one customer on one channel: queued once (the unique constraint), whatever
    crashes or restarts happen while sending."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id", "channel", name="uq_campaign_recipients_one_per_channel"),
        _known("status", RecipientStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))  # the outbox channel: "telegram", "email", ...
    status: Mapped[str] = mapped_column(String(10), default=RecipientStatus.QUEUED, index=True)
    promo_code: Mapped[str | None] = mapped_column(String(32))  # the code this recipient was given
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"), unique=True)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
