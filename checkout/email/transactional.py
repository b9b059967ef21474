"""Queueing the order emails, in the transaction of the change they announce, once per order and kind.

The row names only the order and the kind; the sender renders the email when it sends it, from the order row and
the settings. Why at send time: the lifecycle code that queues it has no settings (shop name, payment instructions)
and should not need them; the payment method of a new order is only chosen after the order commits, so how to pay
is known then, not here; and no copy of the shopper's address and items is left in the outbox for forgetting to
erase (the order row is anonymised in place)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.db.models import Order, OutboxMessage
from checkout.email.kinds import EMAIL_CHANNEL, STATUS_EMAILS, OrderEmail


def queue_order_email(session: Session, order: Order, kind: OrderEmail) -> OutboxMessage | None:
    """Queues one order email to the address given at checkout. None: the order has no email address, or this
    email was queued before."""
    address = (order.customer_email or "").strip()
    if not address:
        return None
    dedupe_key = f"email:order:{order.id}:{kind.event}"
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
        return None
    message = OutboxMessage(
        channel=EMAIL_CHANNEL,
        recipient=address,
        customer_id=order.customer_id,
        order_id=order.id,
        kind=kind,
        # Not the email (rendered when sent): a line for whoever reads the outbox, and non-empty so that an
        # erased row ("" after forgetting) is told apart.
        text=f"Email: {kind.event} of order {order.number}",
        dedupe_key=dedupe_key,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:  # queued by a concurrent transaction a moment ago
        return None
    return message


def queue_status_email(session: Session, order: Order, status: str) -> OutboxMessage | None:
    """The email for the order's new status, when shoppers are emailed about that status."""
    kind = STATUS_EMAILS.get(status)
    return queue_order_email(session, order, kind) if kind is not None else None
