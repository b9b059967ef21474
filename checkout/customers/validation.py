"""Checks on contact details typed in chat. Lenient on format (many countries), strict on plausibility."""

from __future__ import annotations

import re

PHONE_SEPARATORS = re.compile(r"[\s\-.()/]")
DATE = re.compile(r"\b(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})\b")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def clean_name(text: str) -> str | None:
    name = " ".join((text or "").split())
    letters = sum(ch.isalpha() for ch in name)
    if letters < 2 or len(name) > 100 or any(ch.isdigit() for ch in name) or "@" in name:
        return None
    return name


def clean_phone(text: str) -> str | None:
    """'+33 6 12 34 56 78', '0049 151 2345678', '(212) 555-0182' -> digits with an optional leading +."""
    if DATE.search(text or ""):
        return None  # "2026-11-22" has the digits of a phone number but is a date
    match = re.search(r"\+?[\d\s\-.()/]{7,25}", text or "")
    if not match:
        return None
    raw = PHONE_SEPARATORS.sub("", match.group(0))
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    digits = raw.lstrip("+")
    if not digits.isdigit() or not 7 <= len(digits) <= 15:  # E.164 allows at most 15 digits
        return None
    return raw


def clean_address(text: str) -> str | None:
    """At least a street and a place: two words, or (as Chinese and Japanese addresses are written,
    without spaces) a number among the letters."""
    address = " ".join((text or "").split())
    letters = sum(c.isalpha() for c in address)
    if not 8 <= len(address) <= 300 or letters < 2:
        return None
    if len(address.split()) < 2 and not any(c.isdigit() for c in address):
        return None
    return address


def clean_email(text: str) -> str | None:
    email = (text or "").strip().strip(".,;").lower()
    return email if EMAIL.match(email) and len(email) <= 254 else None
