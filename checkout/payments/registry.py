"""Which providers are offered, from the settings (SHOP_PAYMENT_METHODS) and the shopper's channel."""
from __future__ import annotations

from checkout.payments.base import PaymentProvider
from checkout.payments.manual import ManualProvider
from checkout.settings import Settings


def available_providers(settings: Settings, channel: str) -> list[PaymentProvider]:
    """In the seller's order; manual is always possible and stands in when nothing else is configured."""
    wanted = [m.strip() for m in settings.shop_payment_methods.split(",") if m.strip()]
    providers: list[PaymentProvider] = []
    for method in wanted:
        if method == "manual":
            providers.append(ManualProvider(settings.shop_payment_instructions))
    return providers or [ManualProvider(settings.shop_payment_instructions)]
