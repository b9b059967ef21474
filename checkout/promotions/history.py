"""The codes one customer used: for their page in the dashboard and their data export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.db.models import Order, PromoCode, PromoRedemption
from checkout.money import Money
from checkout.orders.export import isoformat_utc


@dataclass(frozen=True)
class CodeUse:
    code: str
    order_number: str
    order_status: str
    used_at: datetime
    currency: str
    discount_given_minor: int  # the discount plus any delivery fee the code waived
    given_back: bool  # the order was cancelled, expired or refunded: the use is free again


def codes_used(session: Session, customer_id: int) -> list[CodeUse]:
    """Every order of the customer's that took a code's use, oldest first."""
    rows = session.execute(
        select(PromoCode.code, Order.number, Order.status, PromoRedemption.created_at, Order.currency)
        .add_columns(PromoRedemption.discount_given_minor, PromoRedemption.released_at)
        .join(PromoCode, PromoCode.id == PromoRedemption.promo_code_id)
        .join(Order, Order.id == PromoRedemption.order_id)
        .where(PromoRedemption.customer_id == customer_id)
        .order_by(PromoRedemption.created_at, PromoRedemption.id)
    )
    return [
        CodeUse(code, number, status, used_at, currency, given, released is not None)
        for code, number, status, used_at, currency, given, released in rows
    ]


def code_use_to_dict(use: CodeUse) -> dict:
    return {
        "code": use.code,
        "order": use.order_number,
        "order_status": use.order_status,
        "used_at": isoformat_utc(use.used_at),
        "currency": use.currency,
        "discount_given": Money(use.discount_given_minor, use.currency).major_string(),
        "use_given_back": use.given_back,
    }
