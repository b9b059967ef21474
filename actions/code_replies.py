"""What the shopper is told about a promo code: what it does, or exactly why it cannot be used now."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.common import phrase
from checkout.carts import CartView
from checkout.money import Money
from checkout.promotions.kinds import PromoKind, Refusal
from checkout.promotions.rules import PromoTerms, Refused

# The code cannot be used at all: said with the reason, and the code the cart keeps instead, if any.
REFUSAL_REPLIES = {
    Refusal.UNKNOWN: "utter_discount_unknown",
    Refusal.INACTIVE: "utter_discount_inactive",
    Refusal.EXPIRED: "utter_discount_expired",
    Refusal.USED_UP: "utter_discount_used_up",
    Refusal.ALREADY_USED: "utter_discount_already_used",
    Refusal.NOT_FOR_YOU: "utter_discount_not_for_you",
}


def effect(domain: dict[str, Any], terms: PromoTerms, currency: str) -> str:
    """ "10% off the items", "5.00 € off the items", "free delivery"."""
    if terms.kind == PromoKind.PERCENT:
        return phrase(domain, "phrase_code_percent", percent=terms.value)
    if terms.kind == PromoKind.AMOUNT:
        return phrase(domain, "phrase_code_amount", amount=Money(terms.value, currency).display())
    return phrase(domain, "phrase_code_free_delivery")


def say_refusal(
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    code: str,
    refused: Refused,
    terms: PromoTerms | None = None,
    cart: CartView | None = None,
) -> None:
    """One reply naming the reason. A code waiting for more items or for its start is on the cart already: the
    reply says what is missing (how much more, from when); `cart` is the cart as it is now."""
    if cart is None:
        dispatcher.utter_message(
            response=REFUSAL_REPLIES.get(refused.reason, "utter_discount_unknown"), code=code, still=""
        )
    elif refused.reason == Refusal.BELOW_MINIMUM and terms is not None:
        dispatcher.utter_message(
            response="utter_discount_below_minimum",
            code=code,
            effect=effect(domain, terms, cart.currency),
            minimum=Money(terms.min_order_minor or 0, cart.currency).display(),
            missing=Money(refused.missing_minor or 0, cart.currency).display(),
        )
    elif refused.reason == Refusal.NOT_YET_VALID and terms is not None and terms.starts_at is not None:
        dispatcher.utter_message(
            response="utter_discount_not_yet_valid",
            code=code,
            effect=effect(domain, terms, cart.currency),
            starts=f"{terms.starts_at:%d %b %Y %H:%M} UTC",
        )
    else:
        other = cart.discount.code if cart.discount and cart.discount.code != code else None
        still = phrase(domain, "phrase_code_still_on_cart", code=other) if other else ""
        reply = REFUSAL_REPLIES.get(refused.reason, "utter_discount_unknown")
        dispatcher.utter_message(response=reply, code=code, still=still)


def total_with_breakdown(domain: dict[str, Any], cart: CartView) -> str:
    """The cart's total, followed by what makes it up when a code takes something off or delivery is charged
    (or waived by the code)."""
    total = cart.total.display()
    pricing = cart.pricing
    if pricing is None or not (pricing.discount_minor or pricing.delivery_minor or pricing.delivery_waived_minor):
        return total
    discount = ""
    if pricing.discount_minor and cart.discount is not None:
        discount = phrase(
            domain, "phrase_breakdown_discount", code=cart.discount.code, amount=cart.discount.amount.display()
        )
    delivery = cart.delivery.display() if pricing.delivery_minor else phrase(domain, "phrase_delivery_free")
    return total + phrase(
        domain, "phrase_cart_breakdown", subtotal=cart.subtotal.display(), discount=discount, delivery=delivery
    )
