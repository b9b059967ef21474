"""What shoppers ask of the catalog, read live from the database at the moment of asking."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from checkout.db.models import Product, Variant


@dataclass(frozen=True)
class CategorySummary:
    name: str
    product_count: int


def list_categories(session: Session) -> list[CategorySummary]:
    rows = session.execute(
        select(Product.category, func.count(Product.id))
        .where(Product.active.is_(True), Product.category.is_not(None))
        .group_by(Product.category)
        .order_by(Product.category)
    ).all()
    # The query leaves out products without a category; the check tells the type checker so.
    return [CategorySummary(name, count) for name, count in rows if name is not None]


def list_products(session: Session, category: str | None = None) -> list[Product]:
    """Active products (with their active variants loaded), optionally of one category."""
    query = (
        select(Product)
        .where(Product.active.is_(True))
        .options(selectinload(Product.variants))
        .order_by(Product.category, Product.name)
    )
    if category:
        query = query.where(Product.category == category.lower())
    return list(session.scalars(query))


def all_products(session: Session) -> list[Product]:
    """Every product, deactivated ones last, with all its variants: the seller's catalog page."""
    query = select(Product).options(selectinload(Product.variants)).order_by(Product.active.desc(), Product.name)
    return list(session.scalars(query))


def find_product(session: Session, name: str) -> Product | None:
    """The active product with exactly this name (as the actions keep it in slots)."""
    return session.scalar(
        select(Product).where(Product.name == name, Product.active.is_(True)).options(selectinload(Product.variants))
    )


def active_variants(product: Product) -> list[Variant]:
    return [v for v in product.variants if v.active]


def find_variant(product: Product, color: str | None, size: str | None) -> Variant | None:
    """The active variant in this colour and size; None (or "") for a choice the product does not offer."""
    for v in active_variants(product):
        if (v.color or None) == (color or None) and (v.size or None) == (size or None):
            return v
    return None
