"""One order as the seller's order page shows it: lines, payments, customer, conversation, proofs, history, and
what became of the messages announcing its changes to the shopper."""

from __future__ import annotations

from dataclasses import dataclass

from checkout.audit import audit_history
from checkout.db.database import Database
from checkout.db.models import AuditLog, Order, PaymentProof
from checkout.orders.export import find_order
from checkout.orders.proofs import proofs_for_order
from checkout.orders.seller_actions import OrderNotFound
from checkout.outbox_overview import ShopperMessage, order_messages
from checkout.payments.refund_overview import RefundSummary, refund_summary
from checkout.records.transcripts import Transcript, order_transcripts


@dataclass(frozen=True)
class OrderDetail:
    order: Order  # with its items, payments and customer loaded
    transcripts: list[Transcript]
    proofs: list[PaymentProof]
    history: list[AuditLog]
    messages: list[ShopperMessage]
    refund: RefundSummary  # its refunds, and whether it can be refunded


def order_detail(db: Database, number: str) -> OrderDetail:
    """Everything the order page shows, read in one go so the page renders after the session closes.
    Raises OrderNotFound."""
    with db.reading() as session:
        order = find_order(session, number)
        if order is None:
            raise OrderNotFound(f"there is no order {number!r}")
        return OrderDetail(
            order=order,
            transcripts=order_transcripts(session, order),
            proofs=proofs_for_order(session, order.id),
            history=audit_history(session, "order", order.number),
            messages=order_messages(session, order.id),
            refund=refund_summary(session, order),
        )
