"""What a claimed email row becomes when it is sent, or why it must not be sent at all.

The checks run at send time, not only at queue time, because hours can pass between the two: a customer who
unsubscribed or was forgotten meanwhile gets nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from checkout.db.models import Customer, Order
from checkout.email.configuration import marketing_email_error
from checkout.email.kinds import OrderEmail
from checkout.email.order_content import how_to_pay, order_subject, order_view
from checkout.email.rendering import render_parts
from checkout.email.unsubscribe import unsubscribe_url
from checkout.marketing.campaigns import CAMPAIGN_KIND
from checkout.settings import Settings


class NotSendable(Exception):
    """This row can never be sent (the reason is stored on it); another try would not change that."""


@dataclass(frozen=True)
class ClaimedEmail:
    """An email outbox row as claimed (plain values: the session that read it is closed by the time it is sent)."""

    id: int
    kind: str
    recipient: str
    customer_id: int | None
    order_id: int | None
    campaign_id: int | None
    subject: str | None
    text: str
    image_url: str | None


@dataclass(frozen=True)
class Draft:
    recipient: str
    subject: str
    text: str
    html: str
    unsubscribe_url: str | None = None  # set for marketing: the List-Unsubscribe headers carry it


def draft_email(session: Session, settings: Settings, row: ClaimedEmail) -> Draft:
    """Raises NotSendable."""
    if not row.text.strip():
        raise NotSendable("nothing to send (text erased)")
    customer = session.get(Customer, row.customer_id) if row.customer_id is not None else None
    if customer is not None and customer.forgotten_at is not None:
        raise NotSendable("the customer was forgotten")
    if row.kind == CAMPAIGN_KIND:
        return _campaign_draft(settings, row, customer)
    try:
        kind = OrderEmail(row.kind)
    except ValueError:
        raise NotSendable(f"unknown email kind {row.kind!r}") from None
    return _order_draft(session, settings, row, kind)


def _order_draft(session: Session, settings: Settings, row: ClaimedEmail, kind: OrderEmail) -> Draft:
    order = session.get(Order, row.order_id) if row.order_id is not None else None
    if order is None:
        raise NotSendable("the order email names no order")
    if not order.customer_email:
        raise NotSendable("the order has no email address any more")
    subject = order_subject(kind, order, settings)
    text, html = render_parts(
        kind.template,
        subject=subject,
        shop_name=settings.shop_name,
        postal_address=settings.shop_postal_address,
        order=order_view(order),
        how_to_pay=how_to_pay(order, settings),
    )
    return Draft(row.recipient, subject, text, html)


def _campaign_draft(settings: Settings, row: ClaimedEmail, customer: Customer | None) -> Draft:
    if customer is None:
        raise NotSendable("the campaign email names no customer")
    if not customer.email_consent:
        raise NotSendable("no consent to offers by email (unsubscribed, or never said yes)")
    if (customer.email or "").strip().lower() != row.recipient.strip().lower():
        raise NotSendable("the customer's email address changed since it was queued; their consent is not for this one")
    problem = marketing_email_error(settings)
    if problem:
        raise NotSendable(problem)
    link = unsubscribe_url(settings, customer.id, row.campaign_id)
    subject = row.subject or settings.shop_name
    image = row.image_url if (row.image_url or "").startswith(("https://", "http://")) else None
    text, html = render_parts(
        "campaign",
        subject=subject,
        shop_name=settings.shop_name,
        postal_address=settings.shop_postal_address,
        text=row.text.strip(),
        paragraphs=paragraphs(row.text),
        image_url=image,
        unsubscribe_url=link,
    )
    return Draft(row.recipient, subject, text, html, unsubscribe_url=link)


def paragraphs(text: str) -> list[list[str]]:
    """The seller's plain text as paragraphs (split at blank lines) of lines, for the HTML part."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    return [block.splitlines() for block in blocks if block]
