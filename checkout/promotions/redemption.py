"""A code meets a shopper: its terms as stored, who the shopper is to it, and the use an order takes and gives back.

A use is taken in the transaction that places the order, by one conditional UPDATE (`uses < max_uses`), so a code
with one use left makes exactly one order however many shoppers try it at once; the loser's transaction rolls back
with its cart untouched. A once-per-customer code is also guarded by a unique constraint on its redemptions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.customers.directory import customer_rows
from checkout.db.database import rowcount
from checkout.db.models import Order, PromoCode, PromoRedemption, Promotion, utcnow
from checkout.errors import CheckoutError
from checkout.promotions.kinds import PromoKind, Refusal
from checkout.promotions.pricing import Pricing
from checkout.promotions.rules import PromoTerms, Refused, Shopper, normalize_code, refusal


class PromoCodeRefused(CheckoutError):
    """The code cannot be used for this order; nothing was ordered and the cart is as it was."""

    def __init__(self, code: str, refused: Refused):
        super().__init__(f"promo code {code}: {refused.reason}")
        self.code, self.refused = code, refused


def find_code(session: Session, text: str | None) -> PromoCode | None:
    code = normalize_code(text)
    return session.scalar(select(PromoCode).where(PromoCode.code == code)) if code else None


def terms_of(code: PromoCode) -> PromoTerms:
    promotion = code.promotion
    return PromoTerms(
        code=code.code,
        kind=PromoKind(promotion.kind),
        value=promotion.value,
        min_order_minor=promotion.min_order_minor,
        starts_at=promotion.starts_at,
        ends_at=promotion.ends_at,
        max_uses=promotion.max_uses,
        uses=code.uses,
        once_per_customer=promotion.once_per_customer,
        segments=tuple(promotion.segments or ()),
        customer_ids=tuple(promotion.customer_ids or ()),
        active=code.active,
    )


def shopper_for(session: Session, code: PromoCode, customer_id: int, currency: str) -> Shopper:
    """Only what the code's rules need: the segment costs a query over all paying customers, so it is looked up
    only for a code aimed at segments."""
    promotion = code.promotion
    segment = None
    if promotion.segments and customer_id not in (promotion.customer_ids or ()):
        rows = customer_rows(session, currency, customer_id=customer_id)
        segment = rows[0].segment if rows else None
    holds = promotion.once_per_customer and session.scalar(
        select(PromoRedemption.id).where(
            PromoRedemption.promo_code_id == code.id,
            PromoRedemption.customer_id == customer_id,
            PromoRedemption.released_at.is_(None),
        )
    )
    return Shopper(customer_id, segment, bool(holds))


def check_code(
    session: Session, code: PromoCode | None, customer_id: int, currency: str, subtotal_minor: int, now: datetime
) -> Refused | None:
    if code is None:
        return Refused(Refusal.UNKNOWN)
    if code.promotion.kind == PromoKind.AMOUNT and code.promotion.currency != currency:
        return Refused(Refusal.NOT_FOR_YOU)  # an amount in another currency is not this cart's to take off
    return refusal(terms_of(code), shopper_for(session, code, customer_id, currency), subtotal_minor, now)


def take_use(session: Session, code: PromoCode, order: Order, pricing: Pricing) -> None:
    """Takes one use of the code for the (flushed) order, or raises PromoCodeRefused (used up, already used)."""
    limit = select(Promotion.max_uses).where(Promotion.id == PromoCode.promotion_id).scalar_subquery()
    taken = rowcount(
        session.execute(
            update(PromoCode)
            .where(PromoCode.id == code.id, PromoCode.active.is_(True), or_(limit.is_(None), PromoCode.uses < limit))
            .values(uses=PromoCode.uses + 1)
            .execution_options(synchronize_session=False)
        )
    )
    if taken != 1:
        raise PromoCodeRefused(code.code, Refused(Refusal.USED_UP))
    redemption = PromoRedemption(
        promo_code_id=code.id,
        order_id=order.id,
        customer_id=order.customer_id,
        held_by_customer_id=order.customer_id if code.promotion.once_per_customer else None,
        discount_given_minor=pricing.discount_given_minor,
    )
    try:
        with session.begin_nested():
            session.add(redemption)
    except IntegrityError:  # another order of this customer took its one use in the meantime
        raise PromoCodeRefused(code.code, Refused(Refusal.ALREADY_USED)) from None


def release_use(session: Session, order: Order) -> bool:
    """Gives the order's use back (cancelled, expired, refunded), once: the first caller to stamp released_at."""
    redemption = session.scalar(select(PromoRedemption).where(PromoRedemption.order_id == order.id))
    if redemption is None:
        return False
    stamped = rowcount(
        session.execute(
            update(PromoRedemption)
            .where(PromoRedemption.id == redemption.id, PromoRedemption.released_at.is_(None))
            .values(released_at=utcnow(), held_by_customer_id=None)
            .execution_options(synchronize_session=False)
        )
    )
    if stamped != 1:
        return False
    session.execute(
        update(PromoCode)
        .where(PromoCode.id == redemption.promo_code_id, PromoCode.uses > 0)
        .values(uses=PromoCode.uses - 1)
        .execution_options(synchronize_session=False)
    )
    return True
