"""Finds the product a shopper means from what they typed, typos included, against the live catalog.

NLU only tags words as `product`; which product they mean is decided here, by fuzzy matching the words
against active product names, so a product imported a minute ago is found before any retraining.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from checkout.db.models import Product

WORD = re.compile(r"[\w]+(?:-[\w]+)*", re.UNICODE)
# How shoppers write product words -> the word used in names.
ALIASES = {"tshirt": "tee", "t-shirt": "tee", "tshirts": "tee", "t-shirts": "tee", "shirt": "tee", "tees": "tee",
           "hoody": "hoodie", "hoodies": "hoodie", "hoddie": "hoodie", "sweatshirt": "hoodie",
           "bag": "tote", "tote": "tote", "stickers": "sticker", "hat": "cap", "key": "keychain",
           "keyring": "keychain", "longsleeve": "long", "beany": "beanie", "beenie": "beanie"}
# Words in questions that look like product words to a fuzzy matcher but never name one.
NOT_PRODUCT_WORDS = {"stock", "price", "size", "sizes", "much", "have", "want", "take", "colour", "color",
                     "colors", "colours", "black", "white", "check", "cost", "costs", "show", "some", "about"}
MIN_WORD_SIMILARITY = 82
MIN_PRODUCT_SCORE = 0.4
CLEAR_LEAD = 0.15


def words(text: str) -> list[str]:
    found = []
    for word in WORD.findall((text or "").lower()):
        word = ALIASES.get(word, word)
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = ALIASES.get(word[:-1], word[:-1])
        found.append(word)
    return found


def _name_words(product: Product) -> list[str]:
    return [ALIASES.get(w, w) for w in words(product.name)]


def product_score(product: Product, message_words: list[str]) -> float:
    """Share of the product name's words found in the message (each weighted by how well it matched)."""
    name_words = _name_words(product)
    candidates = [w for w in message_words if len(w) >= 3 and w not in NOT_PRODUCT_WORDS]
    total = 0.0
    for name_word in name_words:
        best = max((fuzz.ratio(name_word, w) for w in candidates), default=0)
        if best >= MIN_WORD_SIMILARITY:
            total += best / 100
    return total / len(name_words) if name_words else 0.0


@dataclass(frozen=True)
class Resolution:
    product: Product | None
    candidates: list[Product]  # several when the words fit more than one product equally well

    @property
    def ambiguous(self) -> bool:
        return self.product is None and len(self.candidates) > 1


def resolve_product(products: list[Product], text: str, color: str | None = None, size: str | None = None) -> Resolution:
    """The product `text` names, using colour and size to break ties ("the black hoodie")."""
    exact = [p for p in products if p.name.casefold() == (text or "").strip().casefold()]
    if exact:
        return Resolution(exact[0], exact)
    message_words = words(text)
    scored = sorted(((product_score(p, message_words), p) for p in products), key=lambda sp: -sp[0])
    scored = [(s, p) for s, p in scored if s >= MIN_PRODUCT_SCORE]
    if not scored:
        return Resolution(None, [])
    best = scored[0][0]
    close = [p for s, p in scored if best - s < CLEAR_LEAD]
    if len(close) > 1 and (color or size):
        fitting = [p for p in close if _has_variant(p, color, size)]
        close = fitting or close
    return Resolution(close[0] if len(close) == 1 else None, close)


def _has_variant(product: Product, color: str | None, size: str | None) -> bool:
    return any(v.active and (not color or (v.color or "").lower() == color.lower())
               and (not size or (v.size or "").upper() == size.upper()) for v in product.variants)
