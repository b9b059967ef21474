"""What an order costs: items, the code's discount, delivery, and the total charged."""

from __future__ import annotations

from dataclasses import dataclass

from checkout.money import Money
from checkout.promotions.kinds import PromoKind
from checkout.promotions.rules import PromoTerms, items_discount


@dataclass(frozen=True)
class DeliveryFees:
    """SHOP_DELIVERY_FEE and SHOP_FREE_DELIVERY_FROM in minor units of the shop currency."""

    fee_minor: int = 0
    free_from_minor: int | None = None  # items subtotal after the discount from which delivery is free


NO_FEES = DeliveryFees()


@dataclass(frozen=True)
class Pricing:
    currency: str
    subtotal_minor: int
    discount_minor: int
    delivery_minor: int
    delivery_waived_minor: int  # the fee a free_delivery code took away (0 otherwise)

    @property
    def total_minor(self) -> int:
        return self.subtotal_minor - self.discount_minor + self.delivery_minor

    @property
    def discount_given_minor(self) -> int:
        """What the code saved the shopper: its discount and the delivery fee it waived."""
        return self.discount_minor + self.delivery_waived_minor

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)


def delivery_fee(fees: DeliveryFees, items_after_discount_minor: int, has_items: bool) -> int:
    """The fee, unless there is nothing to deliver or the items (after the discount) reach the free threshold."""
    if not has_items or fees.fee_minor <= 0:
        return 0
    if fees.free_from_minor is not None and items_after_discount_minor >= fees.free_from_minor:
        return 0
    return fees.fee_minor


def price(subtotal_minor: int, currency: str, fees: DeliveryFees, terms: PromoTerms | None = None) -> Pricing:
    """Prices items worth `subtotal_minor` with the code `terms` (already checked to apply) or none."""
    discount = items_discount(terms, subtotal_minor) if terms else 0
    fee = delivery_fee(fees, subtotal_minor - discount, subtotal_minor > 0)
    waived = fee if terms is not None and terms.kind == PromoKind.FREE_DELIVERY else 0
    return Pricing(currency, subtotal_minor, discount, fee - waived, waived)
