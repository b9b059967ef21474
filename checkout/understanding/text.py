"""Words of a chat message with their places in the text, in a form that survives typos, accents,
plurals and "30ml" written without a space."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

# Letters and digits apart, so "30ml" reads as "30 ml" and "2x" as "2 x"; apostrophes stay inside words.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
# Words shoppers use for the same thing, whatever the seller called it (singular keys; "t-shirt" -> "tshirt").
SAME_THING = {"tshirt": "tee", "sweatshirt": "hoodie", "hat": "cap", "keyring": "keychain", "colour": "color"}
# Words that join a name's words ("The Garden of Salt") but never name anything alone.
FUNCTION_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "and",
        "&",
        "at",
        "in",
        "on",
        "for",
        "with",
        "by",
        "to",
        "from",
        "de",
        "la",
        "le",
        "les",
        "du",
        "des",
        "el",
        "los",
        "y",
        "et",
        "und",
        "der",
        "die",
        "das",
    ]
)
# Chat words a fuzzy matcher could take for a name's word ("have" ~ "haven") but that never name one.
CHAT_WORDS = frozenset(
    [
        "have",
        "want",
        "take",
        "like",
        "need",
        "give",
        "show",
        "send",
        "tell",
        "much",
        "many",
        "price",
        "cost",
        "costs",
        "stock",
        "size",
        "sizes",
        "colour",
        "color",
        "colours",
        "colors",
        "please",
        "pls",
        "thanks",
        "thank",
        "hello",
        "hey",
        "what",
        "which",
        "where",
        "when",
        "there",
        "their",
        "them",
        "they",
        "this",
        "that",
        "these",
        "those",
        "some",
        "about",
        "your",
        "yours",
        "mine",
        "with",
        "would",
        "could",
        "should",
        "can",
        "get",
        "got",
        "buy",
        "order",
        "add",
        "put",
        "cart",
        "make",
        "made",
        "more",
        "less",
        "one",
        "two",
        "three",
        "four",
        "five",
        "any",
        "all",
        "just",
        "also",
        "only",
        "still",
        "really",
        "very",
        "good",
        "nice",
        "love",
        "lovely",
        "cute",
        "want",
        "wanna",
        "gonna",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "does",
        "do",
        "did",
        "it",
        "its",
        "im",
        "i'm",
        "you",
        "me",
        "my",
        "our",
        "we",
        "us",
        "he",
        "she",
        "his",
        "her",
        "how",
        "who",
        "why",
        "yes",
        "no",
        "not",
    ]
)
MIN_FUZZY_LENGTH = 4
FUZZY_CUTOFF = 80  # "hoddie" ~ "hoodie" (83), "gardn" ~ "garden" (91); "have" ~ "haven" stays out by CHAT_WORDS


@dataclass(frozen=True)
class Token:
    text: str  # as typed
    key: str  # lower case, accents removed, singular
    start: int
    end: int

    @property
    def is_function_word(self) -> bool:
        return self.key in FUNCTION_WORDS


def fold(text: str) -> str:
    """Lower case without accents: "Crème" -> "creme"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'").replace("-", "")


def singular(word: str) -> str:
    """A key shared by a word's singular and plural: "hoodies", "hoodie" and "hoody" -> "hoodie",
    "stories" and "story" -> "storie", "boxes" -> "box"."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) <= 3 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith(("ches", "shes", "xes", "sses", "zes")):
        word = word[:-2]
    elif word.endswith("s"):
        word = word[:-1]
    if word.endswith("y") and len(word) > 3 and word[-2] not in "aeiou":
        word = word[:-1] + "ie"
    return word


def tokenize(text: str) -> list[Token]:
    tokens = []
    for match in _TOKEN.finditer(text or ""):
        key = singular(fold(match.group()))
        tokens.append(Token(match.group(), SAME_THING.get(key, key), match.start(), match.end()))
    return tokens


def key_words(text: str) -> tuple[str, ...]:
    return tuple(t.key for t in tokenize(text))


def similarity(typed: str, name_word: str) -> float:
    """1.0 for the same word (any number, case, accents); a typo's closeness; 0 otherwise."""
    if typed == name_word:
        return 1.0
    if typed in CHAT_WORDS or len(name_word) < MIN_FUZZY_LENGTH or len(typed) < 3:
        return 0.0
    if typed.isdigit() or name_word.isdigit():
        return 0.0
    if name_word.startswith(typed) and len(typed) >= 0.7 * len(name_word) and typed not in FUNCTION_WORDS:
        return 0.85  # cut short: "nud" for "nude", "blu" for "blue"
    if len(typed) < MIN_FUZZY_LENGTH:
        return 0.0
    if _swapped_neighbours(typed, name_word):
        return 0.85  # "snad" for "sand", "moisutriser": two letters typed in the wrong order
    score = fuzz.ratio(typed, name_word)
    return score / 100 if score >= FUZZY_CUTOFF else 0.0


def _swapped_neighbours(typed: str, word: str) -> bool:
    """The same letters with one pair of neighbours swapped (a ratio counts it as two edits)."""
    if len(typed) != len(word):
        return False
    differ = [i for i, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
    return (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and typed[differ[0]] == word[differ[1]]
        and typed[differ[1]] == word[differ[0]]
    )
