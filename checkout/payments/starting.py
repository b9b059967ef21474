"""Starting the payment of a placed order: the shopper's choice between methods, or the chosen provider's step.

The amount is never taken from the conversation: providers read the order's snapshot of catalog prices."""

from __future__ import annotations

from dataclasses import dataclass

from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.database import Database
from checkout.errors import InvalidTransition, PaymentUnavailable
from checkout.money import Money
from checkout.orders.lifecycle import customer_order
from checkout.orders.seller_actions import OrderNotFound
from checkout.payments.base import PaymentStep
from checkout.payments.registry import offered_methods, offered_provider
from checkout.settings import Settings
from checkout.statuses import OrderStatus


@dataclass(frozen=True)
class PaymentOffer:
    """How the shopper is to pay: the chosen (or only) method's step, or else a choice among `methods`."""

    methods: list[str]  # offered to this shopper now, in the seller's order
    step: PaymentStep | None = None  # None: the shopper is to choose a method
    unavailable: bool = False  # the method could not be started just now (the order still awaits payment)


def offer_payment(
    db: Database, settings: Settings, channel: str, number: str, method: str | None = None
) -> PaymentOffer:
    """Starts the payment of order `number` with `method` (the only one offered when None), or offers the choice
    when several are offered and none is chosen, or the chosen one is no longer offered. Opens its own
    transactions (a provider that calls out must not hold one). Raises InvalidTransition when the order no
    longer awaits payment."""
    methods = offered_methods(settings, channel)
    if method is None and len(methods) > 1:
        return PaymentOffer(methods)
    provider = offered_provider(settings, channel, method or methods[0])
    if provider is None:  # a button from before the seller changed the methods
        return PaymentOffer(methods)
    try:
        step = provider.start_payment(db, number)
    except PaymentUnavailable:
        return PaymentOffer(methods, unavailable=True)
    return PaymentOffer(methods, step)


@dataclass(frozen=True)
class OrderPayment:
    number: str
    total: Money
    offer: PaymentOffer


def start_order_payment(
    db: Database, settings: Settings, identity: ShopperIdentity, number: str, method: str
) -> OrderPayment:
    """The shopper pays their order `number` with `method`. Raises OrderNotFound (also for someone else's
    order), or InvalidTransition when the order no longer awaits payment."""
    with db.transaction() as session:
        order = customer_order(session, identify(session, identity).id, number)
        found = (order.status, Money(order.total_minor, order.currency)) if order is not None else None
    # after the commit: the shopper stays identified whatever the answer
    if found is None:
        raise OrderNotFound(f"there is no order {number!r}")
    status, total = found
    if status != OrderStatus.AWAITING_PAYMENT:
        raise InvalidTransition(number, status, OrderStatus.PAID)
    return OrderPayment(number, total, offer_payment(db, settings, identity.channel, number, method))
