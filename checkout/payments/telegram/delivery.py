"""The gateway's side of an invoice in the outbox: what to send, and what happens when Telegram refuses it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from checkout.db.models import Payment
from checkout.notifications import queue_for_customer, queue_for_seller
from checkout.payments.choice import payment_buttons
from checkout.payments.telegram.provider import METHOD, invoiced_payment_id
from checkout.statuses import OrderStatus, PaymentStatus

REFUSED_TEXT = (
    "Sorry, the invoice for order {number} could not be sent, so nothing was charged. "
    "The order is still reserved for you: choose another way to pay."
)
REFUSED_NO_OTHER_WAY_TEXT = (
    "Sorry, the invoice for order {number} could not be sent, so nothing was charged. "
    "The order is still reserved for you, and the seller will get in touch."
)


def invoice_to_send(session: Session, dedupe_key: str | None) -> dict | None:
    """sendInvoice's fields (without the provider token) for an invoice row of the outbox, or None when it must
    not be sent any more: its attempt is over, or its order was cancelled, expired or paid meanwhile."""
    payment = _attempt(session, dedupe_key)
    if (
        payment is None
        or payment.status != PaymentStatus.PENDING
        or payment.order.status != OrderStatus.AWAITING_PAYMENT
    ):
        return None
    return dict((payment.provider_data or {}).get("invoice") or {}) or None


def invoice_refused(session: Session, dedupe_key: str | None, error: str, other_methods: list[str]) -> None:
    """Telegram will not take this invoice (a wrong provider token, a currency the provider does not support):
    the attempt fails, so the next "Pay in Telegram" makes a new one, the seller learns why, and the shopper
    is offered the other ways to pay."""
    payment = _attempt(session, dedupe_key)
    if payment is None or payment.status != PaymentStatus.PENDING:
        return
    payment.status = PaymentStatus.FAILED
    payment.provider_data = {**(payment.provider_data or {}), "error": error[:500]}
    order = payment.order
    queue_for_seller(
        session,
        "invoice_refused",
        f"Telegram refused the invoice for order {order.number}: {error[:300]}. "
        f"Check TELEGRAM_PAYMENT_PROVIDER_TOKEN and that the provider accepts {order.currency}.",
        dedupe_key=f"payment:{payment.id}:refused",
        customer=order.customer,
        order=order,
    )
    if order.status != OrderStatus.AWAITING_PAYMENT:
        return
    others = [m for m in other_methods if m != METHOD]
    text = (REFUSED_TEXT if others else REFUSED_NO_OTHER_WAY_TEXT).format(number=order.number)
    queue_for_customer(
        session,
        order.customer,
        "invoice_refused",
        text,
        order=order,
        dedupe_key=f"payment:{payment.id}:refused:shopper",
        buttons=payment_buttons(others, order.number) or None,
    )


def _attempt(session: Session, dedupe_key: str | None) -> Payment | None:
    payment_id = invoiced_payment_id(dedupe_key)
    payment = session.get(Payment, payment_id) if payment_id is not None else None
    return payment if payment is not None and payment.method == METHOD else None
