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

    return _CARD_LIKE.sub(lambda match: _redact_groups(match.group()), text)


def _redact_groups(candidate: str) -> str:
    """The longest run of digit groups that is a card number, replaced: "4242 4242 4242 4242 12" (a card
    number and the expiry month) is a card number and "12"."""
    parts = re.split(r"([ -])", candidate)  # digit groups at even indexes, separators at odd ones
    groups = parts[::2]
    for length in range(len(groups), 0, -1):
        for start in range(len(groups) - length + 1):
            digits = "".join(groups[start : start + length])
            if 13 <= len(digits) <= 19 and luhn_valid(digits):
                before = "".join(parts[: 2 * start])
                after = "".join(parts[2 * (start + length) - 1 :]) if start + length < len(groups) else ""
                return before + CARD_PLACEHOLDER + after
    return candidate


def redact_mapping(value: object) -> object:
    """The same for every string inside entities or metadata."""
    if isinstance(value, str):
        return redact_card_numbers(value)
    if isinstance(value, list):
        return [redact_mapping(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_mapping(v) for k, v in value.items()}
    return value
