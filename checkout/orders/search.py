"""The seller's order list: filters, search by number, name or phone, newest first, one page at a time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVarTuple

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from checkout.db.models import Order

PAGE_SIZE = 25
_Columns = TypeVarTuple("_Columns")


@dataclass(frozen=True)
class OrderFilters:
    status: str | None = None
    channel: str | None = None
    since: date | None = None  # first day included
    until: date | None = None  # last day included
    query: str | None = None


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    pages: int
    total: int


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _like(text: str) -> str:
    """A LIKE pattern that matches `text` literally (its % and _ are not wildcards)."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


def filtered(query: Select[*_Columns], filters: OrderFilters) -> Select[*_Columns]:
    if filters.status:
        query = query.where(Order.status == filters.status)
    if filters.channel:
        query = query.where(Order.channel == filters.channel)
    if filters.since:
        query = query.where(Order.created_at >= day_start(filters.since))
    if filters.until:
        query = query.where(Order.created_at < day_start(filters.until + timedelta(days=1)))
    text = (filters.query or "").strip()
    if text:
        conditions = [
            Order.number.like(_like(text.upper()), escape="\\"),
            func.lower(Order.customer_name).like(_like(text.lower()), escape="\\"),
        ]
        digits = re.sub(r"\D", "", text)
        # Phones are stored as +<digits>; "06 12 34" finds "+33612345678" by its digits.
        if len(digits) >= 3 and re.fullmatch(r"[\d\s().+-]+", text):
            conditions.append(Order.customer_phone.like(_like(digits.lstrip("0")), escape="\\"))
        query = query.where(or_(*conditions))
    return query


def search_orders(session: Session, filters: OrderFilters, page: int = 1, page_size: int = PAGE_SIZE) -> Page:
    total = session.execute(filtered(select(func.count(Order.id)), filters)).scalar_one()
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    orders = session.scalars(
        filtered(select(Order), filters)
        .options(selectinload(Order.items), selectinload(Order.payments))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return Page(list(orders), page, pages, total)


def all_matching(session: Session, filters: OrderFilters) -> list[Order]:
    """Every matching order, newest first (the CSV export)."""
    return list(
        session.scalars(
            filtered(select(Order), filters)
            .options(selectinload(Order.items), selectinload(Order.payments))
            .order_by(Order.created_at.desc(), Order.id.desc())
        )
    )


def known_channels(session: Session) -> list[str]:
    return list(session.scalars(select(Order.channel).distinct().order_by(Order.channel)))
