"""Reading numbers, sizes and colours out of chat text when the NLU model did not tag them."""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from checkout.understanding.mentions import find_mentions
from checkout.understanding.reading import NUMBER_WORDS as CATALOG_NUMBER_WORDS
from checkout.understanding.terms import CatalogTerms, ProductTerms

# "a"/"an" count as one only when they start a short answer ("an orange one"): see parse_quantity
NUMBER_WORDS = {**CATALOG_NUMBER_WORDS, "a": 1, "an": 1}
SIZE_WORDS = {
    "xs": "XS",
    "extra small": "XS",
    "s": "S",
    "small": "S",
    "sm": "S",
    "m": "M",
    "medium": "M",
    "med": "M",
    "l": "L",
    "large": "L",
    "lg": "L",
    "xl": "XL",
    "extra large": "XL",
    "x-large": "XL",
    "xxl": "XXL",
    "2xl": "XXL",
}
COLOR_ALIASES = {"gray": "grey", "blk": "black", "wht": "white", "blue": "navy", "cream": "beige", "tan": "beige"}


def parse_quantity(text: str | None) -> int | None:
    """'2', 'two', 'x3', 'a couple' -> a whole number; None when the text holds no single clear number."""
    text = (text or "").strip().lower()
    if re.search(r"(?<![\w])-\s*\d", text):
        return None  # "-1" is not an amount anyone orders
    digits = re.findall(r"(?<![\d.,+])\d{1,4}(?![\d.,])", text)
    if len(digits) == 1:
        return int(digits[0])
    if digits:
        return None
    words = re.findall(r"[a-zà-ÿ]+", text)
    numbers = [NUMBER_WORDS[w] for w in words if w in NUMBER_WORDS and w not in ("a", "an")]
    if len(set(numbers)) == 1:
        return numbers[0]
    if not numbers and words[:1] in (["a"], ["an"]) and len(words) <= 3:
        return 1
    return None


# "add a black beanie", "I'll take an orange one": the article is the quantity. The NLU model tags it as
# one only sometimes (it varies from one training to the next), so the words decide.
_ARTICLE_QUANTITY = re.compile(
    r"\b(?:add|take|get|buy|want|order|like|need|grab)\s+(?:a|an|one|another|the|this|that|it)\b"
    r"(?!\s+(?:couple|pair|few|dozen|lot|bunch)\b)",
    re.I,
)


def article_quantity(text: str | None) -> str | None:
    """'1' when the shopper asks for "a"/"an"/"one"/"the" of something, else None."""
    return "1" if _ARTICLE_QUANTITY.search(text or "") else None


def read_option(text: str | None, options: list[str], kind: str) -> str | None:
    """A colour or size among one product's `options` as the catalog reader finds it in `text`: any case,
    typos, several words ("rose nude"), "50ml" for "50 ML", "hardback" for "HARDCOVER"."""
    product = ProductTerms(
        "-", None, tuple(options) if kind == "color" else (), tuple(options) if kind == "size" else ()
    )
    return next((m.value for m in find_mentions(CatalogTerms((product,)), text or "") if m.kind == kind), None)


def parse_size(text: str | None, options: list[str]) -> str | None:
    """A size among `options` named in `text` ('medium', 'M', 'size l', '50ml')."""
    read = read_option(text, options, "size")
    if read:
        return read
    text = (text or "").strip().lower()
    if text.upper() in options:
        return text.upper()
    for phrase_ in sorted(SIZE_WORDS, key=len, reverse=True):
        # single letters only count when they are the whole answer or follow "size"
        if (
            re.search(rf"(?<![\w-]){re.escape(phrase_)}(?![\w-])", text)
            and SIZE_WORDS[phrase_] in options
            and (len(phrase_) >= 2 or text == phrase_ or re.search(rf"\bsize\s+{re.escape(phrase_)}\b", text))
        ):
            return SIZE_WORDS[phrase_]
    return None


def parse_color(text: str | None, options: list[str]) -> str | None:
    """A colour among `options` named in `text`, typos and a few aliases allowed."""
    read = read_option(text, options, "color")
    if read:
        return read
    words = [COLOR_ALIASES.get(w, w) for w in re.findall(r"[a-zà-ÿ]+", (text or "").lower())]
    for word in words:
        if word in options:
            return word
    best = None
    for word in words:
        if len(word) < 3:
            continue
        match = process.extractOne(word, options, scorer=fuzz.ratio, score_cutoff=80)
        if match and (best is None or match[1] > best[1]):
            best = match
    return best[0] if best else None
