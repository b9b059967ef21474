"""The fixed words of promo codes: what a code does and why it cannot be used."""

from __future__ import annotations

from enum import StrEnum


class PromoKind(StrEnum):
    PERCENT = "percent"  # percent off the items
    AMOUNT = "amount"  # an amount off the items, in the shop currency
    FREE_DELIVERY = "free_delivery"


class Refusal(StrEnum):
    UNKNOWN = "unknown"
    INACTIVE = "inactive"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    USED_UP = "used_up"
    ALREADY_USED = "already_used"
    NOT_FOR_YOU = "not_for_you"
    BELOW_MINIMUM = "below_minimum"


# A code refused only for these stays on the cart and applies once it can (more items, its start date).
KEPT_ON_CART = (Refusal.BELOW_MINIMUM, Refusal.NOT_YET_VALID)
SEGMENT_NAMES = ("best", "at_risk", "lapsed", "new")
