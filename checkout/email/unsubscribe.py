"""The unsubscribe link of marketing emails: a signed token naming the customer and the campaign, no login.

`<SHOP_PUBLIC_URL>/unsubscribe/<token>`: a GET only shows the question (mail scanners follow links), a POST - the
page's button, or a mail client's RFC 8058 one-click POST - withdraws the customer's email consent. The token does
not expire (an old email's link must still work) and can be used any number of times; once unsubscribed, a POST
records nothing new."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from checkout.db.database import Database
from checkout.db.models import Customer
from checkout.marketing.consent import record_consent
from checkout.settings import Settings
from checkout.statuses import ConsentChannel, ConsentSource

SALT = "email-unsubscribe"  # a token signed for another purpose with the same key is no unsubscribe token
PATH = "/unsubscribe/"


@dataclass(frozen=True)
class UnsubscribeLink:
    customer_id: int
    campaign_id: int | None


@dataclass(frozen=True)
class UnsubscribeState:
    shop_name: str
    masked_email: str  # who the page is about, without showing a forwarded email's reader the whole address
    subscribed: bool  # False: no more offers by email (already, or since this request)
    changed: bool = False  # this request unsubscribed them


def _serializer(secret_key: str) -> URLSafeSerializer:
    if not secret_key:
        raise ValueError("SHOP_SECRET_KEY is not set: unsubscribe links cannot be signed")
    return URLSafeSerializer(secret_key, salt=SALT)


def unsubscribe_token(secret_key: str, customer_id: int, campaign_id: int | None) -> str:
    return str(_serializer(secret_key).dumps([customer_id, campaign_id]))


def read_unsubscribe_token(secret_key: str, token: str) -> UnsubscribeLink | None:
    """The link's customer and campaign, or None for a forged, garbled or foreign token."""
    try:
        value = _serializer(secret_key).loads(token)
    except (BadSignature, ValueError):
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or not (value[1] is None or isinstance(value[1], int))
    ):
        return None
    return UnsubscribeLink(value[0], value[1])


def unsubscribe_url(settings: Settings, customer_id: int, campaign_id: int | None) -> str:
    return settings.public_url + PATH + unsubscribe_token(settings.shop_secret_key, customer_id, campaign_id)


def unsubscribe_state(db: Database, settings: Settings, token: str) -> UnsubscribeState | None:
    """What the link's page shows (the GET: changes nothing). None: no such link."""
    link = read_unsubscribe_token(settings.shop_secret_key, token)
    if link is None:
        return None
    with db.reading() as session:
        customer = session.get(Customer, link.customer_id)
        if customer is None:
            return None
        return _state(settings, customer)


def unsubscribe_by_link(db: Database, settings: Settings, token: str) -> UnsubscribeState | None:
    """The POST: withdraws the customer's email consent (only that: chat consent is theirs to change in the chat),
    recorded as coming from this campaign's email link. Idempotent. None: no such link, nothing changed."""
    link = read_unsubscribe_token(settings.shop_secret_key, token)
    if link is None:
        return None
    with db.transaction() as session:
        # Locked, so a mail client's one-click POST and the shopper's click at the same moment record one change.
        customer = session.get(Customer, link.customer_id, with_for_update=True)
        if customer is None:
            return None
        changed = customer.email_consent and customer.forgotten_at is None
        if changed:
            record_consent(
                session,
                customer,
                [ConsentChannel.EMAIL],
                False,
                ConsentSource.EMAIL_LINK,
                campaign_id=link.campaign_id,
            )
        return _state(settings, customer, changed)


def _state(settings: Settings, customer: Customer, changed: bool = False) -> UnsubscribeState:
    subscribed = customer.email_consent and customer.forgotten_at is None
    return UnsubscribeState(settings.shop_name, mask_email(customer.email or ""), subscribed, changed)


def mask_email(address: str) -> str:
    """'marie.dupont@example.com' -> 'm***@example.com'."""
    local, at, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if at and local else ""
