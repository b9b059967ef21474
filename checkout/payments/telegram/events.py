"""Telegram's successful_payment: the money was taken, so the order is marked paid, exactly once.

Each charge (telegram_payment_charge_id) is applied once: its processed-event row is written in the same
transaction as the change, so the same update delivered twice, or the same charge reported in two updates,
changes nothing the second time. A payment that does not fit the order (another amount or currency, an order
no longer awaiting payment, an invoice paid twice) is kept and flagged for the seller, never dropped."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.db.database import Database
from checkout.db.models import Order, Payment, ProcessedEvent
from checkout.notifications import queue_for_customer, queue_for_seller
from checkout.orders.lifecycle import change_status
from checkout.payments.flagging import display_amount, flag_order
from checkout.payments.telegram.checks import PAID_STATUSES
from checkout.payments.telegram.provider import METHOD
from checkout.statuses import OrderStatus, PaymentStatus

CHARGES = "telegram_charge"  # processed_events.provider of charges (update ids are the gateway's "telegram")
MISMATCH_TEXT = (
    "We received your payment of {paid} for order {number}, but the order total is {total}. "
    "The seller will check it and get back to you."
)


@dataclass(frozen=True)
class TelegramCharge:
    payload: str
    user_id: int | None
    total_amount: int
    currency: str
    telegram_charge_id: str
    provider_charge_id: str

    def ids(self) -> dict:
        return {
            "telegram_payment_charge_id": self.telegram_charge_id,
            "provider_payment_charge_id": self.provider_charge_id,
            "payer_user_id": self.user_id,
            "paid_amount_minor": self.total_amount,
            "paid_currency": self.currency,
        }


def apply_successful_payment(db: Database, charge: TelegramCharge) -> str:
    """Returns what happened: "paid", "flagged", "unmatched" or "duplicate"."""
    if not charge.telegram_charge_id:
        raise ValueError("a successful payment has a telegram_payment_charge_id")
    try:
        with db.transaction() as session:
            # The charge's row goes first: a concurrent report of the same charge waits on its unique key.
            session.add(ProcessedEvent(provider=CHARGES, event_id=charge.telegram_charge_id))
            session.flush()
            return _apply(session, charge, cause=f"telegram:{charge.telegram_charge_id}")
    except IntegrityError:
        with db.reading() as session:
            seen = session.scalar(
                select(ProcessedEvent.id).where(
                    ProcessedEvent.provider == CHARGES, ProcessedEvent.event_id == charge.telegram_charge_id
                )
            )
        if seen is None:
            raise
        return "duplicate"


def _apply(session: Session, charge: TelegramCharge, cause: str) -> str:
    paid = display_amount(charge.total_amount, charge.currency)
    order_id = session.scalar(
        select(Payment.order_id).where(Payment.method == METHOD, Payment.idempotency_key == charge.payload)
    )
    if order_id is None:
        queue_for_seller(
            session,
            "payment_unmatched",
            f"A Telegram payment of {paid} (charge {charge.telegram_charge_id}) matches no order of "
            f"this shop: refund it in your payment provider's dashboard.",
        )
        return "unmatched"
    # Under the order's row lock, so two charges of one order apply one after the other.
    session.execute(select(Order.id).where(Order.id == order_id).with_for_update())
    order = session.get_one(Order, order_id, populate_existing=True)
    # The attempt whose order was found by the same (unique) key just above.
    payment = session.scalars(
        select(Payment)
        .where(Payment.method == METHOD, Payment.idempotency_key == charge.payload)
        .execution_options(populate_existing=True)
    ).one()
    total = display_amount(order.total_minor, order.currency)
    if payment.reference is not None:  # the invoice took a charge before: this one is kept on a row of its own
        payment = Payment(
            order_id=order.id,
            method=METHOD,
            status=PaymentStatus.PENDING,
            amount_minor=charge.total_amount,
            currency=charge.currency[:3],
        )
        session.add(payment)
    payment.reference = charge.telegram_charge_id
    payment.provider_data = {**(payment.provider_data or {}), **charge.ids()}
    session.flush()
    if charge.total_amount != order.total_minor or charge.currency.upper() != order.currency:
        payment.status = PaymentStatus.FLAGGED
        flag_order(
            session,
            order,
            f"Telegram charge {charge.telegram_charge_id} was paid {paid}, but the order "
            f"total is {total}: check it before shipping.",
            cause,
        )
        queue_for_customer(
            session,
            order.customer,
            "payment_mismatch",
            MISMATCH_TEXT.format(paid=paid, number=order.number, total=total),
            order=order,
            dedupe_key=f"payment:{payment.id}:mismatch",
        )
        return "flagged"
    payment.status = PaymentStatus.PAID
    if order.status != OrderStatus.AWAITING_PAYMENT:
        problem = (
            "a second time: refund one of the two payments"
            if order.status in PAID_STATUSES
            else f"while it was {order.status}: refund it or ship it"
        )
        flag_order(
            session,
            order,
            f"Telegram charge {charge.telegram_charge_id} ({paid}) paid order {order.number} {problem}.",
            cause,
        )
        return "flagged"
    change_status(session, order, OrderStatus.PAID, actor=cause, details=charge.ids())
    return "paid"
