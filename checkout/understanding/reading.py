"""What a message asks about, read against the catalog: the products (one, or candidates to choose from),
categories, colour, size and how many."""

from __future__ import annotations

import re
from dataclasses import dataclass

from checkout.understanding.mentions import Mention, find_mentions
from checkout.understanding.terms import CatalogTerms
from checkout.understanding.text import fold, key_words, tokenize

NUMBER_WORDS = {
    "one": 1,
    "single": 1,
    "two": 2,
    "couple": 2,
    "pair": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "dozen": 12,
    # a few languages our shoppers write in
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "uno": 1,
    "una": 1,
    "dos": 2,
    "tres": 3,
    "zwei": 2,
    "drei": 3,
    "dois": 2,
    "duas": 2,
    "eins": 1,
    "ein": 1,
    "eine": 1,
}
# "a", "an", "the", "this" before a product: one of it ("add the tote" is one tote).
ONE_WORDS = {"a", "an", "the", "this", "that", "another"}
# Between a number and what it counts: "2 of the", "2x", "a couple of".
COUNT_JOINERS = {
    "of",
    "the",
    "x",
    "copies",
    "copy",
    "pieces",
    "piece",
    "pcs",
    "units",
    "unit",
    "more",
    "a",
    "those",
    "these",
    "your",
}

# "and the weekday kitchen", "also a tote": one more of what the shopper was just doing.
ONE_MORE = re.compile(r"^\W*(?:(?:oh|ok|okay)\W+)?(?:and|also|plus|&)\b", re.I)
_SOME = re.compile(r"\b(?:some|few|several|more|many)\b", re.I)
_JOINER_KEYS = {key for word in COUNT_JOINERS for key in key_words(word)}  # "copys" as "copies"


@dataclass(frozen=True)
class Reading:
    mentions: tuple[Mention, ...]
    products: tuple[tuple[str, ...], ...]  # per product mention: its candidates (one = resolved)
    categories: tuple[str, ...]
    color: str | None
    size: str | None
    quantity: int | None  # a number said for the first product or category
    says_one: bool  # "a", "the", "one" before the first product or category
    quantity_span: tuple[int, int] | None = None  # where the number is written

    @property
    def product(self) -> str | None:
        """The one product the message names, when it names exactly one and unambiguously."""
        return self.products[0][0] if len(self.products) == 1 and len(self.products[0]) == 1 else None


def read_message(terms: CatalogTerms, text: str) -> Reading:
    mentions = tuple(find_mentions(terms, text))
    color = next((m.value for m in mentions if m.kind == "color"), None)
    size = next((m.value for m in mentions if m.kind == "size"), None)
    products = tuple(narrow_to_variant(terms, m.values, color, size) for m in mentions if m.kind == "product")
    categories = tuple(m.value for m in mentions if m.kind == "category" and m.value)
    target = next((m for m in mentions if m.kind in ("product", "category")), None)
    variants = [m for m in mentions if m.kind in ("color", "size")]
    quantity, says_one, span = _count_before(text, target, variants) if target else (None, False, None)
    if quantity is None and target is not None:
        last = max(mentions, key=lambda m: m.end)
        quantity, span = _count_after(text, last.end, pointing=last.kind in ("color", "size") or not last.full)
    # "the road to samarkand please": the name's own "the" is the shopper's too; "and letters to the sea too":
    # one more of what was just asked for
    says_one = says_one or (
        target is not None
        and (
            text[target.start : target.end].split(maxsplit=1)[0].casefold() in ONE_WORDS
            or (bool(ONE_MORE.match(text)) and _in_the_singular(text, target))
        )
    )
    return Reading(mentions, products, categories, color, size, quantity, says_one or quantity == 1, span)


def _in_the_singular(text: str, mention: Mention) -> bool:
    """ "letters to the sea" (a name) or "tote", not "some red bookmarks": how many is left to ask."""
    words = tokenize(text[: mention.end])
    return bool(words) and fold(words[-1].text) == words[-1].key and not _SOME.search(text[: mention.start])


def products_in_category(terms: CatalogTerms, category: str, color: str | None, size: str | None) -> tuple[str, ...]:
    """ "2 beanies", "the blue notebook": the category's products that have the colour and size asked for."""
    return narrow_to_variant(terms, tuple(p.name for p in terms.products if p.category == category), color, size)


def narrow_to_variant(
    terms: CatalogTerms, names: tuple[str, ...], color: str | None, size: str | None
) -> tuple[str, ...]:
    """Candidates that have the colour and size asked for, when that leaves any."""
    fitting = tuple(
        n
        for n in names
        if (p := terms.product(n)) is not None and (not color or color in p.colors) and (not size or size in p.sizes)
    )
    return fitting or names


def _count_before(
    text: str, target: Mention, variants: list[Mention]
) -> tuple[int | None, bool, tuple[int, int] | None]:
    """The number said just before the product ("2 of the", "two navy", "a couple of") and where, or whether
    "a"/"the" is said there. The words of a colour or size in between are passed over; a number inside a
    size ("£25 gift card") is the size's."""
    tokens = [t for t in tokenize(text[: target.start]) if not any(v.start <= t.start < v.end for v in variants)][-5:]
    says_one = False
    for back in range(len(tokens) - 1, -1, -1):
        word = tokens[back].text.casefold()
        number = int(word) if word.isdigit() and 0 < len(word) <= 3 else NUMBER_WORDS.get(word)
        if number is not None:
            start = (
                tokens[back - 1].start
                if back and word in ("couple", "pair") and tokens[back - 1].key == "a"
                else tokens[back].start
            )
            return number, False, (start, tokens[back].end)
        # "a hardcover of ...", "the paperback of ...": the article before the format counts the book
        says_one = says_one or word in ONE_WORDS
        if word not in COUNT_JOINERS and tokens[back].key not in _JOINER_KEYS:
            break
    return None, says_one, None


_NUMBER = r"\d{1,2}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_AFTER = re.compile(
    r"\b(?:x\s*(\d{1,3})|(\d{1,3})\s*x|(?:qty|quantity)\s*:?\s*(\d{1,3})|"
    rf"({_NUMBER})(?=\s*(?:please|pls|plz|of\s+(?:them|those|it)|thanks|thx|$|[,.!?])))(?!\w)",
    re.I,
)


def _count_after(text: str, after: int, pointing: bool = False) -> tuple[int | None, tuple[int, int] | None]:
    """ "glow serum x2", "cafe at the corner paperback x1", "... 200 ml, one please", "qty 3": after the last
    name."""
    match = _AFTER.search(text[after:])
    if not match:
        return None, None
    group = next(i for i, g in enumerate(match.groups(), start=1) if g)
    word = match.group(group).casefold()
    if word == "one" and pointing and not text[after : after + match.start(group)].strip():
        return None, None  # "the beige one", "the glow one": which one, not how many
    return (int(word) if word.isdigit() else NUMBER_WORDS[word]), (after + match.start(group), after + match.end(group))


_SEPARATOR = re.compile(r",|;|\+|&|\band\b|\bplus\b|\balso\b|\bwith\b", re.I)


def split_requests(terms: CatalogTerms, text: str) -> list[str]:
    """One piece of the message per product it names, each with its own number, colour and size:
    "two red notebooks a5 and a brown bookmark please" -> ["two red notebooks a5", "a brown bookmark please"].
    A message naming one product (or none) is one piece."""
    products = [m for m in find_mentions(terms, text) if m.kind == "product"]
    if len(products) < 2:
        return [text]
    pieces, start = [], 0
    for before, after in zip(products, products[1:], strict=False):  # each with the next
        gap = text[before.end : after.start]
        separators = list(_SEPARATOR.finditer(gap))
        cut = before.end + (separators[-1].start() if separators else len(gap))
        pieces.append(text[start:cut].strip(" ,;"))
        start = before.end + (separators[-1].end() if separators else len(gap))
    pieces.append(text[start:].strip(" ,;"))
    return [p for p in pieces if p]
