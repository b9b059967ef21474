"""A seller's edit of one SKU from the dashboard: price, stock, active. Audit-logged.

Stock is set only if it still is what the seller saw: orders reserve stock all the time, and an edit
made on a stale page must not silently undo a reservation (or hand out units twice).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from checkout.audit import record_audit
from checkout.catalog.csv_format import MAX_INTEGER
from checkout.db.database import Database, rowcount
from checkout.db.models import Product, Variant, utcnow
from checkout.errors import CheckoutError
from checkout.learning import catalog_changed
from checkout.money import Money, MoneyError
from checkout.settings import Settings


class CatalogEditError(CheckoutError):
    pass


def parse_stock(text: str | None) -> int | None:
    text = (text or "").strip()
    if not text:
        return None  # not tracked
    if not text.isdigit() or int(text) > MAX_INTEGER:
        raise CatalogEditError(f"stock {text!r} must be a whole number of 0 or more (blank: not tracked)")
    return int(text)


def update_variant(
    session: Session, variant_id: int, price: str, stock: str, stock_seen: str, active: bool, actor: str
) -> Variant:
    variant = session.get(Variant, variant_id)
    if variant is None:
        raise CatalogEditError("that SKU does not exist")
    try:
        new_price = Money.parse(price, variant.currency).amount_minor
    except MoneyError as exc:
        raise CatalogEditError(str(exc)) from None
    if new_price > MAX_INTEGER:
        raise CatalogEditError(f"price {price!r} is too large")
    new_stock, seen = parse_stock(stock), parse_stock(stock_seen)
    before = {"price_minor": variant.price_minor, "stock": variant.stock, "active": variant.active}
    if new_stock != before["stock"]:
        still = Variant.stock.is_(None) if seen is None else Variant.stock == seen
        changed = rowcount(
            session.execute(
                update(Variant)
                .where(Variant.id == variant.id, still)
                .values(stock=new_stock, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        )
        session.refresh(variant)
        if changed != 1:
            raise CatalogEditError(
                f"{variant.sku}'s stock changed to {variant.stock} since the page was loaded "
                "(orders came in); check it and save again"
            )
    variant.price_minor, variant.active = new_price, bool(active)
    after = {"price_minor": variant.price_minor, "stock": variant.stock, "active": variant.active}
    if after != before:
        record_audit(
            session, actor, "catalog.variant_updated", "variant", variant.sku, {"before": before, "after": after}
        )
    _sync_product_active(session, variant.product_id)
    return variant


def _sync_product_active(session: Session, product_id: int) -> None:
    """A product is listed while any of its SKUs is (as the importer keeps it)."""
    session.flush()
    any_active = (
        session.scalar(select(Variant.id).where(Variant.product_id == product_id, Variant.active.is_(True)).limit(1))
        is not None
    )
    session.get_one(Product, product_id).active = any_active


def edit_variant(
    db: Database,
    settings: Settings,
    variant_id: int,
    price: str,
    stock: str,
    stock_seen: str,
    active: bool,
    actor: str,
) -> str:
    """The seller's edit of one SKU, then the assistant told the catalog changed. Returns the SKU;
    raises CatalogEditError and changes nothing when the edit cannot be made."""
    with db.transaction() as session:
        sku = update_variant(session, variant_id, price, stock, stock_seen, active, actor).sku
    with db.reading() as session:
        catalog_changed(session, settings)
    return sku
