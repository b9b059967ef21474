"""Proofs of payment: a receipt or screenshot a shopper sends for their unpaid order, kept for the seller."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from checkout.audit import record_audit
from checkout.db.database import Database
from checkout.db.models import Customer, Order, PaymentProof
from checkout.notifications import queue_for_seller
from checkout.statuses import OrderStatus

MAX_PROOF_BYTES = 10 * 1024 * 1024  # a phone photo is far smaller; anything bigger is not a receipt
# What the dashboard shows in the page; anything else is offered as a download, never rendered.
VIEWABLE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf")


@dataclass(frozen=True)
class ProofFile:
    channel: str
    file_id: str
    file_unique_id: str
    mime_type: str
    content: bytes
    caption: str | None = None


def order_awaiting_payment(session: Session, channel: str, channel_user_id: str) -> Order | None:
    """The shopper's newest order still waiting for payment: the one a receipt sent now is for."""
    return session.scalar(
        select(Order)
        .join(Customer, Customer.id == Order.customer_id)
        .where(
            Customer.channel == channel,
            Customer.channel_user_id == channel_user_id,
            Order.status == OrderStatus.AWAITING_PAYMENT,
        )
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
    )


def attach_payment_proof(session: Session, order: Order, proof: ProofFile) -> PaymentProof | None:
    """Stores the file on the order and alerts the seller. Returns None when this file is already on it
    (the same photo sent twice is kept once)."""
    if not proof.content or len(proof.content) > MAX_PROOF_BYTES:
        raise ValueError("a proof of payment must be a non-empty file of at most 10 MB")
    existing = session.scalar(
        select(PaymentProof).where(
            PaymentProof.order_id == order.id, PaymentProof.file_unique_id == proof.file_unique_id
        )
    )
    if existing is not None:
        return None
    stored = PaymentProof(
        order_id=order.id,
        customer_id=order.customer_id,
        channel=proof.channel,
        file_id=proof.file_id,
        file_unique_id=proof.file_unique_id[:100],
        mime_type=proof.mime_type[:100],
        size_bytes=len(proof.content),
        content=proof.content,
        caption=(proof.caption or None) and proof.caption[:1000],
    )
    session.add(stored)
    session.flush()
    record_audit(
        session,
        f"customer:{order.customer_id}",
        "order.payment_proof_added",
        "order",
        order.number,
        {"payment_proof_id": stored.id, "size_bytes": stored.size_bytes},
    )
    queue_for_seller(
        session,
        "payment_proof",
        f"Proof of payment received for order {order.number} ({order.customer_name or 'shopper'}). "
        "Check it in the dashboard before marking the order paid.",
        dedupe_key=f"seller:proof:{stored.id}",
        customer=order.customer,
        order=order,
    )
    return stored


class ProofOutcome(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"  # this file is on the order already
    NO_ORDER = "no_order"  # nothing of theirs awaits payment: the file is no proof


def unpaid_order_number(db: Database, channel: str, channel_user_id: str) -> str | None:
    """The order a file this shopper sends now would prove payment of (asked before downloading it)."""
    with db.reading() as session:
        order = order_awaiting_payment(session, channel, channel_user_id)
        return order.number if order else None


def keep_payment_proof(db: Database, channel_user_id: str, proof: ProofFile) -> tuple[ProofOutcome, str | None]:
    """A shopper's file stored on their unpaid order (the seller alerted); with the order's number."""
    with db.transaction() as session:
        # Read again in the writing transaction: the order may have been paid or cancelled during the download.
        order = order_awaiting_payment(session, proof.channel, channel_user_id)
        if order is None:
            return ProofOutcome.NO_ORDER, None
        stored = attach_payment_proof(session, order, proof) is not None
        return (ProofOutcome.STORED if stored else ProofOutcome.DUPLICATE), order.number


def proofs_for_order(session: Session, order_id: int) -> list[PaymentProof]:
    """The order's proofs, oldest first, without their bytes (the page links to each file)."""
    return list(
        session.scalars(
            select(PaymentProof)
            .where(PaymentProof.order_id == order_id)
            .options(defer(PaymentProof.content))
            .order_by(PaymentProof.created_at, PaymentProof.id)
        )
    )


def order_proof(session: Session, order_number: str, proof_id: int) -> PaymentProof | None:
    """One proof with its bytes, only through the order it belongs to."""
    return session.scalar(
        select(PaymentProof)
        .join(Order, Order.id == PaymentProof.order_id)
        .where(Order.number == order_number.upper(), PaymentProof.id == proof_id)
    )
