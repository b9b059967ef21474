"""Personal data in a text a trainer wants to add to the training data: the repository must never hold any.

The detectors err on the side of refusing (the trainer can edit the text and try again) but let through what
shoppers type all the time: quantities and sizes ("2 hoodies size 42"), prices, dates, order numbers ("LS-4K2M").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from checkout.records.redaction import CARD_PLACEHOLDER, luhn_valid

PHONE = "phone number"
EMAIL = "email address"
CARD = "card number"
NAME = "name"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A run of digits and what people put between them in phone and card numbers; read linearly (no nested
# repetition), then judged in Python.
_NUMBER_RUN = re.compile(r"[+(]?\d[\d ().\-]*\d\)?")
_DATE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")
_CARD_SEPARATORS = re.compile(r"[\d -]+")
MIN_PHONE_DIGITS = 7
# "38 39 40 41" (sizes) is not a phone number; "06 12 34 56 78" is: a number made only of one- and two-digit
# groups counts from this many digits on.
MIN_DIGITS_IN_SHORT_GROUPS = 10
MIN_NAME_LENGTH = 3  # "Al", "Jo", "de": too common inside ordinary sentences to refuse them


def personal_data_in(text: str, known_names: Iterable[str] = ()) -> list[str]:
    """What kinds of personal data `text` holds (PHONE, EMAIL, CARD, NAME), each once, in that order;
    `known_names` are the names the writer gave (their customer name, their orders' names)."""
    found = []
    numbers = [_number_kind(match) for match in _NUMBER_RUN.finditer(text) if not _inside_word(text, match)]
    if PHONE in numbers:
        found.append(PHONE)
    if _EMAIL.search(text):
        found.append(EMAIL)
    # The records store card numbers already replaced by a placeholder: the shopper did type one.
    if CARD in numbers or CARD_PLACEHOLDER in text:
        found.append(CARD)
    if any(_holds_word(text, word) for word in name_words(known_names)):
        found.append(NAME)
    return found


def _inside_word(text: str, match: re.Match[str]) -> bool:
    """Digits glued to letters are a code ("LS-4K2M", "ORD1234567"), not a phone or card number."""
    before = text[match.start() - 1] if match.start() else ""
    after = text[match.end()] if match.end() < len(text) else ""
    return before.isalnum() or before == "_" or after.isalnum() or after == "_"


def _number_kind(match: re.Match[str]) -> str | None:
    run = match.group().strip(" .-")
    digits = re.sub(r"\D", "", run)
    if 13 <= len(digits) <= 19 and _CARD_SEPARATORS.fullmatch(run) and luhn_valid(digits):
        return CARD
    if len(digits) < MIN_PHONE_DIGITS or _DATE.fullmatch(run):
        return None
    groups = [len(group) for group in re.findall(r"\d+", run)]
    if max(groups) <= 2 and len(digits) < MIN_DIGITS_IN_SHORT_GROUPS:
        return None
    return PHONE


def name_words(names: Iterable[str]) -> set[str]:
    """The words of the names worth looking for, case-folded."""
    return {
        word.casefold()
        for name in names
        if name
        for word in re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", name)
        if len(word) >= MIN_NAME_LENGTH
    }


def _holds_word(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text.casefold()) is not None
