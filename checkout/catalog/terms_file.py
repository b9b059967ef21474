"""The catalog's words for the understanding (checkout.understanding), from the database, and their
snapshot file for Rasa's NLU component, written after every catalog change."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.orm import Session

from checkout.catalog.queries import active_variants, list_products
from checkout.db.models import Product
from checkout.understanding.terms import CatalogTerms, ProductTerms
from checkout.understanding.text import key_words

# A word in at least this many descriptions (and this share of them) is common in this shop.
COMMON_IN_DESCRIPTIONS = 3
COMMON_SHARE = 0.1


def terms_of(products: list[Product]) -> CatalogTerms:
    return CatalogTerms(
        tuple(
            ProductTerms(
                p.name,
                p.category,
                tuple(sorted({v.color for v in active_variants(p) if v.color})),
                tuple(sorted({v.size for v in active_variants(p) if v.size})),
            )
            for p in products
        ),
        common_words(products),
    )


def common_words(products: list[Product]) -> frozenset[str]:
    counts: dict[str, int] = {}
    for product in products:
        for word in set(key_words(product.description or "")):
            counts[word] = counts.get(word, 0) + 1
    floor = max(COMMON_IN_DESCRIPTIONS, COMMON_SHARE * len(products))
    return frozenset(w for w, n in counts.items() if n >= floor)


def catalog_terms(session: Session) -> CatalogTerms:
    return terms_of(list_products(session))


def publish_catalog_terms(session: Session, path: Path) -> bool:
    """Writes the snapshot when the catalog's words changed (atomically: Rasa may read it at any moment).
    Returns whether it changed."""
    text = catalog_terms(session).to_json()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return True
