"""The catalog's words as the understanding needs them: product names with their category, colours and
sizes. Built from the database by the shop, handed to Rasa's NLU component as a JSON snapshot."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

# Sizes shoppers write in words; the catalog holds the short form (it keeps sizes upper case).
SIZE_SYNONYMS = {
    "XS": ("extra small", "x small", "x-small"),
    "S": ("small",),
    "M": ("medium", "med"),
    "L": ("large",),
    "XL": ("extra large", "x large", "x-large"),
    "XXL": ("2xl", "xx large", "xxl"),
    "HARDCOVER": ("hardback", "hard cover", "hardbound"),
    "PAPERBACK": ("softcover", "soft cover", "paper back"),
}
COLOR_SYNONYMS = {"grey": ("gray",), "gray": ("grey",)}


@dataclass(frozen=True)
class ProductTerms:
    name: str
    category: str | None = None
    colors: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogTerms:
    products: tuple[ProductTerms, ...] = ()
    # Words this shop uses all the time in its descriptions ("skin" in a cosmetics shop, "book" in a
    # bookshop): alone, they do not point to the one product whose name contains them.
    common_words: frozenset[str] = frozenset()
    categories: tuple[str, ...] = field(init=False)
    colors: tuple[str, ...] = field(init=False)
    sizes: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "categories", tuple(sorted({p.category for p in self.products if p.category})))
        object.__setattr__(self, "colors", tuple(sorted({c for p in self.products for c in p.colors})))
        object.__setattr__(self, "sizes", tuple(sorted({s for p in self.products for s in p.sizes})))

    def product(self, name: str) -> ProductTerms | None:
        return next((p for p in self.products if p.name == name), None)

    def to_json(self) -> str:
        return json.dumps(
            {
                "products": [
                    {"name": p.name, "category": p.category, "colors": list(p.colors), "sizes": list(p.sizes)}
                    for p in self.products
                ],
                "common_words": sorted(self.common_words),
            },
            ensure_ascii=False,
            indent=1,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> CatalogTerms:
        data = json.loads(text)
        return cls(
            tuple(
                ProductTerms(p["name"], p.get("category"), tuple(p.get("colors") or ()), tuple(p.get("sizes") or ()))
                for p in data.get("products", [])
            ),
            frozenset(data.get("common_words") or ()),
        )


class TermsFile:
    """A snapshot file read again only when it changes (one stat per message)."""

    def __init__(self, path: Path):
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._terms = CatalogTerms()

    def current(self) -> CatalogTerms:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return self._terms  # no catalog published yet (or removed): the last one known
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._terms = CatalogTerms.from_json(self.path.read_text(encoding="utf-8"))
            self._stamp = stamp
        return self._terms
