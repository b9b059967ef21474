"""Ending a refund: what Stripe's events (or the seller's reference) settle, and the order becoming `refunded` once
nothing of its money is left to go back (checkout.payments.refunds starts refunds). Everything here runs under a
lock on the order row, each change conditional on the refund's state, so it happens once however often it is told."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.audit import record_audit
from checkout.db.models import Order, Payment, Refund, utcnow
from checkout.money import Money
from checkout.notifications import REFUND_NOTICES, queue_for_customer, queue_for_seller
from checkout.orders.lifecycle import change_status, release_stock
from checkout.payments.flagging import display_amount, flag_order
from checkout.statuses import OrderStatus, PaymentStatus, RefundStatus

STRIPE = "stripe"
MONEY_TAKEN = (PaymentStatus.PAID, PaymentStatus.FLAGGED)
IN_PROGRESS = (RefundStatus.REQUESTING, RefundStatus.PENDING)
# Statuses a refund may end: money a cancelled, expired or still unpaid order took (flagged) goes back too.
REFUNDABLE_FROM = (
    OrderStatus.AWAITING_PAYMENT,
    OrderStatus.PAID,
    OrderStatus.FULFILLED,
    OrderStatus.CANCELLED,
    OrderStatus.EXPIRED,
)


def lock_order(session: Session, order_id: int) -> Order:
    """The order under its row lock (PostgreSQL; SQLite's writers are serialised anyway), with its payments fresh."""
    session.execute(select(Order.id).where(Order.id == order_id).with_for_update())
    order = session.get_one(Order, order_id, populate_existing=True)
    session.refresh(order, ["payments"])
    return order


def order_refunds(session: Session, order_id: int) -> list[Refund]:
    """The order's refunds, oldest first, freshly read."""
    return list(
        session.scalars(
            select(Refund)
            .where(Refund.order_id == order_id)
            .order_by(Refund.id)
            .execution_options(populate_existing=True)
        )
    )


class Finished(NamedTuple):
    done: bool  # the order became refunded just now
    restocked: bool = False  # and its items went back to stock


def finish_if_refunded(session: Session, order: Order, actor: str) -> Finished:
    """Once no money of the order is left to go back and no refund is under way: the order becomes refunded (once),
    its items go back to stock if asked, and the shopper is told. Under the order's row lock."""
    refunds = order_refunds(session, order.id)
    if order.status == OrderStatus.REFUNDED or any(r.status in IN_PROGRESS for r in refunds):
        return Finished(False)
    session.refresh(order, ["payments"])
    if any(p.status in MONEY_TAKEN for p in order.payments):
        return Finished(False)
    succeeded = [r for r in refunds if r.status == RefundStatus.SUCCEEDED]
    if not succeeded:
        return Finished(False)
    restock = any(r.restock for r in succeeded)
    restocked = release_stock(session, order) if restock else False
    details: dict = {
        "refunds": ", ".join(f"{r.method} {r.reference or '-'}" for r in succeeded),
        "restock": restock,
        "restocked": restocked,
    }
    requested_by = sorted({r.requested_by for r in succeeded})
    if requested_by != [actor]:
        details["requested_by"] = ", ".join(requested_by)
    change_status(
        session,
        order,
        OrderStatus.REFUNDED,
        actor,
        details,
        notify_shopper=False,  # the refund's own notice says how the money comes back
        allowed_from=REFUNDABLE_FROM,
    )
    queue_for_customer(
        session,
        order.customer,
        f"order_{OrderStatus.REFUNDED}",
        refund_notice(order.number, succeeded),
        order=order,
        dedupe_key=f"order:{order.id}:{OrderStatus.REFUNDED}",
    )
    return Finished(True, restocked)


def refund_notice(number: str, refunds: Sequence[Refund]) -> str:
    methods = {r.method if r.method in REFUND_NOTICES else "manual" for r in refunds}
    currencies = {r.currency for r in refunds}
    amount = (
        Money(sum(r.amount_minor for r in refunds), currencies.pop()).display()
        if len(currencies) == 1
        else "your payment"
    )
    template = REFUND_NOTICES[methods.pop() if len(methods) == 1 else "several"]
    references = ", ".join(sorted({r.reference for r in refunds if r.reference}))
    return template.format(number=number, amount=amount, reference=references or "-")


def refund_succeeded(session: Session, refund: Refund, cause: str) -> str:
    """Stripe confirmed a refund (under the order's row lock); the order is refunded when nothing else is due."""
    if refund.status == RefundStatus.SUCCEEDED:
        return "already refunded"
    if refund.status == RefundStatus.FAILED:
        return "unchanged"  # Stripe's failed is final; a later refund of the payment is a row of its own
    refund.status = RefundStatus.SUCCEEDED
    refund.settled_at = utcnow()
    if refund.payment_id is not None:
        session.get_one(Payment, refund.payment_id).status = PaymentStatus.REFUNDED
    session.flush()
    order = session.get_one(Order, refund.order_id)
    return "refunded" if finish_if_refunded(session, order, cause).done else "refund succeeded"


def refund_failed(session: Session, refund: Refund, reason: str, cause: str) -> str:
    """Stripe refused or failed a refund (under the order's row lock): the page shows it, the seller is alerted."""
    order = session.get_one(Order, refund.order_id)
    if refund.status == RefundStatus.SUCCEEDED:
        # Stripe may fail a refund after it succeeded (the card was closed): the money did not go back after all.
        flag_order(
            session,
            order,
            f"Stripe refund {refund.reference} failed after it had succeeded ({reason}): the money did not go "
            "back; refund the shopper another way.",
            cause,
        )
        return "refund failed after succeeding"
    if refund.status not in IN_PROGRESS:
        return "unchanged"
    refund.status = RefundStatus.FAILED
    refund.failure_reason = reason[:500]
    refund.settled_at = utcnow()
    record_audit(
        session, cause, "order.refund_failed", "order", order.number, {"refund": refund.reference, "reason": reason}
    )
    queue_for_seller(
        session,
        "refund_failed",
        f"The refund of order {order.number} "
        f"({display_amount(refund.amount_minor, refund.currency)}) failed at Stripe: {reason}. "
        "The order is unchanged; refund it again from its page or another way.",
        dedupe_key=f"refund:{refund.id}:failed",
        customer=order.customer,
        order=order,
    )
    return "refund failed"
