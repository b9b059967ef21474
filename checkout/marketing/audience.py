"""Who a campaign reaches, per channel, and who is left out and why: the preview the seller reads before sending
is the very list the send queues."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from checkout.customers.directory import customer_rows
from checkout.db.models import Customer
from checkout.notifications import latest_sender
from checkout.statuses import ConsentChannel
from checkout.whatsapp.window import CHANNEL as WHATSAPP
from checkout.whatsapp.window import window_open

EMAIL = "email"  # the outbox channel of email
# Chat channels whose gateway can write first (a push). The web chat cannot: its shoppers are reached by email.
CAMPAIGN_CHAT_CHANNELS = ("telegram", "whatsapp")


class Exclusion(StrEnum):
    NO_CONSENT = "no_consent"
    BLOCKED = "blocked_the_bot"
    NO_EMAIL = "no_email"
    EMAIL_OFF = "email_not_set_up"
    WEB_CHAT = "web_chat_email_only"
    OUTSIDE_WINDOW = "outside_whatsapp_window"


EXCLUSION_LABELS = {
    Exclusion.NO_CONSENT: "has not said yes to offers here",
    Exclusion.BLOCKED: "blocked the bot",
    Exclusion.NO_EMAIL: "no email address",
    Exclusion.EMAIL_OFF: "email is not set up (SMTP_URL)",
    Exclusion.WEB_CHAT: "web chat cannot be written to first: email only",
    Exclusion.OUTSIDE_WINDOW: "wrote in WhatsApp over 24 hours ago: WhatsApp takes offers only within 24 hours",
}


@dataclass(frozen=True)
class Recipient:
    customer: Customer
    channel: str  # the outbox channel: "telegram", "email"
    address: str  # the chat id, or the email address

    @property
    def first_name(self) -> str:
        return ((self.customer.name or "").split() or [""])[0]


@dataclass(frozen=True)
class Excluded:
    customer: Customer
    channel: str
    reason: Exclusion


@dataclass(frozen=True)
class Audience:
    recipients: list[Recipient]
    excluded: list[Excluded]

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(r.channel for r in self.recipients))

    @property
    def customer_count(self) -> int:
        return len({r.customer.id for r in self.recipients})


def campaign_audience(
    session: Session, segments: Iterable[str], channels: Iterable[str], currency: str, email_on: bool
) -> Audience:
    """Customers in the segments (none named: every customer), on the channels asked (none: chat and email), who
    consented there and can be reached. Forgotten customers are nobody's audience."""
    wanted_segments = set(segments)
    wanted = set(channels) or {ConsentChannel.CHAT, ConsentChannel.EMAIL}
    recipients: list[Recipient] = []
    excluded: list[Excluded] = []
    for row in sorted(customer_rows(session, currency), key=lambda r: r.customer.id):
        customer = row.customer
        if customer.forgotten_at is not None or (wanted_segments and row.segment not in wanted_segments):
            continue
        if ConsentChannel.CHAT in wanted:
            reason = chat_exclusion(session, customer)
            if reason is None:
                recipients.append(Recipient(customer, customer.channel, latest_sender(session, customer)))
            else:
                excluded.append(Excluded(customer, customer.channel, reason))
        if ConsentChannel.EMAIL in wanted:
            reason = email_exclusion(customer, email_on)
            if reason is None:
                recipients.append(Recipient(customer, EMAIL, customer.email or ""))
            else:
                excluded.append(Excluded(customer, EMAIL, reason))
    return Audience(recipients, excluded)


def chat_exclusion(session: Session, customer: Customer) -> Exclusion | None:
    if customer.channel not in CAMPAIGN_CHAT_CHANNELS:
        return Exclusion.WEB_CHAT
    if not customer.marketing_consent:
        return Exclusion.NO_CONSENT
    if customer.unreachable_at is not None:
        return Exclusion.BLOCKED
    # Outside the window WhatsApp takes only approved templates, and our one template is for order updates:
    # an offer sent as an order update would break Meta's rules and get the number flagged.
    if customer.channel == WHATSAPP and not window_open(session, latest_sender(session, customer)):
        return Exclusion.OUTSIDE_WINDOW
    return None


def email_exclusion(customer: Customer, email_on: bool) -> Exclusion | None:
    if not customer.email:
        return Exclusion.NO_EMAIL
    if not customer.email_consent:
        return Exclusion.NO_CONSENT
    if not email_on:
        return Exclusion.EMAIL_OFF
    return None


def audience_to_dict(audience: Audience) -> dict:
    """The JSON of `shop campaign preview --format json`."""
    return {
        "recipients": [
            {"customer_id": r.customer.id, "name": r.customer.name, "channel": r.channel} for r in audience.recipients
        ],
        "excluded": [
            {"customer_id": e.customer.id, "name": e.customer.name, "channel": e.channel, "reason": str(e.reason)}
            for e in audience.excluded
        ],
        "counts": audience.counts,
    }
