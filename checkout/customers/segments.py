"""RFM segments: who the best customers are, who is new, who is drifting away, who is gone.

From recency (days since the last paid order), frequency (paid orders) and monetary value (spend).
A customer gets at most one segment; drifting away wins over best, because that is who to call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

SEGMENTS = {
    "best": "Best",
    "new": "New",
    "at_risk": "At risk",
    "lapsed": "Lapsed",
}
NEW_WITHIN = timedelta(days=30)  # first paid order this recent, and only one so far
AT_RISK_AFTER = timedelta(days=60)  # no paid order for this long...
LAPSED_AFTER = timedelta(days=180)  # ...or for this long
BEST_MIN_ORDERS = 2
BEST_SPEND_SHARE = 0.2  # the top fifth of paying customers by spend


@dataclass(frozen=True)
class Purchases:
    paid_orders: int
    spent_minor: int
    first_paid_at: datetime | None
    last_paid_at: datetime | None


def best_spend_threshold(spends: list[int]) -> int:
    """The spend that puts a paying customer in the top BEST_SPEND_SHARE."""
    paying = sorted((s for s in spends if s > 0), reverse=True)
    if not paying:
        return 0
    return paying[max(0, int(len(paying) * BEST_SPEND_SHARE + 0.5) - 1)]


def segment(p: Purchases, now: datetime, best_threshold: int) -> str | None:
    if p.paid_orders == 0 or p.last_paid_at is None:
        return None
    since_last = now - p.last_paid_at
    if since_last > LAPSED_AFTER:
        return "lapsed"
    if since_last > AT_RISK_AFTER:
        return "at_risk"
    if p.paid_orders >= BEST_MIN_ORDERS and p.spent_minor >= best_threshold:
        return "best"
    if p.paid_orders == 1 and p.first_paid_at is not None and now - p.first_paid_at <= NEW_WITHIN:
        return "new"
    return None
