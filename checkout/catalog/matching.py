"""Finds the product a shopper means from what they typed, against the live catalog.

The NLU pipeline already tags catalog names with the catalog's spelling (nlu_components/); the actions
read the text again here with the same reader (checkout.understanding), so a name is found whether the
model tagged it or not, and a product imported a minute ago is found before any retraining.
"""

from __future__ import annotations

from dataclasses import dataclass

from checkout.catalog.terms_file import terms_of
from checkout.db.models import Product
from checkout.understanding.reading import Reading, narrow_to_variant, products_in_category, read_message


@dataclass(frozen=True)
class Resolution:
    product: Product | None
    candidates: list[Product]  # several when the words fit more than one product equally well

    @property
    def ambiguous(self) -> bool:
        return self.product is None and len(self.candidates) > 1


def read(products: list[Product], text: str) -> Reading:
    return read_message(terms_of(products), text)


def resolve_product(
    products: list[Product], text: str, color: str | None = None, size: str | None = None, by_category: bool = True
) -> Resolution:
    """The product `text` names, using colour and size to choose among candidates ("the black hoodie").
    A category named alone stands for its products ("2 beanies", "socks"), unless `by_category` is False."""
    exact = [p for p in products if p.name.casefold() == (text or "").strip().casefold()]
    if exact:
        return Resolution(exact[0], exact)
    terms = terms_of(products)
    reading = read_message(terms, text)
    color, size = reading.color or _spelled(color, terms.colors), reading.size or _spelled(size, terms.sizes)
    names: tuple[str, ...] = ()
    if reading.products:
        names = reading.products[0]
    elif by_category and reading.categories:
        names = products_in_category(terms, reading.categories[0], color, size)
    names = narrow_to_variant(terms, names, color, size)
    by_name = {p.name: p for p in products}
    candidates = [by_name[n] for n in names if n in by_name]
    return Resolution(candidates[0] if len(candidates) == 1 else None, candidates)


def _spelled(value: str | None, known: tuple[str, ...]) -> str | None:
    return next((k for k in known if value and k.casefold() == value.casefold()), None)
