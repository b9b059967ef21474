"""Consent to offers, per customer and channel: every change kept (time, source, the wording shown), the latest
one also on the customer row so an audience is one query. Nobody receives an offer without a yes on record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.database import Database
from checkout.db.models import ConsentChange, Customer, utcnow
from checkout.marketing.attribution import latest_campaign_received
from checkout.marketing.audience import CAMPAIGN_CHAT_CHANNELS
from checkout.message_effects import MessageEffect, message_change
from checkout.statuses import ConsentChannel, ConsentSource

# Bumped whenever the words that ask for consent change (domain.yml's utter_ask_marketing_consent, the email
# footer), so each yes on record says what the customer was shown.
CONSENT_WORDING_VERSION = "2026-12-01"
BOTH_CHANNELS = (ConsentChannel.CHAT, ConsentChannel.EMAIL)


@dataclass(frozen=True)
class ConsentState:
    chat: bool
    email: bool
    email_address: str | None
    chat_reachable: bool  # whether campaigns can reach the chat they write from (not the web chat)


def record_consent(
    session: Session,
    customer: Customer,
    channels: Iterable[ConsentChannel],
    granted: bool,
    source: ConsentSource,
    *,
    email: str | None = None,
    campaign_id: int | None = None,
    wording_version: str = CONSENT_WORDING_VERSION,
    at: datetime | None = None,
) -> list[ConsentChange]:
    """Records a yes or no for each channel and makes it the customer's current consent there. An email yes
    needs an address (the one given, or the customer's)."""
    changes = []
    for channel in dict.fromkeys(channels):
        address = (email or customer.email) if channel == ConsentChannel.EMAIL else None
        if channel == ConsentChannel.EMAIL and granted and not address:
            continue  # consent to email without an address to send to would be a yes to nothing
        change = ConsentChange(
            customer_id=customer.id,
            channel=channel,
            granted=granted,
            source=source,
            wording_version=wording_version,
            email=address,
            campaign_id=campaign_id,
            created_at=at or utcnow(),
        )
        session.add(change)
        changes.append(change)
        if channel == ConsentChannel.CHAT:
            customer.marketing_consent = granted
        else:
            customer.email_consent = granted
    session.flush()
    return changes


def consent_state(customer: Customer) -> ConsentState:
    return ConsentState(
        customer.marketing_consent,
        customer.email_consent,
        customer.email,
        customer.channel in CAMPAIGN_CHAT_CHANNELS,
    )


def consent_history(session: Session, customer_id: int) -> list[ConsentChange]:
    """Every change, oldest first (the customer page and the privacy export show them)."""
    return list(
        session.scalars(
            select(ConsentChange).where(ConsentChange.customer_id == customer_id).order_by(ConsentChange.id)
        )
    )


# Each answer in the chat is one history row (and one unsubscribe in a campaign's report), however often the
# message's turn runs: claimed per shopper message (checkout/message_effects.py); a second run only reads.


def answer_checkout_question(
    db: Database, identity: ShopperIdentity, granted: bool, email: str | None, *, message_id: str | None = None
) -> ConsentState:
    """The checkout's one question: yes consents to offers in this chat and at the email given there; no (or no
    answer) is recorded as a no. Either way the question is not asked again."""
    with db.transaction() as session:
        customer = identify(session, identity)
        if message_change(customer.id, message_id, MessageEffect.CONSENT).claim(session):
            email = email or customer.email
            record_consent(session, customer, BOTH_CHANNELS, granted, ConsentSource.CHECKOUT, email=email)
            customer.consent_asked_at = utcnow()
        return consent_state(customer)


def subscribe_in_chat(
    db: Database, identity: ShopperIdentity, named: ConsentChannel | None, *, message_id: str | None = None
) -> ConsentState:
    """ "send me offers": the channel named, or both (email only with an address on record)."""
    with db.transaction() as session:
        customer = identify(session, identity)
        if message_change(customer.id, message_id, MessageEffect.CONSENT).claim(session):
            record_consent(session, customer, [named] if named else BOTH_CHANNELS, True, ConsentSource.CHAT)
        return consent_state(customer)


def unsubscribe_in_chat(
    db: Database,
    identity: ShopperIdentity,
    named: ConsentChannel | None,
    window_days: int,
    *,
    message_id: str | None = None,
) -> ConsentState:
    """ "stop sending me offers", "unsubscribe", "stop": the channel named, or both, at once. Credited to the
    latest campaign that reached the customer lately (the campaign report counts its unsubscribes)."""
    with db.transaction() as session:
        customer = identify(session, identity)
        if message_change(customer.id, message_id, MessageEffect.CONSENT).claim(session):
            campaign_id = latest_campaign_received(session, customer.id, utcnow(), window_days)
            channels = [named] if named else BOTH_CHANNELS
            record_consent(session, customer, channels, False, ConsentSource.CHAT, campaign_id=campaign_id)
        return consent_state(customer)


@dataclass(frozen=True)
class ConsentOffer:
    """Where the offers asked about would come: the chat they write from, the email given at checkout."""

    chat_reachable: bool
    email_reachable: bool


def offer_consent_question(
    db: Database, identity: ShopperIdentity, email: str | None, *, message_id: str | None = None
) -> ConsentOffer | None:
    """Whether the checkout asks about offers now: once per customer (noted as asked from now on), and only when an
    offer could reach them. Not answering leaves them without consent. The shopper message `message_id` that was
    answered with the question gets it again when its turn runs again (its first answer was lost)."""
    with db.transaction() as session:
        customer = identify(session, identity)
        chat = customer.channel in CAMPAIGN_CHAT_CHANNELS
        by_email = bool(email or customer.email)
        change = message_change(customer.id, message_id, MessageEffect.CONSENT_QUESTION)
        if change.earlier(session) is not None:
            return ConsentOffer(chat, by_email)
        if customer.consent_asked_at is not None or not (chat or by_email):
            return None
        if change.claim(session):  # else asked by the same message a moment ago
            customer.consent_asked_at = utcnow()
        return ConsentOffer(chat, by_email)
