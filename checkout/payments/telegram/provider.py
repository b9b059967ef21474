"""Paying in Telegram: the action server opens a payment attempt and queues its invoice; the gateway sends it.

The action server speaks to Rasa, not to Telegram, so the invoice travels through the outbox: a row of kind
"telegram_invoice" written in the same transaction as the attempt, which the Telegram gateway delivers with
sendInvoice (bot/payments.py). Its dedupe key names the attempt, so the same attempt is never invoiced twice,
and an order keeps one open attempt: a repeated or retried "Pay in Telegram" reuses it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.db.database import Database
from checkout.db.models import Order, OutboxMessage, Payment
from checkout.errors import PaymentUnavailable
from checkout.money import Money
from checkout.notifications import queue_for_customer
from checkout.payments.attempts import order_awaiting_payment
from checkout.payments.base import PaymentStep
from checkout.payments.telegram.invoice import invoice_request, new_attempt_key
from checkout.settings import Settings
from checkout.statuses import OutboxStatus, PaymentStatus

METHOD = "telegram"
CHANNEL = "telegram"  # the only channel an invoice can be sent to
INVOICE_KIND = "telegram_invoice"
INVOICE_KEY_PREFIX = "telegram-invoice:"
INVOICE_SENT_TEXT = (
    'I\'ve sent you an invoice for order {number} ({total}). Tap "Pay" on it to pay right here in Telegram.'
)
INVOICE_OUTBOX_TEXT = "Invoice for order {number}: {description}. Total {total}."


class TelegramInvoiceProvider:
    name = METHOD

    def __init__(self, settings: Settings):
        self.settings = settings

    def start_payment(self, db: Database, order_number: str) -> PaymentStep:
        with db.transaction() as session:
            # Under the order's row lock: a double tap waits for the first tap's attempt and reuses it.
            order = order_awaiting_payment(session, order_number, lock=True)
            if order.channel != CHANNEL:
                raise PaymentUnavailable(METHOD, "a Telegram invoice can only be paid in Telegram")
            if open_attempt(session, order) is None:
                start_attempt(session, order)
            total = Money(order.total_minor, order.currency).display()
        return PaymentStep(METHOD, INVOICE_SENT_TEXT.format(number=order_number, total=total))


def open_attempt(session: Session, order: Order) -> Payment | None:
    """The order's pending attempt, unless its invoice could never be delivered (the outbox gave up on it): that
    attempt fails, so pressing "Pay in Telegram" again sends a new invoice instead of pointing at none."""
    payment = session.scalar(
        select(Payment)
        .where(Payment.order_id == order.id, Payment.method == METHOD, Payment.status == PaymentStatus.PENDING)
        .order_by(Payment.id.desc())
        .limit(1)
    )
    if (
        payment is not None
        and session.scalar(
            select(OutboxMessage.status).where(OutboxMessage.dedupe_key == invoice_outbox_key(payment.id))
        )
        == OutboxStatus.FAILED
    ):
        payment.status = PaymentStatus.FAILED
        return None
    return payment


def start_attempt(session: Session, order: Order) -> Payment:
    """A new attempt with its random key (the invoice payload), and its invoice queued for the gateway."""
    key = new_attempt_key()
    invoice = invoice_request(order, key)
    payment = Payment(
        order_id=order.id,
        method=METHOD,
        status=PaymentStatus.PENDING,
        amount_minor=order.total_minor,
        currency=order.currency,
        idempotency_key=key,
        provider_data={"invoice": invoice},
    )
    session.add(payment)
    session.flush()
    total = Money(order.total_minor, order.currency).display()
    queue_for_customer(
        session,
        order.customer,
        INVOICE_KIND,
        INVOICE_OUTBOX_TEXT.format(number=order.number, description=invoice["description"], total=total),
        order=order,
        dedupe_key=invoice_outbox_key(payment.id),
    )
    return payment


def invoice_outbox_key(payment_id: int) -> str:
    return f"{INVOICE_KEY_PREFIX}{payment_id}"


def invoiced_payment_id(dedupe_key: str | None) -> int | None:
    """The attempt an invoice row of the outbox is for (None for any other row)."""
    if not dedupe_key or not dedupe_key.startswith(INVOICE_KEY_PREFIX):
        return None
    number = dedupe_key[len(INVOICE_KEY_PREFIX) :]
    return int(number) if number.isdigit() else None
