"""Cancelling an unpaid order, from the shopper's chat or the seller's dashboard: one way for both."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.database import Database
from checkout.message_effects import NO_MESSAGE, MessageChange, MessageEffect, message_change
from checkout.orders.lifecycle import change_status, customer_order
from checkout.orders.seller_actions import OrderNotFound, order_by_number
from checkout.payments.registry import withdraw_payment_links
from checkout.settings import Settings
from checkout.statuses import OrderStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cancellation:
    number: str
    # False when a card payment link could not be closed at the provider just now: a payment through it
    # would be flagged for a refund, never applied to the cancelled order.
    links_closed: bool


def cancel_order(
    db: Database,
    settings: Settings,
    number: str,
    actor: str,
    *,
    customer_id: int | None = None,
    details: dict | None = None,
    notify_shopper: bool = True,
    change: MessageChange = NO_MESSAGE,
) -> Cancellation:
    """Cancels order `number` (its reserved stock goes back to the shelf), then closes the payment links that
    could still take money for it. With `customer_id`, only that customer's order is found (a shopper cancels
    their own orders only). Raises OrderNotFound, or InvalidTransition when the order no longer awaits payment.
    `change`: the shopper message that cancels it, which cancels once (run again, it answers as it did)."""
    with db.transaction() as session:
        earlier = change.earlier(session)
        if earlier is not None and earlier.outcome:
            number = earlier.outcome  # cancelled by this very message: only the links are closed again
        else:
            order = (
                customer_order(session, customer_id, number)
                if customer_id is not None
                else order_by_number(session, number)
            )
            if order is None:
                raise OrderNotFound(f"there is no order {number!r}")
            number = order.number
            if change.claim(session, outcome=number):  # else the same message cancelled it a moment ago
                change_status(session, order, OrderStatus.CANCELLED, actor, details, notify_shopper=notify_shopper)
    try:  # after the commit: the provider is called outside any transaction
        withdraw_payment_links(settings, db, number)
    except Exception:  # noqa: BLE001 - the order is cancelled whatever the provider answers
        log.warning("could not close the payment links of cancelled order %s", number, exc_info=True)
        return Cancellation(number, links_closed=False)
    return Cancellation(number, links_closed=True)


def cancel_own_order(
    db: Database, settings: Settings, identity: ShopperIdentity, number: str, *, message_id: str | None = None
) -> Cancellation:
    """The shopper cancels their own unpaid order `number` in the chat (which tells them; no notice is queued).
    Raises OrderNotFound (also for someone else's order), or InvalidTransition when it no longer awaits payment.
    The shopper message `message_id` cancels once: run again, it answers as it did."""
    with db.transaction() as session:
        customer_id = identify(session, identity).id
    return cancel_order(
        db,
        settings,
        number,
        actor=f"shopper:{customer_id}",
        customer_id=customer_id,
        details={"via": "chat"},
        notify_shopper=False,
        change=message_change(customer_id, message_id, MessageEffect.CANCEL_ORDER),
    )
