"""The seller's page of promo codes: single codes one row each, a batch one row for all its codes, with figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.db.models import PromoCode, Promotion
from checkout.promotions.report import code_figures, code_to_dict


@dataclass(frozen=True)
class PromoRow:
    """A single code, or a batch summed over its codes (`code`: its first code's object, the terms they share)."""

    code: dict  # `shop promo list`'s object
    promotion_id: int
    batch_prefix: str | None
    starts_at: datetime | None
    ends_at: datetime | None  # exclusive
    codes: int
    active_codes: int
    uses: int
    discount_given_minor: int
    revenue_minor: int


@dataclass(frozen=True)
class PromoOverview:
    singles: list[PromoRow]  # newest first
    batches: list[PromoRow]  # newest first


def promotions_overview(session: Session) -> PromoOverview:
    figures = code_figures(session)
    codes = session.scalars(select(PromoCode).order_by(PromoCode.promotion_id.desc(), PromoCode.id))
    singles: list[PromoRow] = []
    batches: list[PromoRow] = []
    for _, group in groupby(codes, key=lambda code: code.promotion_id):
        members = list(group)
        promotion = members[0].promotion
        rows = [members] if promotion.batch_prefix is not None else [[c] for c in members]
        for part in rows:
            row = PromoRow(
                code=code_to_dict(part[0], *figures.get(part[0].id, (0, 0))),
                promotion_id=promotion.id,
                batch_prefix=promotion.batch_prefix,
                starts_at=promotion.starts_at,
                ends_at=promotion.ends_at,
                codes=len(part),
                active_codes=sum(c.active for c in part),
                uses=sum(c.uses for c in part),
                discount_given_minor=sum(figures.get(c.id, (0, 0))[0] for c in part),
                revenue_minor=sum(figures.get(c.id, (0, 0))[1] for c in part),
            )
            (batches if promotion.batch_prefix is not None else singles).append(row)
    return PromoOverview(singles, batches)


def batch_codes(session: Session, promotion_id: int) -> tuple[str, list[dict]] | None:
    """A batch's prefix and every code of it as `shop promo list` objects; None when there is no such batch."""
    promotion = session.get(Promotion, promotion_id)
    if promotion is None or promotion.batch_prefix is None:
        return None
    figures = code_figures(session)
    return promotion.batch_prefix, [code_to_dict(c, *figures.get(c.id, (0, 0))) for c in promotion.codes]
