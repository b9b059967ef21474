"""Applies a checked catalog file to the database: upsert by SKU in one transaction, deactivate the rest."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.audit import record_audit
from checkout.catalog.csv_format import CatalogRow, RowError, parse_catalog, write_catalog
from checkout.db.database import Database
from checkout.db.models import Product, Variant
from checkout.learning import catalog_changed
from checkout.money import Money
from checkout.settings import Settings


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def import_catalog_file(db: Database, settings: Settings, data: bytes, source: str, actor: str) -> ImportResult:
    """A seller's catalog file (the dashboard's upload, `shop catalog import`): applied whole or not at all,
    audit-logged, and the assistant told the catalog changed. `source` names the file in the audit log."""
    with db.transaction() as session:
        result = import_catalog(session, data, settings.shop_currency)
        if not result.ok:
            session.rollback()
            return result
        counts = {"created": result.created, "updated": result.updated, "deactivated": result.deactivated}
        record_audit(session, actor, "catalog.imported", "catalog", source[:64], counts)
    with db.reading() as session:
        catalog_changed(session, settings)
    return result


def restore_stock(session: Session, data: bytes, default_currency: str, skus: set[str]) -> None:
    """The stock of `skus` (any case) as the catalog file gives it, every other row left as it is: the evaluation's
    scripted conversations each start from the file's stock while others run beside them on other SKUs."""
    rows, _errors = parse_catalog(data, default_currency)
    in_file = {row.sku.casefold(): row.stock for row in rows}
    wanted = {sku.casefold() for sku in skus} & in_file.keys()
    for variant in session.scalars(select(Variant).where(func.lower(Variant.sku).in_(wanted))):
        variant.stock = in_file[variant.sku.casefold()]


def import_catalog(session: Session, data: bytes, default_currency: str) -> ImportResult:
    """A file with any bad row changes nothing and returns every error; otherwise the catalog matches the file."""
    rows, errors = parse_catalog(data, default_currency)
    if errors:
        return ImportResult(errors=errors)
    if not rows:
        return ImportResult(errors=[RowError(1, "the file has a header but no products")])

    result = ImportResult()
    products = {p.name_key: p for p in session.scalars(select(Product))}
    variants = {v.sku.casefold(): v for v in session.scalars(select(Variant))}
    descriptions: dict[str, str | None] = {}
    for row in rows:  # a product's description is the first one its rows give
        if not descriptions.get(row.product_key):
            descriptions[row.product_key] = row.description
    # A changed product name, category or description changes how each of its SKUs is listed.
    products_before = {key: (p.name, p.category, p.description) for key, p in products.items()}
    file_skus = {row.sku.casefold() for row in rows}
    # Variants whose SKU left the file, by their place in a product: a new SKU in the same place is taken
    # as the same variant renamed, so carts holding it keep it instead of pointing at a retired row.
    leaving = {(v.product_id, v.color, v.size): v for key, v in variants.items() if key not in file_skus}
    for row in rows:
        product = products.get(row.product_key)
        if product is None:
            product = Product(name_key=row.product_key, name=row.name)
            products[row.product_key] = product
            session.add(product)
        product.name, product.category, product.active = row.name, row.category, True
        product.description = descriptions[row.product_key]
        variant = variants.get(row.sku.casefold())
        if variant is None and product.id is not None:
            variant = leaving.pop((product.id, row.color, row.size), None)
            if variant is not None:
                variants[row.sku.casefold()] = variants.pop(variant.sku.casefold())
        if variant is None:
            session.add(Variant(product=product, **_variant_fields(row)))
            result.created += 1
            continue
        before = _snapshot(variant)
        variant.product = product
        for key, value in _variant_fields(row).items():
            setattr(variant, key, value)
        variant.active = True
        product_after = (row.name, row.category, descriptions[row.product_key])
        if _snapshot(variant) == before and products_before.get(row.product_key) == product_after:
            result.unchanged += 1
        else:
            result.updated += 1
    for key, variant in variants.items():
        if key not in file_skus and variant.active:
            variant.active = False
            result.deactivated += 1
    session.flush()
    _deactivate_products_without_variants(session)
    return result


def _variant_fields(row: CatalogRow) -> dict:
    return dict(
        sku=row.sku,
        color=row.color,
        size=row.size,
        price_minor=row.price.amount_minor,
        currency=row.price.currency,
        stock=row.stock,
        image_url=row.image_url,
    )


def _snapshot(variant: Variant) -> tuple:
    return (
        variant.product,
        variant.sku,
        variant.color,
        variant.size,
        variant.price_minor,
        variant.currency,
        variant.stock,
        variant.image_url,
        variant.active,
    )


def _deactivate_products_without_variants(session: Session) -> None:
    active_counts = dict(
        session.execute(
            select(Variant.product_id, func.count()).where(Variant.active.is_(True)).group_by(Variant.product_id)
        ).all()
    )
    for product in session.scalars(select(Product).where(Product.active.is_(True))):
        if not active_counts.get(product.id):
            product.active = False


def catalog_is_empty(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(Variant)) == 0


def export_catalog(session: Session, include_inactive: bool = False) -> str:
    query = select(Variant).join(Variant.product).order_by(Product.name, Variant.id)
    if not include_inactive:
        query = query.where(Variant.active.is_(True))
    rows = []
    for v in session.scalars(query):
        rows.append(
            dict(
                sku=v.sku,
                name=v.product.name,
                price=Money(v.price_minor, v.currency).major_string(),
                currency=v.currency,
                stock="" if v.stock is None else str(v.stock),
                category=v.product.category or "",
                description=v.product.description or "",
                color=v.color or "",
                size=v.size or "",
                image_url=v.image_url or "",
            )
        )
    return write_catalog(rows)
