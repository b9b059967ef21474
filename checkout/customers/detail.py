"""One customer as the seller's customer page shows them: figures and segment, orders, codes used, conversations,
their consent to offers with its history, and the campaign messages they received."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from checkout.customers.directory import CustomerRow, customer_rows
from checkout.db.database import Database
from checkout.db.models import Conversation, Order
from checkout.errors import CustomerNotFound
from checkout.marketing.overview import (
    CampaignReceived,
    ConsentNow,
    ConsentRecord,
    campaigns_received,
    consent_now,
    consent_records,
)
from checkout.promotions.history import CodeUse, codes_used
from checkout.records.transcripts import customer_conversations


@dataclass(frozen=True)
class CustomerDetail:
    row: CustomerRow
    orders: list[Order]  # newest first
    conversations: list[Conversation]  # newest first
    codes: list[CodeUse]  # promo codes their orders used, oldest first
    consent: ConsentNow
    consent_history: list[ConsentRecord]  # oldest first
    campaigns: list[CampaignReceived]  # oldest first


def customer_detail(db: Database, currency: str, customer_id: int) -> CustomerDetail:
    """Raises CustomerNotFound."""
    with db.reading() as session:
        rows = customer_rows(session, currency, customer_id)
        if not rows:
            raise CustomerNotFound(customer_id)
        orders = session.scalars(
            select(Order).where(Order.customer_id == customer_id).order_by(Order.created_at.desc(), Order.id.desc())
        )
        history = consent_records(session, customer_id)
        return CustomerDetail(
            row=rows[0],
            orders=list(orders),
            conversations=list(reversed(customer_conversations(session, customer_id))),
            codes=codes_used(session, customer_id),
            consent=consent_now(rows[0].customer, history),
            consent_history=history,
            campaigns=campaigns_received(session, customer_id),
        )
