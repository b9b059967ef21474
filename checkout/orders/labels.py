"""How a product's variant and an order line are named wherever they are shown: in the chat, to the seller,
and to payment providers (Stripe's line items, Telegram's invoice prices)."""

from __future__ import annotations

from checkout.db.models import OrderItem


def variant_label(color: str | None, size: str | None) -> str:
    """'black, M': the words that tell variants of one product apart."""
    return ", ".join(p for p in (color, size) if p)


def line_label(name: str, color: str | None, size: str | None) -> str:
    """'Logo Tee (black, M)', or the name alone for a product without variants."""
    variant = variant_label(color, size)
    return f"{name} ({variant})" if variant else name


def item_label(item: OrderItem) -> str:
    return line_label(item.name, item.color, item.size)
