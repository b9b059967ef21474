"""What Stripe tells us about a Checkout Session, applied to its order: from a webhook event (each event id
once, recorded in the same transaction as the change) or from `shop payments reconcile`. Events about refunds
(`charge.refunded`, `refund.*`) are recorded the same way and applied by checkout.payments.stripe.refunds.

Every change is conditional on the state it expects, under a lock on the order row, so the same events in
any order and any number of times end in the same state."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.db.database import Database
from checkout.db.models import Order, Payment, ProcessedEvent
from checkout.notifications import queue_for_customer
from checkout.orders.lifecycle import change_status
from checkout.payments.attempts import OPEN_STATUSES, other_open_attempt
from checkout.payments.choice import payment_buttons
from checkout.payments.flagging import display_amount, flag_order
from checkout.payments.stripe.refunds import REFUND_KINDS, apply_refund_event
from checkout.statuses import OrderStatus, PaymentStatus

PROVIDER = "stripe"
COMPLETED, SUCCEEDED, FAILED, EXPIRED = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)
HANDLED = (COMPLETED, SUCCEEDED, FAILED, EXPIRED)
PAYMENT_FAILED_TEXT = (
    "Your card payment for order {number} did not go through, so nothing was charged. "
    "The order is still reserved for you: tap below to try again."
)


def apply_stripe_event(db: Database, event: dict) -> str:
    """Applies one webhook event; returns what happened ("paid", "expired", "duplicate", "ignored", ...)."""
    event_id, kind = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not event_id:
        raise ValueError("a Stripe event has an id")
    if kind not in HANDLED and kind not in REFUND_KINDS:
        return "ignored"
    checkout = (event.get("data") or {}).get("object") or {}
    try:
        with db.transaction() as session:
            # The event's row goes first: a concurrent delivery of the same event waits on its unique key.
            session.add(ProcessedEvent(provider=PROVIDER, event_id=event_id))
            session.flush()
            if kind in REFUND_KINDS:
                return apply_refund_event(session, kind, checkout, cause=f"stripe:{event_id}")
            return apply_session_state(session, kind, checkout, cause=f"stripe:{event_id}")
    except IntegrityError:
        with db.reading() as session:
            if (
                session.scalar(
                    select(ProcessedEvent.id).where(
                        ProcessedEvent.provider == PROVIDER, ProcessedEvent.event_id == event_id
                    )
                )
                is None
            ):
                raise
        return "duplicate"


def apply_session_state(session: Session, kind: str, checkout: dict, cause: str) -> str:
    payment = _attempt(session, checkout)
    if payment is None:
        return "ignored"  # not a session of this shop's orders (another integration on the same account)
    order = payment.order
    if kind == EXPIRED:
        return _expire(session, order, payment, cause)
    if kind == FAILED:
        return _fail(session, order, payment, checkout)
    if kind == COMPLETED and checkout.get("payment_status") != "paid":
        if payment.status in (PaymentStatus.CREATING, PaymentStatus.PENDING):
            payment.status = PaymentStatus.PROCESSING  # a debit that settles later: async_payment_* follows
        return "processing"
    return _settle(session, order, payment, checkout, cause)


def _attempt(session: Session, checkout: dict) -> Payment | None:
    """The attempt this session belongs to, read under a lock on its order so events of one order apply one
    after the other (two links expiring at once must not each think the other is still open)."""
    session_id = checkout.get("id")
    if not isinstance(session_id, str) or not session_id:
        return None
    order_id = session.scalar(
        select(Payment.order_id).where(Payment.method == PROVIDER, Payment.reference == session_id)
    )
    if order_id is None:
        number = checkout.get("client_reference_id") or (checkout.get("metadata") or {}).get("order_number")
        order_id = session.scalar(select(Order.id).where(Order.number == str(number))) if number else None
        if order_id is None:
            return None
    session.execute(select(Order.id).where(Order.id == order_id).with_for_update())
    session.get(Order, order_id, populate_existing=True)
    payment = session.scalar(
        select(Payment)
        .where(Payment.method == PROVIDER, Payment.reference == session_id)
        .execution_options(populate_existing=True)
    )
    if payment is None:
        # We never heard Stripe's answer to this attempt (a timeout): the attempt still waiting adopts it.
        payment = session.scalar(
            select(Payment)
            .where(
                Payment.order_id == order_id,
                Payment.method == PROVIDER,
                Payment.status == PaymentStatus.CREATING,
                Payment.reference.is_(None),
            )
            .order_by(Payment.id.desc())
            .limit(1)
        )
    if payment is None:
        order = session.get_one(Order, order_id)
        payment = Payment(
            order_id=order_id,
            method=PROVIDER,
            status=PaymentStatus.PENDING,
            amount_minor=order.total_minor,
            currency=order.currency,
        )
        session.add(payment)
    payment.reference = session_id
    session.flush()
    return payment


def _settle(session: Session, order: Order, payment: Payment, checkout: dict, cause: str) -> str:
    if payment.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED):  # a late event of a settled payment
        return "already paid"
    # Kept whatever follows: a refund (checkout.payments.refunds) names the payment intent, flagged payments' too.
    payment.provider_data = {**(payment.provider_data or {}), "payment_intent": checkout.get("payment_intent")}
    paid, currency = checkout.get("amount_total"), str(checkout.get("currency") or "").upper()
    if paid != order.total_minor or currency != order.currency:
        payment.status = PaymentStatus.FLAGGED
        reason = (
            f"Stripe session {payment.reference} was paid {display_amount(paid, currency)}, but the order "
            f"total is {display_amount(order.total_minor, order.currency)}: check it before shipping."
        )
        flag_order(session, order, reason, cause)
        return "flagged"
    payment.status = PaymentStatus.PAID
    if order.status != OrderStatus.AWAITING_PAYMENT:
        flag_order(
            session,
            order,
            f"Stripe session {payment.reference} was paid while the order was {order.status}: refund it or ship it.",
            cause,
        )
        return "flagged"
    change_status(
        session,
        order,
        OrderStatus.PAID,
        actor=cause,
        details={"stripe_session": payment.reference, "payment_intent": checkout.get("payment_intent")},
    )
    return "paid"


def _expire(session: Session, order: Order, payment: Payment, cause: str) -> str:
    if payment.status in OPEN_STATUSES:
        payment.status = PaymentStatus.EXPIRED
    if order.status != OrderStatus.AWAITING_PAYMENT or other_open_attempt(session, order, payment) is not None:
        return "link expired"
    change_status(session, order, OrderStatus.EXPIRED, actor=cause, details={"stripe_session": payment.reference})
    return "expired"


def _fail(session: Session, order: Order, payment: Payment, checkout: dict) -> str:
    if payment.status not in OPEN_STATUSES:
        return "unchanged"
    payment.status = PaymentStatus.FAILED
    if order.status == OrderStatus.AWAITING_PAYMENT:
        queue_for_customer(
            session,
            order.customer,
            "payment_failed",
            PAYMENT_FAILED_TEXT.format(number=order.number),
            order=order,
            dedupe_key=f"payment:{payment.id}:failed",
            buttons=payment_buttons([PROVIDER], order.number),
        )
    return "failed"
