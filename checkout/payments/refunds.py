"""Refunding a whole order, from the seller's order page or `shop orders refund`: one service, `refund_order`.

Which money goes back: every payment of the order that took money (`paid`, or `flagged`: paid after a cancel, paid
twice, another amount), whatever the order's status; an order paid or fulfilled with no such payment (marked paid
by hand) gives back its total. An order that took no money is refused (NotRefundable); a refunded one is left as
it is.

How it goes back, per payment:
- Stripe: through Stripe's Refunds API, with an idempotency key derived from the order and the payment
  (`refund-<number>-<payment id>-<n>`). The request is written first (a `refunds` row, `requesting`), Stripe is
  asked outside any transaction, and the refund's id is stored (`pending`): a double click, or a run retried after
  a timeout, sends the same key and request, so Stripe makes one refund. The order keeps its status, shown with
  "refund pending", until Stripe's `refund.updated` (succeeded) or `charge.refunded` event confirms it
  (checkout.payments.stripe.refunds; `shop payments reconcile` asks Stripe when that event never came).
  A refund Stripe refuses or fails is `failed` on the page, and may be asked again.
- Telegram invoices and manual payments: the seller sends the money back at the provider or by hand and gives
  its reference, which is recorded (`succeeded` at once).
When nothing is left to go back, the order becomes `refunded` once (checkout.payments.refund_settling: a
conditional status change under the order's row lock), audit-logged, its items back in stock when the seller
asked for it (once: the stock release is stamped), and the shopper is told in their channel how the money comes
back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.audit import record_audit
from checkout.db.database import Database
from checkout.db.models import Order, Payment, Refund, utcnow
from checkout.errors import CheckoutError
from checkout.orders.seller_actions import OrderNotFound
from checkout.payments.refund_settling import (
    IN_PROGRESS,
    MONEY_TAKEN,
    STRIPE,
    finish_if_refunded,
    lock_order,
    order_refunds,
)
from checkout.settings import Settings
from checkout.statuses import OrderStatus, PaymentStatus, RefundStatus

MAX_REFERENCE = 255


class NotRefundable(CheckoutError):
    """The order took no money: there is nothing to give back."""


class RefundReferenceNeeded(CheckoutError):
    """Money the seller sends back themselves (Telegram invoice, manual payment) is recorded with its reference."""


class RefundUnavailable(CheckoutError):
    """Stripe could not be reached (`retry`: the same request goes again next time, so it makes one refund), or
    refused the refund (it is recorded as failed)."""

    def __init__(self, number: str, reason: str, retry: bool):
        super().__init__(f"order {number}: {reason}")
        self.number, self.reason, self.retry = number, reason, retry


class RefundState(StrEnum):
    REFUNDED = "refunded"  # done now: the order is refunded
    PENDING = "pending"  # asked at Stripe (now or before): refunded when Stripe confirms it
    ALREADY_REFUNDED = "already_refunded"  # nothing changed


@dataclass(frozen=True)
class RefundOutcome:
    number: str
    state: RefundState
    stripe_refunds: tuple[str, ...] = ()  # Stripe's refund ids, when Stripe was asked
    restocked: bool = False  # the items went back to stock (only once refunded)


def refund_order(
    db: Database,
    settings: Settings,
    number: str,
    actor: str,
    *,
    restock: bool = False,
    reference: str | None = None,
    client: object | None = None,
) -> RefundOutcome:
    """Refunds the whole order `number` (see the module's doc). Raises OrderNotFound, NotRefundable,
    RefundReferenceNeeded (nothing changed), or RefundUnavailable. `client`: a stripe.StripeClient (tests)."""
    reference = (reference or "").strip()[:MAX_REFERENCE] or None
    with db.transaction() as session:
        order = _locked_order(session, number)
        number = order.number
        done = _request(
            session, order, actor, restock, reference, stripe_ready=bool(client or settings.stripe_secret_key)
        )
    if isinstance(done, RefundOutcome):
        return done
    if done:
        from checkout.payments.stripe.refunds import ask_stripe  # imports the stripe library only when used

        ask_stripe(db, settings, number, done, client)
    with db.reading() as session:
        order = session.scalars(select(Order).where(Order.number == number)).one()
        status, refunds = order.status, order_refunds(session, order.id)
    if status == OrderStatus.REFUNDED:  # Stripe's event came in while we were asking
        return RefundOutcome(number, RefundState.REFUNDED)
    under_way = tuple(r.reference or "?" for r in refunds if r.method == STRIPE and r.status in IN_PROGRESS)
    return RefundOutcome(number, RefundState.PENDING, under_way)


def _locked_order(session: Session, number: str) -> Order:
    order_id = session.scalar(select(Order.id).where(Order.number == (number or "").strip().upper()[:12]))
    if order_id is None:
        raise OrderNotFound(f"there is no order {number!r}")
    return lock_order(session, order_id)


def _request(
    session: Session, order: Order, actor: str, restock: bool, reference: str | None, stripe_ready: bool
) -> RefundOutcome | list[int]:
    """Records what goes back; returns the outcome, or the ids of the Stripe refunds to ask Stripe for. Refuses
    before writing anything what cannot be done now (no reference, no Stripe key)."""
    if order.status == OrderStatus.REFUNDED:
        return RefundOutcome(order.number, RefundState.ALREADY_REFUNDED)
    refunds = order_refunds(session, order.id)
    in_progress = {r.payment_id for r in refunds if r.status in IN_PROGRESS}
    taken = [p for p in order.payments if p.status in MONEY_TAKEN]
    to_refund = [p for p in taken if p.id not in in_progress]
    by_hand_total = not taken and not in_progress and order.status in (OrderStatus.PAID, OrderStatus.FULFILLED)
    if not taken and not in_progress and not by_hand_total:
        raise NotRefundable(
            f"order {order.number} is {order.status}: it took no payment, so there is nothing to refund"
        )
    if reference is None and (by_hand_total or any(p.method != STRIPE for p in to_refund)):
        raise RefundReferenceNeeded(
            f"order {order.number} was paid {_by_hand_words(to_refund)}: send the money back there, then give the "
            "refund's reference"
        )
    asks_stripe = any(p.method == STRIPE for p in to_refund) or any(
        r.status == RefundStatus.REQUESTING for r in refunds
    )
    if asks_stripe and not stripe_ready:
        raise RefundUnavailable(order.number, "STRIPE_SECRET_KEY is not set, so Stripe cannot be asked", retry=False)
    now = utcnow()
    if by_hand_total:
        session.add(
            Refund(
                order_id=order.id,
                method="manual",
                status=RefundStatus.SUCCEEDED,
                amount_minor=order.total_minor,
                currency=order.currency,
                reference=reference,
                restock=restock,
                requested_by=actor,
                settled_at=now,
            )
        )
    attempts = {
        payment.id: session.scalar(select(func.count()).select_from(Refund).where(Refund.payment_id == payment.id)) or 0
        for payment in to_refund
    }
    for payment in to_refund:
        if payment.method == STRIPE:
            payment_intent = (payment.provider_data or {}).get("payment_intent")
            session.add(
                Refund(
                    order_id=order.id,
                    payment_id=payment.id,
                    method=STRIPE,
                    status=RefundStatus.REQUESTING,
                    amount_minor=payment.amount_minor,
                    currency=payment.currency,
                    provider_payment_id=payment_intent,
                    # Derived from the order and the payment: asked again, it is the same refund at Stripe.
                    idempotency_key=f"refund-{order.number}-{payment.id}-{attempts[payment.id] + 1}",
                    request=stripe_refund_request(order.number, payment_intent) if payment_intent else None,
                    restock=restock,
                    requested_by=actor,
                )
            )
            continue
        # What a Telegram charge really took (it may be why it was flagged); the attempt's amount otherwise.
        data = payment.provider_data or {}
        paid, paid_currency = data.get("paid_amount_minor"), data.get("paid_currency")
        session.add(
            Refund(
                order_id=order.id,
                payment_id=payment.id,
                method=payment.method,
                status=RefundStatus.SUCCEEDED,
                amount_minor=paid if isinstance(paid, int) else payment.amount_minor,
                currency=str(paid_currency)[:3].upper() if paid_currency else payment.currency,
                reference=reference,
                restock=restock,
                requested_by=actor,
                settled_at=now,
            )
        )
        payment.status = PaymentStatus.REFUNDED
    session.flush()
    if to_refund and any(p.method == STRIPE for p in to_refund):
        details: dict = {"payments": [p.id for p in to_refund], "restock": restock}
        if reference:
            details["reference"] = reference
        record_audit(session, actor, "order.refund_requested", "order", order.number, details)
    finished = finish_if_refunded(session, order, actor)
    if finished.done:
        return RefundOutcome(order.number, RefundState.REFUNDED, restocked=finished.restocked)
    return [r.id for r in order_refunds(session, order.id) if r.status == RefundStatus.REQUESTING]


def _by_hand_words(payments: Sequence[Payment]) -> str:
    methods = {p.method for p in payments if p.method != STRIPE}
    if "telegram" in methods:
        return "with a Telegram invoice: its money goes back at the payment provider"
    return "by hand (bank transfer or cash)"


def stripe_refund_request(number: str, payment_intent: str) -> dict:
    """The whole charge back (no amount: Stripe refunds what is left of it); only the order number goes along."""
    return {"payment_intent": payment_intent, "metadata": {"order_number": number}}
