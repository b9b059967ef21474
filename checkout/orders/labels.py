"""How an order line is named to payment providers (Stripe's line items, Telegram's invoice prices)."""
from __future__ import annotations

from checkout.db.models import OrderItem


def item_label(item: OrderItem) -> str:
    variant = ", ".join(p for p in (item.color, item.size) if p)
    return f"{item.name} ({variant})" if variant else item.name
