"""What every payment provider offers the checkout: start a payment for an order, say how to pay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from checkout.db.database import Database


@dataclass(frozen=True)
class PaymentStep:
    """What the shopper is shown: instructions, and a link to pay when the provider has one."""

    method: str
    instructions: str
    url: str | None = None
    expires_at: datetime | None = None


class PaymentProvider(Protocol):
    name: str

    def start_payment(self, db: Database, order_number: str) -> PaymentStep:
        """Creates (or reuses) the payment attempt for an order awaiting payment, amount from the order's snapshot.

        Providers open their own transactions: one that calls out (Stripe) must not hold a database transaction
        (on SQLite, the write lock) open while it waits. Raises PaymentUnavailable, or InvalidTransition when the
        order no longer awaits payment."""
        ...
