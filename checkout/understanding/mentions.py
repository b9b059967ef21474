"""Finding the catalog's products, categories, colours and sizes in a message, by the words themselves:
any number (plural or singular), any case, accents or not, typos, a name given in part ("silent garden"
for "The Silent Garden"). Pieces of one name next to each other are one mention.

Where the same words could be several things, the fuller and longer reading wins: "the black orchard"
is the book, "a black notebook" is a colour and a category. A name given in part that fits several
products is one mention with several candidates, never a guess.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from checkout.understanding.terms import COLOR_SYNONYMS, SIZE_SYNONYMS, CatalogTerms
from checkout.understanding.text import CHAT_WORDS, Token, fold, key_words, similarity, tokenize

# Closer than this to the best reading, another product stays a candidate (the shopper is asked).
CLEAR_LEAD = 0.15
# A name given in part must carry at least this share of its weight ("tote" of "Canvas Tote Bag").
MIN_PARTIAL_SCORE = 0.2
# Words common enough in chat that, alone, they do not name a product even when a name contains them.
COMMON_WORDS = CHAT_WORDS | frozenset(
    [
        "morning",
        "evening",
        "night",
        "day",
        "good",
        "great",
        "best",
        "new",
        "old",
        "big",
        "little",
        "gift",
        "set",
        "classic",
        "original",
        "mini",
        "everyday",
    ]
)
# One word of a name alone needs a closer spelling than a whole name ("snapbak" yes, "weather" for "leather" no).
SINGLE_WORD_CLOSENESS = 0.9
DETERMINERS = {"the", "a", "an", "this", "that", "one", "your", "some", "any", "another"}
# No one orders in the 1,001st character; a 10,000-character message is read in ~40 ms, not ~400 ms.
MAX_READ = 1000
KIND_ORDER = {"product": 3, "category": 2, "color": 1, "size": 1}
# Letter sizes are ordinary words ("a", "m", "s"): they count after these words, typed in capitals, or alone.
SIZE_CUES = {"size", "sz", "in", "an", "a"}


_EMAIL_OR_LINK = re.compile(r"\S+@\S+|\bhttps?://\S+|\bwww\.\S+", re.I)
# Words after which a colour or size is expected: "in snad", "colour: balck".
VARIANT_CUES = {"in", "color", "shade", "size", "sz"}
# What parts two requests: "the glow serum, and another glow serum".
_PARTS = re.compile(r"[,;+&/]|\b(?:and|or|plus|also)\b", re.I)


@dataclass(frozen=True)
class Mention:
    kind: str  # product, category, color, size
    values: tuple[str, ...]  # the catalog's spelling; several products when the words fit more than one
    start: int  # character offsets in the message
    end: int
    score: float
    full: bool  # every word of the name was there

    @property
    def value(self) -> str | None:
        return self.values[0] if len(self.values) == 1 else None


@dataclass(frozen=True)
class _Entry:
    kind: str
    value: str
    words: tuple[str, ...]
    weights: tuple[float, ...]  # 0 for joining words ("the", "of")
    common: frozenset[str] = frozenset()  # the shop's everyday words
    shared_head: bool = False  # the name's last word is in other names too ("fiction")
    shared: frozenset[str] = frozenset()  # its words that other names of its kind have too

    @property
    def head(self) -> int:
        """The name's last word that carries weight: "tote" of "Canvas Tote Bag" is not, "bag" is."""
        return max(k for k, w in enumerate(self.weights) if w > 0) if any(self.weights) else len(self.words) - 1


@functools.lru_cache(maxsize=16)
def _entries(terms: CatalogTerms) -> tuple[_Entry, ...]:
    """The names to look for, built once per catalog (terms are equal, and hash equal, until it changes)."""
    entries: list[_Entry] = []
    for kind, names in (("product", [p.name for p in terms.products]), ("category", list(terms.categories))):
        spelled = {name: key_words(name) for name in names}
        df: dict[str, int] = {}
        for words in spelled.values():
            for word in set(words):
                df[word] = df.get(word, 0) + 1
        for name, words in spelled.items():
            content = [w for w in words if w not in ("the", "a", "an", "of", "and", "&")] or list(words)
            weights = tuple((1 + math.log(len(spelled) / df[w])) if w in content else 0.0 for w in words)
            head = max((k for k, w in enumerate(weights) if w > 0), default=len(words) - 1)
            entries.append(
                _Entry(
                    kind,
                    name,
                    words,
                    weights,
                    terms.common_words if kind == "product" else frozenset(),
                    df.get(words[head], 0) > 1 if words else False,
                    frozenset(w for w in words if df[w] > 1),
                )
            )
    for color in terms.colors:
        for spelling in (color, *COLOR_SYNONYMS.get(color, ())):
            words = key_words(spelling)
            entries.append(_Entry("color", color, words, (1.0,) * len(words)))
    for size in terms.sizes:
        for spelling in (size, *SIZE_SYNONYMS.get(size.upper(), ())):
            words = key_words(spelling)
            entries.append(_Entry("size", size, words, (1.0,) * len(words)))
    return tuple(entries)


def _runs(entry: _Entry, tokens: list[Token]) -> Iterator[tuple[int, int, dict[int, float]]]:
    """Stretches of the message whose words are words of `entry`, each name word used once."""
    i = 0
    while i < len(tokens):
        used: dict[int, float] = {}
        j = i
        last_match = -1
        while j < len(tokens):
            best = max(
                ((similarity(tokens[j].key, w), k) for k, w in enumerate(entry.words) if k not in used),
                default=(0.0, -1),
            )
            if best[0] > 0 and entry.weights[best[1]] > 0:
                used[best[1]] = best[0]
                last_match = j
            elif not (tokens[j].is_function_word and last_match >= 0):
                break
            j += 1
        if last_match >= 0 and any(entry.weights[k] > 0 for k in used):
            yield i, last_match, used
            i = last_match + 1
        else:
            i += 1


def _candidate(entry: _Entry, tokens: list[Token], first: int, last: int, used: dict[int, float]) -> Mention | None:
    total = sum(entry.weights) or 1.0
    score = sum(entry.weights[k] * s for k, s in used.items()) / total
    full = all(k in used or entry.weights[k] == 0 for k in range(len(entry.words)))
    typed = [t for t in tokens[first : last + 1] if not t.is_function_word]
    if entry.kind in ("color", "size") and not full:
        return None
    if not full and all(t.key in COMMON_WORDS for t in typed) and not _named_as_one(tokens, first, last):
        return None
    if not full and len(used) == 1 and not _names_alone(entry, tokens, first, used):
        return None
    if entry.kind == "size" and first > 0 and tokens[first - 1].end == tokens[first].start:
        return None  # the "xl" of "2xl" is another size
    if entry.kind == "size" and len(entry.words) == 1 and len(entry.words[0]) == 1:
        before = tokens[first - 1].key if first > 0 else ""
        if not (tokens[first].text.isupper() or before in SIZE_CUES or len(tokens) == 1):
            return None
    # "the silent garden": a name's own leading "the" belongs to the mention
    if first > 0 and entry.words[0] in ("the", "a") and tokens[first - 1].key == entry.words[0] and 0 not in used:
        first -= 1
    return Mention(entry.kind, (entry.value,), tokens[first].start, tokens[last].end, score, full)


def _named_as_one(tokens: list[Token], first: int, last: int) -> bool:
    """ "the night one", "a glow one": a word of a name said as the name, even an everyday word."""
    return (
        first > 0 and tokens[first - 1].key in DETERMINERS and last + 1 < len(tokens) and tokens[last + 1].key == "one"
    )


def _names_alone(entry: _Entry, tokens: list[Token], first: int, used: dict[int, float]) -> bool:
    """Whether one word of a name, alone, points to it: "the snapback", "a tote", "keychain" do; "oily skin",
    "pay by card", "the weather" (~ "leather") do not."""
    [(index, closeness)] = used.items()
    word = entry.words[index]
    if word in entry.common or closeness < SINGLE_WORD_CLOSENESS:
        return False
    if entry.kind == "category":
        # "serums" for "face serums", "crime" for "crime fiction" (its other word is shared), but not "book"
        # for "book accessories", nor "books" for "children's books" when "book accessories" has it too
        return word not in entry.shared and (index == entry.head or entry.shared_head)
    before = tokens[first - 1].key if first > 0 else ""
    alone = all(t.is_function_word for i, t in enumerate(tokens) if i != first)  # the answer to "which one?"
    return alone or index == entry.head or before in DETERMINERS or before.isdigit()


def find_mentions(terms: CatalogTerms, text: str) -> list[Mention]:
    """Every catalog thing the message names, in the order written, none overlapping."""
    # an address like sophie@orange.fr or shop.example/blue names no colour
    tokens = tokenize(_EMAIL_OR_LINK.sub(lambda m: " " * len(m.group()), text[:MAX_READ]))
    found = [
        m
        for entry in _entries(terms)
        for first, last, used in _runs(entry, tokens)
        if (m := _candidate(entry, tokens, first, last, used))
    ]
    found = [
        m for m in found if m.kind not in ("color", "size") or m.score == 1.0 or _in_variant_place(m, found, tokens)
    ]
    found = [_prefer_product_for_singular(m, found, text) for m in found]
    # A part too small to name its product alone can still make it a candidate beside a stronger reading of
    # the same words ("the glow one": the serum, and the mask and the gift set with "glow" in longer names).
    strong = [m for m in found if m.full or m.score >= MIN_PARTIAL_SCORE]
    chosen: list[Mention] = []
    for mention in sorted(strong, key=_reading_strength, reverse=True):
        if any(mention.start < c.end and c.start < mention.end for c in chosen):
            continue
        # Part of a name fits every product with that part as well ("garden": both garden books), whatever
        # the lengths of their names; a whole name leads the parts of others unless they come close.
        rivals = [
            m
            for m in found
            if m.kind == mention.kind == "product"
            and (m.start, m.end) == (mention.start, mention.end)
            and (not mention.full or mention.score - m.score < CLEAR_LEAD)
        ]
        values = tuple(dict.fromkeys(v for m in [mention, *rivals] for v in m.values))
        chosen.append(Mention(mention.kind, values, mention.start, mention.end, mention.score, mention.full))
    return _join_pieces(_variant_before_product(sorted(chosen, key=lambda m: m.start), found, terms), tokens, text)


def _in_variant_place(mention: Mention, found: list[Mention], tokens: list[Token]) -> bool:
    """Where a misspelt colour or size is one: right before a name, after "in", or as a short answer
    ("balck hoodie", "in snad", "porcelan shade pls"), not any ordinary word a letter away ("did a person
    write this", "send back the tee", "victoria island")."""
    index = next(i for i, t in enumerate(tokens) if t.start == mention.start)
    after = next((t for t in tokens if t.start >= mention.end), None)
    return (
        len(tokens) <= 3
        or (index > 0 and tokens[index - 1].key in VARIANT_CUES)
        or (after is not None and any(m.kind in ("product", "category") and m.start == after.start for m in found))
    )


def _join_pieces(mentions: list[Mention], tokens: list[Token], text: str) -> list[Mention]:
    """ "cloud wip moisturiser", "murder on the nite ferry": two pieces of one name around a word too
    misspelt to match are one mention, not two requests for the same product."""
    joined: list[Mention] = []
    for mention in mentions:
        before = joined[-1] if joined else None
        if (
            before is not None
            and mention.kind == before.kind == "product"
            and mention.values == before.values
            and not _PARTS.search(text[before.end : mention.start])
            and sum(before.end <= t.start < mention.start for t in tokens) <= 2
        ):
            joined[-1] = Mention(
                "product",
                mention.values,
                before.start,
                mention.end,
                max(before.score, mention.score),
                before.full or mention.full,
            )
        else:
            joined.append(mention)
    return joined


def _variant_before_product(mentions: list[Mention], found: list[Mention], terms: CatalogTerms) -> list[Mention]:
    """ "the black canvas book tote": a word that begins another name ("The Black Orchard") but is a colour or
    size of the product named right after it is that colour or size."""
    result = list(mentions)
    for i, (mention, following) in enumerate(zip(mentions, mentions[1:], strict=False)):  # each with the next
        if mention.kind != "product" or mention.full or following.kind != "product":
            continue
        for variant in (
            m for m in found if m.kind in ("color", "size") and mention.start <= m.start and m.end == mention.end
        ):
            products = [p for name in following.values if (p := terms.product(name)) is not None]
            if any(variant.value in (p.colors if variant.kind == "color" else p.sizes) for p in products):
                result[i] = variant
                break
    return result


def _reading_strength(mention: Mention) -> tuple:
    """More of the message explained first ("tote bag" is the Canvas Tote Bag, not the category "bags"),
    then a whole name over a part of one ("black" in "a black notebook" is the colour)."""
    return (mention.end - mention.start, mention.full, KIND_ORDER[mention.kind], mention.score)


def _prefer_product_for_singular(mention: Mention, found: list[Mention], text: str) -> Mention:
    """ "the grey hoodie" is one of the hoodies, "your hoodies" the category: a category word written in
    the singular that is also part of product names reads as those products."""
    if mention.kind != "category":
        return mention
    typed = [t for t in tokenize(text[mention.start : mention.end]) if not t.is_function_word]
    products = [m for m in found if m.kind == "product" and (m.start, m.end) == (mention.start, mention.end)]
    if not products or any(fold(t.text) != t.key for t in typed):
        return mention
    return Mention(
        "product",
        tuple(v for m in products for v in m.values),
        mention.start,
        mention.end,
        max(m.score for m in products),
        False,
    )
