"""Telegram's pre-checkout query: may it take the shopper's money for this invoice, now?

Yes only when the invoice's attempt is still open, the order still awaits payment with its stock reserved,
the person paying is the Telegram user who placed it, and the amount and currency are the order's. Otherwise
the answer is a sentence the shopper reads in Telegram's payment form. Only reads: it must answer quickly."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from checkout.db.database import Database
from checkout.db.models import Payment
from checkout.payments.telegram.provider import CHANNEL, METHOD
from checkout.statuses import OrderStatus, PaymentStatus

UNKNOWN_INVOICE = "Sorry, this invoice is no longer valid. Nothing was charged."
NOT_YOURS = "This invoice belongs to another Telegram account, so it can't be paid here. Nothing was charged."
ALREADY_PAID = "Order {number} is already paid, so nothing more was charged."
NO_LONGER_PAYABLE = "Order {number} was {status}, so it can no longer be paid. Nothing was charged."
NOT_RESERVED = "The items of order {number} are no longer reserved for you, so it can't be paid. Nothing was charged."
REPLACED = "This invoice for order {number} is no longer valid. Nothing was charged; ask me for a new one."
AMOUNT_CHANGED = "This invoice's amount doesn't match order {number}. Nothing was charged; ask me for a new invoice."
PAID_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.REFUNDED)


@dataclass(frozen=True)
class PreCheckout:
    payload: str
    user_id: int
    total_amount: int
    currency: str


def pre_checkout_refusal(db: Database, query: PreCheckout) -> str | None:
    """None when Telegram may take the payment; otherwise what to tell the shopper."""
    with db.reading() as session:
        payment = session.scalar(
            select(Payment).where(Payment.method == METHOD, Payment.idempotency_key == query.payload)
        )
        if payment is None:
            return UNKNOWN_INVOICE
        order = payment.order
        customer = order.customer
        # Checked first: someone else is told nothing about the order, not even its state.
        if customer.channel != CHANNEL or customer.channel_user_id != str(query.user_id):
            return NOT_YOURS
        if order.status in PAID_STATUSES:
            return ALREADY_PAID.format(number=order.number)
        if order.status != OrderStatus.AWAITING_PAYMENT:
            return NO_LONGER_PAYABLE.format(number=order.number, status=order.status)
        if order.stock_released_at is not None:
            return NOT_RESERVED.format(number=order.number)
        if payment.status != PaymentStatus.PENDING:
            return REPLACED.format(number=order.number)
        if query.total_amount != order.total_minor or query.currency.upper() != order.currency:
            return AMOUNT_CHANGED.format(number=order.number)
    return None
