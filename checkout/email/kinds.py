"""The email outbox rows' fixed words: the channel, and the kinds of order email (campaign rows are the campaign
service's kind, checkout.marketing.campaigns.CAMPAIGN_KIND)."""

from __future__ import annotations

from enum import StrEnum

from checkout.marketing.audience import EMAIL as EMAIL_CHANNEL
from checkout.statuses import OrderStatus

__all__ = ["EMAIL_CHANNEL", "STATUS_EMAILS", "OrderEmail"]


class OrderEmail(StrEnum):
    """Transactional emails: sent to the address given at checkout, with no marketing consent needed. Named apart
    from the chat's order updates ("order_paid"), so a query by kind never mixes the two channels."""

    CONFIRMATION = "email_order_confirmation"  # placed: items, totals, how to pay
    PAID = "email_order_paid"
    FULFILLED = "email_order_fulfilled"  # shipped, with the seller's note
    EXPIRED = "email_order_expired"

    @property
    def template(self) -> str:
        """Its templates' name in checkout/email/templates/ ("order_paid" -> order_paid.txt, order_paid.html)."""
        return self.value.removeprefix("email_")

    @property
    def event(self) -> str:
        """What it announces, for its dedupe key: "confirmation", "paid", ..."""
        return self.value.removeprefix("email_order_")


# The status changes a shopper is emailed about (cancellations are their own doing, refunds the seller's word).
STATUS_EMAILS: dict[str, OrderEmail] = {
    OrderStatus.PAID: OrderEmail.PAID,
    OrderStatus.FULFILLED: OrderEmail.FULFILLED,
    OrderStatus.EXPIRED: OrderEmail.EXPIRED,
}
