"""Which providers are offered, from the settings (SHOP_PAYMENT_METHODS) and the shopper's channel.

Each method name maps to (is it offered for these settings and this channel?, how to build it). Telegram
invoices are offered when TELEGRAM_PAYMENT_PROVIDER_TOKEN is set and the shopper writes in Telegram (an invoice
can only be sent to, and paid in, a Telegram chat)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from checkout.db.database import Database
from checkout.payments.base import PaymentProvider
from checkout.payments.manual import ManualProvider
from checkout.settings import Settings

if TYPE_CHECKING:  # imported when used: it imports the stripe library
    from checkout.payments.stripe.provider import StripeProvider


class ProviderEntry(NamedTuple):
    offered: Callable[[Settings, str], bool]
    build: Callable[[Settings], PaymentProvider]


def _stripe(settings: Settings) -> StripeProvider:
    from checkout.payments.stripe.provider import StripeProvider  # imports the stripe library only when used

    return StripeProvider(settings)


def _telegram(settings: Settings) -> PaymentProvider:
    from checkout.payments.telegram.provider import TelegramInvoiceProvider

    return TelegramInvoiceProvider(settings)


PROVIDERS: dict[str, ProviderEntry] = {
    "manual": ProviderEntry(lambda s, channel: True, lambda s: ManualProvider(s.shop_payment_instructions)),
    "stripe": ProviderEntry(lambda s, channel: bool(s.stripe_secret_key), _stripe),
    "telegram": ProviderEntry(
        lambda s, channel: bool(s.telegram_payment_provider_token) and channel == "telegram", _telegram
    ),
}


def offered_methods(settings: Settings, channel: str) -> list[str]:
    """Method names in the seller's order; manual stands in when nothing listed is usable."""
    wanted = [m.strip().lower() for m in settings.shop_payment_methods.split(",") if m.strip()]
    offered: list[str] = []
    for method in wanted:
        entry = PROVIDERS.get(method)
        if entry is not None and method not in offered and entry.offered(settings, channel):
            offered.append(method)
    return offered or ["manual"]


def available_providers(settings: Settings, channel: str) -> list[PaymentProvider]:
    return [PROVIDERS[m].build(settings) for m in offered_methods(settings, channel)]


def offered_provider(settings: Settings, channel: str, method: str) -> PaymentProvider | None:
    """The provider for `method` if it is offered to this shopper now (a button pressed long ago may name one
    the seller has since switched off)."""
    return PROVIDERS[method].build(settings) if method in offered_methods(settings, channel) else None


def withdraw_payment_links(settings: Settings, db: Database, order_number: str) -> None:
    """After an order is cancelled: links that could still take money for it are closed (Stripe's sessions;
    a Telegram invoice is refused at its pre-checkout query instead). Calls out: run it after the commit."""
    if settings.stripe_secret_key:
        _stripe(settings).withdraw_links(db, order_number)
