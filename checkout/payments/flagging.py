"""A payment the seller must look at (wrong amount, paid after a cancel, paid twice): the order is flagged,
the change audit-logged, and the seller alerted in their chat. Shared by every provider."""

from __future__ import annotations

from sqlalchemy.orm import Session

from checkout.audit import record_audit
from checkout.db.models import Order, utcnow
from checkout.money import Money, MoneyError
from checkout.notifications import queue_for_seller


def flag_order(session: Session, order: Order, reason: str, cause: str) -> None:
    """Adds `reason` to the order's flag (once: the same report again changes nothing) and alerts the seller."""
    if order.flagged_reason and reason in order.flagged_reason:
        return
    order.flagged_reason = f"{order.flagged_reason}\n{reason}" if order.flagged_reason else reason
    order.updated_at = utcnow()
    record_audit(session, cause, "order.flagged", "order", order.number, {"reason": reason})
    queue_for_seller(
        session, "order_flagged", f"Order {order.number} needs a look. {reason}", customer=order.customer, order=order
    )


def display_amount(minor: object, currency: str) -> str:
    """An amount a provider reported, shown even when it is not valid money (that may be why it is flagged)."""
    if isinstance(minor, (int, float, str)):  # what int() takes of the values a provider's JSON can hold
        try:
            return Money(int(minor), currency).display()
        except (MoneyError, TypeError, ValueError):
            pass
    return f"{minor} {currency or '?'}"
