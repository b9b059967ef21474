"""What the seller's order page shows about refunds, and whether it offers the Refund form."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from checkout.db.models import Order, Payment, Refund
from checkout.payments.refund_settling import MONEY_TAKEN, STRIPE, order_refunds
from checkout.statuses import OrderStatus, RefundStatus


@dataclass(frozen=True)
class RefundSummary:
    """The order's refunds, and what its Refund form says."""

    refunds: list[Refund]  # oldest first
    pending: list[Refund]  # taken by Stripe, not yet confirmed: the order keeps its status meanwhile
    unanswered: list[Refund]  # Stripe never answered the request: refunding again asks again, with the same key
    can_refund: bool
    via_stripe: bool  # some money goes back through Stripe, by itself
    by_seller: list[Payment]  # money the seller sends back at the provider or by hand, with a reference
    by_hand_total: bool  # paid with no payment recorded: the seller gives the total back by hand
    restock_default: bool  # the items never left the shop: back to stock unless the seller says otherwise


def refund_summary(session: Session, order: Order) -> RefundSummary:
    refunds = order_refunds(session, order.id)
    pending = [r for r in refunds if r.status == RefundStatus.PENDING]
    unanswered = [r for r in refunds if r.status == RefundStatus.REQUESTING]
    taken = [p for p in order.payments if p.status in MONEY_TAKEN]
    by_hand_total = not taken and order.status in (OrderStatus.PAID, OrderStatus.FULFILLED)
    return RefundSummary(
        refunds=refunds,
        pending=pending,
        unanswered=unanswered,
        can_refund=order.status != OrderStatus.REFUNDED and not pending and bool(taken or by_hand_total),
        via_stripe=any(p.method == STRIPE for p in taken),
        by_seller=[p for p in taken if p.method != STRIPE],
        by_hand_total=by_hand_total,
        restock_default=order.status != OrderStatus.FULFILLED,
    )
