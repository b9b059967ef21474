"""What the seller's pages read of marketing: the campaigns with their figures, one campaign as its page shows it
(the message as a recipient reads it, its discount, the preview while a draft, the report and recipients once
sent), whether email can carry campaigns, and one customer's consent and the campaign messages they received."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.db.database import Database
from checkout.db.models import Campaign, CampaignRecipient, ConsentChange, Customer, OutboxMessage, Promotion
from checkout.email.configuration import email_configured, marketing_email_error
from checkout.marketing.audience import CAMPAIGN_CHAT_CHANNELS, Audience
from checkout.marketing.campaigns import get_campaign, personalise, preview_campaign
from checkout.marketing.report import campaign_report, campaigns_overview
from checkout.money import Money
from checkout.orders.export import isoformat_utc
from checkout.settings import Settings
from checkout.statuses import CampaignStatus, ConsentChannel

SAMPLE_NAME = "Alex"  # the name the page and the test send fill {first_name} with


@dataclass(frozen=True)
class CampaignFigures:
    report: dict  # `shop campaign report`'s object
    revenue_minor: int
    paid_revenue_minor: int
    revenue_per_recipient_minor: int  # revenue over recipients (a customer by chat and email counts twice)

    @property
    def live(self) -> bool:
        """Queued and being delivered: the gateways are working through it."""
        return self.report["status"] == CampaignStatus.SENDING


def campaign_figures(report: dict) -> CampaignFigures:
    currency = report["currency"]
    revenue = Money.parse(report["revenue"], currency).amount_minor
    paid = Money.parse(report["paid_revenue"], currency).amount_minor
    recipients = report["recipients"]
    per_recipient = (2 * revenue + recipients) // (2 * recipients) if recipients else 0  # rounded half up
    return CampaignFigures(report, revenue, paid, per_recipient)


def campaign_list(db: Database) -> list[CampaignFigures]:
    """Every campaign, newest first, with its figures."""
    return [campaign_figures(report) for report in campaigns_overview(db)]


@dataclass(frozen=True)
class Discount:
    """What a campaign gives: one existing code for everyone, or one code per recipient from its batch."""

    code: str | None
    batch_prefix: str | None
    kind: str | None  # the batch's terms
    value: int | None  # percent, or minor units
    currency: str
    min_order_minor: int | None
    ends_at: datetime | None  # exclusive
    max_uses: int | None


@dataclass(frozen=True)
class RecipientRow:
    customer_id: int
    name: str | None
    channel: str
    status: str
    promo_code: str | None
    error: str | None
    sent_at: datetime | None


@dataclass(frozen=True)
class CampaignPage:
    campaign: Campaign
    figures: CampaignFigures
    sample: str  # the message as a recipient reads it, with a sample name and code
    discount: Discount | None
    audience: Audience | None  # a draft's preview: who a send would queue now, and who is left out and why
    recipients: list[RecipientRow]  # once sent: each message, oldest first


def campaign_page(db: Database, settings: Settings, campaign_id: int) -> CampaignPage:
    """Raises CampaignError for an unknown campaign."""
    with db.reading() as session:
        campaign = get_campaign(session, campaign_id)
        figures = campaign_figures(campaign_report(session, campaign))
        discount = _discount(session, campaign)
        recipients = _recipients(session, campaign_id)
        session.expunge_all()
    sample_code = (discount.code or f"{discount.batch_prefix}-XXXXXX") if discount else None
    audience = None
    if campaign.status == CampaignStatus.DRAFT:
        _, audience = preview_campaign(db, settings, campaign_id)  # the very list a send would queue
    return CampaignPage(
        campaign, figures, personalise(campaign.message, SAMPLE_NAME, sample_code), discount, audience, recipients
    )


def _discount(session: Session, campaign: Campaign) -> Discount | None:
    if campaign.promo_code:
        return Discount(campaign.promo_code, None, None, None, campaign.currency, None, None, None)
    promotion = session.get(Promotion, campaign.promotion_id) if campaign.promotion_id else None
    if promotion is None:
        return None
    return Discount(
        None,
        promotion.batch_prefix or "CODE",
        promotion.kind,
        promotion.value,
        promotion.currency,
        promotion.min_order_minor,
        promotion.ends_at,
        promotion.max_uses,
    )


def _recipients(session: Session, campaign_id: int) -> list[RecipientRow]:
    rows = session.execute(
        select(CampaignRecipient, Customer.name)
        .join(Customer, Customer.id == CampaignRecipient.customer_id)
        .where(CampaignRecipient.campaign_id == campaign_id)
        .order_by(CampaignRecipient.id)
    )
    return [
        RecipientRow(r.customer_id, name, r.channel, r.status, r.promo_code, r.error, r.sent_at) for r, name in rows
    ]


def email_notice(settings: Settings) -> str | None:
    """Why campaign emails cannot go out with these settings (the dashboard says so), or None."""
    if not email_configured(settings):
        return "Email is not set up (SMTP_URL and SHOP_EMAIL_FROM): email recipients are left out of every campaign"
    problem = marketing_email_error(settings)
    return f"Campaign emails would fail: {problem}" if problem else None


# One customer: consent and campaigns (the customer page and the privacy export).


@dataclass(frozen=True)
class ConsentRecord:
    at: datetime
    channel: str  # "chat", "email"
    granted: bool
    source: str  # checkout, chat, email_link, seller
    wording_version: str
    email: str | None  # the address an email consent is for
    campaign_id: int | None  # the campaign the customer unsubscribed from
    campaign_name: str | None


@dataclass(frozen=True)
class ConsentNow:
    chat: bool
    chat_channel: str  # the chat they write from ("telegram", "rest", ...)
    chat_reachable: bool  # a campaign can write to that chat first (not the web chat)
    email: bool
    email_address: str | None  # the address of their latest email consent, else the one on record
    asked_at: datetime | None  # when the checkout asked
    unreachable_at: datetime | None  # when their chat refused a message (blocked the bot)


@dataclass(frozen=True)
class CampaignReceived:
    campaign_id: int
    campaign_name: str
    channel: str
    status: str  # queued, sent, failed, stopped
    promo_code: str | None
    queued_at: datetime
    sent_at: datetime | None
    text: str | None  # the message as queued for them


def consent_records(session: Session, customer_id: int) -> list[ConsentRecord]:
    """Every consent change, oldest first, with the name of the campaign an unsubscribe answered."""
    rows = session.execute(
        select(ConsentChange, Campaign.name)
        .outerjoin(Campaign, Campaign.id == ConsentChange.campaign_id)
        .where(ConsentChange.customer_id == customer_id)
        .order_by(ConsentChange.id)
    )
    return [
        ConsentRecord(c.created_at, c.channel, c.granted, c.source, c.wording_version, c.email, c.campaign_id, name)
        for c, name in rows
    ]


def consent_now(customer: Customer, history: list[ConsentRecord]) -> ConsentNow:
    latest_email = next((r.email for r in reversed(history) if r.channel == ConsentChannel.EMAIL and r.email), None)
    return ConsentNow(
        customer.marketing_consent,
        customer.channel,
        customer.channel in CAMPAIGN_CHAT_CHANNELS,
        customer.email_consent,
        latest_email or customer.email,
        customer.consent_asked_at,
        customer.unreachable_at,
    )


def campaigns_received(session: Session, customer_id: int) -> list[CampaignReceived]:
    """The campaign messages queued for the customer, oldest first, whatever became of them."""
    rows = session.execute(
        select(CampaignRecipient, Campaign.name, OutboxMessage.text)
        .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == CampaignRecipient.outbox_message_id)
        .where(CampaignRecipient.customer_id == customer_id)
        .order_by(CampaignRecipient.id)
    )
    return [
        CampaignReceived(r.campaign_id, name, r.channel, r.status, r.promo_code, r.created_at, r.sent_at, text)
        for r, name, text in rows
    ]


def consent_record_to_dict(record: ConsentRecord) -> dict:
    return {
        "at": isoformat_utc(record.at),
        "channel": record.channel,
        "granted": record.granted,
        "source": record.source,
        "wording_version": record.wording_version,
        "email": record.email,
        "campaign_id": record.campaign_id,
        "campaign": record.campaign_name,
    }


def campaign_received_to_dict(received: CampaignReceived) -> dict:
    return {
        "campaign_id": received.campaign_id,
        "campaign": received.campaign_name,
        "channel": received.channel,
        "status": received.status,
        "promo_code": received.promo_code,
        "queued_at": isoformat_utc(received.queued_at),
        "sent_at": isoformat_utc(received.sent_at) if received.sent_at else None,
        "text": received.text,
    }
