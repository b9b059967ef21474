"""The rules of a promo code, pure: when it is valid, for whom, from what amount, and what it takes off.

No database and no clock: the caller passes the terms, the shopper's situation and `now`, so every rule is
tested on its own. Each check answers with the one reason a shopper is told (`Refusal`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from checkout.promotions.kinds import PromoKind, Refusal

CODE_FORMAT = re.compile(r"[A-Z0-9-]{3,32}")


def normalize_code(text: str | None) -> str | None:
    """The code as stored (upper case), or None when the text cannot be a code at all."""
    code = (text or "").strip().upper()
    return code if CODE_FORMAT.fullmatch(code) else None


@dataclass(frozen=True)
class PromoTerms:
    """What a code promises, as read from its promotion and its own row."""

    code: str
    kind: PromoKind
    value: int  # whole percent, or minor units for an amount
    min_order_minor: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None  # exclusive
    max_uses: int | None = None
    uses: int = 0
    once_per_customer: bool = False
    segments: tuple[str, ...] = ()
    customer_ids: tuple[int, ...] = ()
    active: bool = True


@dataclass(frozen=True)
class Shopper:
    """Who is asking: their customer id, RFM segment, and whether an order of theirs holds this code's use."""

    customer_id: int | None
    segment: str | None = None
    holds_a_use: bool = False


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    missing_minor: int | None = None  # below_minimum: how much more the items must come to


def check_window(terms: PromoTerms, now: datetime) -> Refusal | None:
    if terms.starts_at is not None and now < terms.starts_at:
        return Refusal.NOT_YET_VALID
    if terms.ends_at is not None and now >= terms.ends_at:
        return Refusal.EXPIRED
    return None


def check_limit(terms: PromoTerms) -> Refusal | None:
    if terms.max_uses is not None and terms.uses >= terms.max_uses:
        return Refusal.USED_UP
    return None


def check_audience(terms: PromoTerms, shopper: Shopper) -> Refusal | None:
    """No audience: everyone. Otherwise the shopper must be listed by id or be in one of the segments."""
    if not terms.segments and not terms.customer_ids:
        return None
    if shopper.customer_id is not None and shopper.customer_id in terms.customer_ids:
        return None
    if shopper.segment is not None and shopper.segment in terms.segments:
        return None
    return Refusal.NOT_FOR_YOU


def missing_for_minimum(terms: PromoTerms, subtotal_minor: int) -> int:
    """How much more the items must come to for the code's minimum (0 when reached or none)."""
    if terms.min_order_minor is None:
        return 0
    return max(terms.min_order_minor - subtotal_minor, 0)


def refusal(terms: PromoTerms, shopper: Shopper, subtotal_minor: int, now: datetime) -> Refused | None:
    """Why the code cannot be used on these items now, or None. The order of the checks is the order in which a
    shopper can act on the answer: a code that can never apply is said to before "add more"."""
    if not terms.active:
        return Refused(Refusal.INACTIVE)
    reason = check_window(terms, now) or check_limit(terms) or check_audience(terms, shopper)
    if reason is None and terms.once_per_customer and shopper.holds_a_use:
        reason = Refusal.ALREADY_USED
    if reason is not None:
        return Refused(reason)
    missing = missing_for_minimum(terms, subtotal_minor)
    if missing:
        return Refused(Refusal.BELOW_MINIMUM, missing_minor=missing)
    return None


def percent_off(subtotal_minor: int, percent: int) -> int:
    """`percent` of the subtotal in minor units, rounded half up (integer arithmetic: no float ever)."""
    return (subtotal_minor * percent * 2 + 100) // 200


def items_discount(terms: PromoTerms, subtotal_minor: int) -> int:
    """What the code takes off the items: never more than they cost, never negative."""
    if terms.kind == PromoKind.PERCENT:
        off = percent_off(subtotal_minor, terms.value)
    elif terms.kind == PromoKind.AMOUNT:
        off = terms.value
    else:
        off = 0
    return max(min(off, subtotal_minor), 0)
