"""Order numbers: short, easy to read aloud, not guessable in sequence."""

from __future__ import annotations

import re
import secrets

# No 0/O and 1/I, which people confuse when reading a number over the phone.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 6  # 32**6 - 24**6 ≈ 0.9e9 numbers: random guessing finds nothing, collisions are retried
PATTERN = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")


def new_order_number() -> str:
    """Always with a digit, so a number typed in chat is never mistaken for a word (and vice versa)."""
    while True:
        number = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        if any(ch.isdigit() for ch in number):
            return number


def normalize_order_number(text: str) -> str | None:
    """What a shopper typed ('#a7k2q9', 'a7k-2q9') as a number, or None when it cannot be one."""
    candidate = re.sub(r"[\s#\-]", "", text or "").upper()
    return candidate if PATTERN.match(candidate) else None
