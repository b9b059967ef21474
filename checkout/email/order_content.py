"""What an order email says, read from the order row when the email is sent: lines, totals, how to pay."""

from __future__ import annotations

from dataclasses import dataclass

from checkout.db.models import Order
from checkout.email.kinds import OrderEmail
from checkout.money import Money
from checkout.orders.labels import item_label
from checkout.payments.registry import offered_methods
from checkout.settings import Settings
from checkout.statuses import SPENDING_STATUSES, OrderStatus

MANUAL = "manual"

SUBJECTS = {
    OrderEmail.CONFIRMATION: "Your order {number} at {shop}",
    OrderEmail.PAID: "Payment received for order {number}",
    OrderEmail.FULFILLED: "Your order {number} is on its way",
    OrderEmail.EXPIRED: "Your order {number} has expired",
}


@dataclass(frozen=True)
class Line:
    quantity: int
    label: str
    unit_price: str
    total: str


@dataclass(frozen=True)
class OrderView:
    number: str
    first_name: str
    name: str
    address: str
    lines: list[Line]
    subtotal: str
    discount_code: str | None
    discount: str | None  # None: no discount
    delivery: str  # "Free" or the fee
    total: str
    fulfilment_note: str | None
    paid: bool  # the money is in (the confirmation, sent late, then says so instead of how to pay)


@dataclass(frozen=True)
class HowToPay:
    card_in_chat: bool  # a card payment (Stripe link, Telegram invoice) is offered in the chat
    instructions: str | None  # the manual method's SHOP_PAYMENT_INSTRUCTIONS, when it is offered


def order_view(order: Order) -> OrderView:
    def money(minor: int) -> str:
        return Money(minor, order.currency).display()

    name = order.customer_name or ""
    return OrderView(
        number=order.number,
        first_name=(name.split() or [""])[0],
        name=name,
        address=order.customer_address or "",
        lines=[
            Line(i.quantity, item_label(i), money(i.unit_price_minor), money(i.line_total_minor)) for i in order.items
        ],
        subtotal=money(order.subtotal_minor),
        discount_code=order.discount_code,
        discount=money(order.discount_minor) if order.discount_minor else None,
        delivery=money(order.delivery_minor) if order.delivery_minor else "Free",
        total=money(order.total_minor),
        fulfilment_note=order.fulfilment_note,
        paid=order.status in SPENDING_STATUSES,
    )


def how_to_pay(order: Order, settings: Settings) -> HowToPay | None:
    """How the shopper pays an order that awaits payment (None otherwise): the method of its latest payment attempt,
    or, before one is started (the chat is offering the choice), every method offered to its channel."""
    if order.status != OrderStatus.AWAITING_PAYMENT:
        return None
    methods = [order.payments[-1].method] if order.payments else offered_methods(settings, order.channel)
    return HowToPay(
        card_in_chat=any(method != MANUAL for method in methods),
        instructions=settings.shop_payment_instructions if MANUAL in methods else None,
    )


def order_subject(kind: OrderEmail, order: Order, settings: Settings) -> str:
    return SUBJECTS[kind].format(number=order.number, shop=settings.shop_name)
