"""Card numbers never land in a record: shoppers sometimes type them into the chat anyway."""
from __future__ import annotations

import re

# 13 to 19 digits, optionally grouped by spaces or dashes, as people type card numbers.
_CARD_LIKE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
CARD_PLACEHOLDER = "[card number removed]"


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def redact_card_numbers(text: str | None) -> str | None:
    """The text with every Luhn-valid 13-19 digit sequence replaced; phone numbers and order totals stay."""
    if not text:
        return text

    def replace(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group())
        return CARD_PLACEHOLDER if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group()

    return _CARD_LIKE.sub(replace, text)


def redact_mapping(value):
    """The same for every string inside entities or metadata."""
    if isinstance(value, str):
        return redact_card_numbers(value)
    if isinstance(value, list):
        return [redact_mapping(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_mapping(v) for k, v in value.items()}
    return value
