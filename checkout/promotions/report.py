"""`shop promo list`: every code with its terms, uses, and what it gave and brought in over paid orders."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.db.models import Order, PromoCode, PromoRedemption
from checkout.money import Money
from checkout.orders.export import isoformat_utc
from checkout.promotions.kinds import PromoKind
from checkout.spreadsheet_cells import spreadsheet_safe
from checkout.statuses import SPENDING_STATUSES

CSV_COLUMNS = (
    "code",
    "kind",
    "value",
    "currency",
    "min_order",
    "starts_at",
    "ends_at",
    "max_uses",
    "uses",
    "once_per_customer",
    "segments",
    "customer_ids",
    "active",
    "discount_given",
    "revenue",
)


def code_figures(session: Session) -> dict[int, tuple[int, int]]:
    """code id -> (discount given, revenue) over orders paid or fulfilled (refunded ones no longer count)."""
    rows = session.execute(
        select(
            PromoRedemption.promo_code_id, func.sum(PromoRedemption.discount_given_minor), func.sum(Order.total_minor)
        )
        .join(Order, Order.id == PromoRedemption.order_id)
        .where(Order.status.in_(SPENDING_STATUSES))
        .group_by(PromoRedemption.promo_code_id)
    )
    return {code_id: (int(given), int(revenue)) for code_id, given, revenue in rows}


def code_to_dict(code: PromoCode, given_minor: int = 0, revenue_minor: int = 0) -> dict:
    promotion = code.promotion
    money = lambda minor: Money(minor, promotion.currency).major_string()  # noqa: E731
    value: int | str | None = None  # a number for percent, a decimal string for amount, null for free delivery
    if promotion.kind == PromoKind.PERCENT:
        value = promotion.value
    elif promotion.kind == PromoKind.AMOUNT:
        value = money(promotion.value)
    return {
        "code": code.code,
        "kind": promotion.kind,
        "value": value,
        "currency": promotion.currency,
        "min_order": money(promotion.min_order_minor) if promotion.min_order_minor is not None else None,
        "starts_at": isoformat_utc(promotion.starts_at) if promotion.starts_at else None,
        "ends_at": isoformat_utc(promotion.ends_at) if promotion.ends_at else None,
        "max_uses": promotion.max_uses,
        "uses": code.uses,
        "once_per_customer": promotion.once_per_customer,
        "segments": list(promotion.segments or []),
        "customer_ids": list(promotion.customer_ids or []),
        "active": code.active,
        "discount_given": money(given_minor),
        "revenue": money(revenue_minor),
    }


def list_codes(session: Session) -> list[dict]:
    """One object per code, oldest first."""
    figures = code_figures(session)
    codes = session.scalars(select(PromoCode).order_by(PromoCode.id))
    return [code_to_dict(code, *figures.get(code.id, (0, 0))) for code in codes]


def new_codes_csv(codes: list[str]) -> str:
    """A batch's codes as they are created, one a row under `code` (a prefix may start with `-`)."""
    return "code\n" + "".join(f"{spreadsheet_safe(code)}\n" for code in codes)


def codes_to_csv(codes: list[dict]) -> str:
    """The same objects, one row each; lists as space-separated words."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for code in codes:
        cells = [" ".join(map(str, v)) if isinstance(v, list) else v for v in (code[c] for c in CSV_COLUMNS)]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return out.getvalue()
