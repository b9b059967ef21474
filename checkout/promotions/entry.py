"""What a seller types for a promo code, read the same way whichever door it came in by (the CLI's options, the
dashboard's form fields): dates, whole numbers, customer ids, the kind. Each raises PromoError in the seller's
words; the rules of the terms themselves (percent range, end after start, ...) are checked by the services."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from checkout.errors import CheckoutError
from checkout.promotions.kinds import PromoKind

MOMENT_HINT = "use a date like 2026-12-24 or a date-time like 2026-12-24T18:00"
KIND_LABELS = {
    PromoKind.PERCENT: "percent off",
    PromoKind.AMOUNT: "amount off",
    PromoKind.FREE_DELIVERY: "free delivery",
}


class PromoError(CheckoutError):
    """A promo code the seller asked for that cannot be made or changed (said in the seller's words)."""


def parse_moment(text: str, *, end: bool = False) -> datetime:
    """'2026-12-24' (UTC; as an end date, valid through that whole day) or an ISO 8601 date-time (UTC unless it
    says otherwise). Raises ValueError."""
    text = text.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime.combine(day + timedelta(days=1) if end else day, time(), UTC)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_moment(text: str | None, what: str, *, end: bool = False) -> datetime | None:
    """A start or end as typed; blank: none."""
    if not (text or "").strip():
        return None
    try:
        return parse_moment(text or "", end=end)
    except ValueError:
        raise PromoError(f"the {what} {text!r} is not a date: {MOMENT_HINT}") from None


def read_whole(text: str | None, what: str) -> int | None:
    """A whole number (a use limit, a count); blank: none."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise PromoError(f"the {what} {text!r} is not a whole number")
    return int(text)


def read_customer_ids(text: str | Iterable[str] | None) -> tuple[int, ...]:
    """Customer ids separated by commas or spaces (or already one per item)."""
    words = re.split(r"[\s,]+", text) if isinstance(text, str) else list(text or [])
    ids = []
    for word in (w.strip() for w in words):
        if not word:
            continue
        if not word.isdigit():
            raise PromoError(f"{word!r} is not a customer id (a number, as on the customer's page)")
        ids.append(int(word))
    return tuple(dict.fromkeys(ids))


def read_kind(text: str | None) -> PromoKind:
    try:
        return PromoKind((text or "").strip())
    except ValueError:
        raise PromoError("choose what the code does: " + ", ".join(KIND_LABELS.values())) from None
