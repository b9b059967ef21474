"""The seller's campaign tasks: create, preview, test-send, send, stop; each audit-logged.

Sending queues, in one transaction, one campaign_recipients row and one outbox row per (customer, channel) of the
audience the preview showed; the gateways deliver them at their channel's pace. The unique constraints make a
second send, a double click or a crash half-way unable to queue anyone twice."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from checkout.audit import record_audit
from checkout.db.database import Database, rowcount
from checkout.db.models import Campaign, CampaignRecipient, OutboxMessage, Promotion, utcnow
from checkout.email.configuration import email_configured
from checkout.errors import CheckoutError
from checkout.marketing.audience import EMAIL, Audience, Recipient, campaign_audience
from checkout.marketing.delivery import STOPPED_ERROR
from checkout.notifications import SELLER_CHANNEL, queue_for_seller
from checkout.promotions.admin import PromoSpec, batch_head, draw_codes, new_batch_promotion, promo_details
from checkout.promotions.kinds import SEGMENT_NAMES
from checkout.promotions.redemption import find_code
from checkout.settings import Settings
from checkout.statuses import CampaignStatus, ConsentChannel, OutboxStatus, RecipientStatus

CAMPAIGN_KIND = "campaign"
MAX_MESSAGE = 2000  # a chat message, not a newsletter: Telegram's caption limit is 1024, its text limit 4096
CHANNEL_CHOICES = tuple(c.value for c in ConsentChannel)  # what a seller picks: "chat", "email"
PLACEHOLDER = re.compile(r"\{(first_name|code)\}")


class CampaignError(CheckoutError):
    """A campaign the seller asked for that cannot be made, sent or stopped (said in the seller's words)."""


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    message: str  # may hold {first_name} and {code}
    segments: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()  # "chat", "email"; none: both
    image_url: str | None = None
    code: str | None = None  # an existing code for everyone
    batch_prefix: str | None = None  # or one single-use code per recipient, drawn at send time...
    batch: PromoSpec | None = None  # ...from this definition
    currency: str = "EUR"


def personalise(message: str, first_name: str, code: str | None) -> str:
    """{first_name} and {code} filled in; nothing else in the seller's text is read as a placeholder. A code the
    text does not mention is added at the end, so a shopper always sees what to type."""
    values = {"first_name": first_name or "there", "code": code or ""}
    text = PLACEHOLDER.sub(lambda m: values[m.group(1)], message)
    if code and "{code}" not in message:
        text += f"\n\nYour code: {code}"
    return text.strip()


def _checked(spec: CampaignSpec) -> None:
    if not spec.name.strip():
        raise CampaignError("give the campaign a name")
    if not spec.message.strip():
        raise CampaignError("write the message")
    if len(spec.message) > MAX_MESSAGE:
        raise CampaignError(f"the message is {len(spec.message)} characters; at most {MAX_MESSAGE}")
    unknown = set(spec.segments) - set(SEGMENT_NAMES)
    if unknown:
        raise CampaignError(f"unknown segment(s) {', '.join(sorted(unknown))}; use {', '.join(SEGMENT_NAMES)}")
    channels = set(spec.channels) - set(CHANNEL_CHOICES)
    if channels:
        raise CampaignError(f"unknown channel(s) {', '.join(sorted(channels))}; use chat or email")
    if spec.code and spec.batch_prefix:
        raise CampaignError("give either one code for everyone or a batch, not both")
    if spec.image_url and not re.fullmatch(r"https?://\S{1,490}", spec.image_url):
        raise CampaignError("the image must be an http(s) address")


def create_campaign(db: Database, spec: CampaignSpec, actor: str) -> int:
    """A draft campaign; its batch's definition (if any) is made now and its codes drawn when it is sent."""
    _checked(spec)
    with db.transaction() as session:
        campaign = Campaign(
            name=spec.name.strip()[:120],
            message=spec.message.strip(),
            image_url=spec.image_url or None,
            segments=list(dict.fromkeys(spec.segments)),
            channels=list(dict.fromkeys(spec.channels)),
            currency=spec.currency,
            created_by=actor,
        )
        if spec.code:
            code = find_code(session, spec.code)
            if code is None:
                raise CampaignError(f"there is no code {spec.code.strip().upper()}")
            campaign.promo_code = code.code
        if spec.batch_prefix:
            if spec.batch is None:
                raise CampaignError("say what the batch's codes do")
            head = batch_head(spec.batch_prefix)
            # single use unless the seller said otherwise: one code per recipient
            batch = spec.batch if spec.batch.max_uses else replace(spec.batch, max_uses=1)
            promotion = new_batch_promotion(batch, head)
            session.add(promotion)
            session.flush()
            campaign.promotion_id = promotion.id
        session.add(campaign)
        session.flush()
        details = {
            "name": campaign.name,
            "segments": campaign.segments,
            "channels": campaign.channels,
            "code": campaign.promo_code,
            "batch": promo_details(spec.batch) if spec.batch_prefix and spec.batch else None,
        }
        record_audit(session, actor, "campaign.create", "campaign", campaign.id, details)
        return campaign.id


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignError(f"there is no campaign {campaign_id}")
    return campaign


def preview_campaign(db: Database, settings: Settings, campaign_id: int) -> tuple[Campaign, Audience]:
    """The exact recipients per channel and who is left out and why, as a send would queue them now."""
    with db.reading() as session:
        campaign = get_campaign(session, campaign_id)
        audience = campaign_audience(
            session, campaign.segments, campaign.channels, campaign.currency, email_configured(settings)
        )
        return campaign, audience


def send_campaign(db: Database, settings: Settings, campaign_id: int, actor: str) -> int:
    """Queues the campaign to its audience as of now; returns how many messages were queued. A campaign is sent
    once: a second send (or a second click) is refused."""
    with db.transaction() as session:
        won = rowcount(
            session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.status == CampaignStatus.DRAFT)
                .values(status=CampaignStatus.SENDING, sent_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        )
        campaign = get_campaign(session, campaign_id)
        if won != 1:
            raise CampaignError(f"campaign {campaign_id} is {campaign.status}: a campaign is sent once")
        session.refresh(campaign)
        audience = campaign_audience(
            session, campaign.segments, campaign.channels, campaign.currency, email_configured(settings)
        )
        codes = _codes_for(session, campaign, audience)
        for recipient in audience.recipients:
            _queue(session, settings, campaign, recipient, codes.get(recipient.customer.id))
        if not audience.recipients:
            campaign.status = CampaignStatus.SENT
        record_audit(session, actor, "campaign.send", "campaign", campaign.id, {"queued": audience.counts or {}})
        return len(audience.recipients)


def _codes_for(session: Session, campaign: Campaign, audience: Audience) -> dict[int, str | None]:
    """Each recipient's code: the campaign's one code, or one drawn from its batch per customer (a customer
    reached by chat and by email gets the same code, so it is one single-use code)."""
    customers = sorted({r.customer.id for r in audience.recipients})
    if campaign.promotion_id is None:
        return dict.fromkeys(customers, campaign.promo_code)
    promotion = session.get_one(Promotion, campaign.promotion_id)
    head = (promotion.batch_prefix or "C") + "-"
    drawn = draw_codes(session, promotion, head, len(customers))
    return dict(zip(customers, drawn, strict=True))


def _queue(session: Session, settings: Settings, campaign: Campaign, recipient: Recipient, code: str | None) -> None:
    text = personalise(campaign.message, recipient.first_name, code)
    message = OutboxMessage(
        channel=recipient.channel,
        recipient=recipient.address,
        customer_id=recipient.customer.id,
        kind=CAMPAIGN_KIND,
        campaign_id=campaign.id,
        text=text,
        image_url=campaign.image_url,
        subject=email_subject(settings, campaign) if recipient.channel == EMAIL else None,
        dedupe_key=f"campaign:{campaign.id}:{recipient.customer.id}:{recipient.channel}",
    )
    session.add(message)
    session.flush()
    session.add(
        CampaignRecipient(
            campaign_id=campaign.id,
            customer_id=recipient.customer.id,
            channel=recipient.channel,
            promo_code=code,
            outbox_message_id=message.id,
        )
    )


def email_subject(settings: Settings, campaign: Campaign) -> str:
    """The shop's name and the campaign's: the seller names a campaign for the shoppers' inboxes too."""
    return f"{settings.shop_name}: {campaign.name}"[:150]


def stop_campaign(db: Database, campaign_id: int, actor: str) -> int:
    """Stops the campaign: what is still queued is never sent (a message a gateway is sending this very second may
    still go). Returns how many messages were held back."""
    with db.transaction() as session:
        campaign = get_campaign(session, campaign_id)
        if campaign.status == CampaignStatus.STOPPED:
            return 0
        campaign.status = CampaignStatus.STOPPED
        campaign.stopped_at = utcnow()
        pending = list(
            session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.campaign_id == campaign_id, OutboxMessage.status == OutboxStatus.PENDING
                )
            )
        )
        if pending:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(pending), OutboxMessage.status == OutboxStatus.PENDING)
                .values(status=OutboxStatus.FAILED, last_error=STOPPED_ERROR)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(CampaignRecipient)
                .where(
                    CampaignRecipient.outbox_message_id.in_(pending),
                    CampaignRecipient.status == RecipientStatus.QUEUED,
                )
                .values(status=RecipientStatus.STOPPED)
                .execution_options(synchronize_session=False)
            )
        record_audit(session, actor, "campaign.stop", "campaign", campaign_id, {"held_back": len(pending)})
        return len(pending)


def send_test_message(db: Database, settings: Settings, campaign_id: int, actor: str) -> str:
    """The message as a recipient would read it (with a sample name and code), to the seller's own chat."""
    with db.transaction() as session:
        campaign = get_campaign(session, campaign_id)
        sample_code = campaign.promo_code or (
            f"{_batch_prefix(session, campaign)}-XXXXXX" if campaign.promotion_id else None
        )
        text = personalise(campaign.message, "Alex", sample_code)
        queue_for_seller(session, "campaign_test", f"Test of campaign {campaign.name!r}:\n\n{text}")
        record_audit(session, actor, "campaign.test_send", "campaign", campaign_id, {"channel": SELLER_CHANNEL})
        return text


def _batch_prefix(session: Session, campaign: Campaign) -> str:
    promotion = session.get(Promotion, campaign.promotion_id) if campaign.promotion_id else None
    return (promotion.batch_prefix if promotion else None) or "CODE"
