"""What every payment provider offers the checkout: start a payment for an order, say how to pay."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from checkout.db.models import Order, Payment


@dataclass(frozen=True)
class PaymentStep:
    """What the shopper is shown: instructions, and a link to pay when the provider has one."""
    method: str
    instructions: str
    url: str | None = None


class PaymentProvider(Protocol):
    name: str

    def start_payment(self, session: Session, order: Order) -> tuple[Payment, PaymentStep]:
        """Creates (or reuses) the payment attempt for the order, in the caller's transaction."""
        ...
