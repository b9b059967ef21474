"""Choosing a cart line: which product, colour, size and how many, checked against live stock.

Shared by the action that starts a line (everything said at once) and the form that asks for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.common import button
from checkout.carts import check_quantity_to_add
from checkout.catalog.queries import active_variants, find_product
from checkout.catalog.queries import find_variant as catalog_variant
from checkout.db.models import Customer, Product, Variant
from checkout.errors import CartLineAboveStock, InvalidQuantity
from checkout.orders.labels import variant_label

# Slot value meaning "this product has no such choice" (a sticker pack has no size).
NO_CHOICE = "-"
MAX_OPTION_BUTTONS = 8


def colors_of(product: Product) -> list[str]:
    return sorted({v.color for v in active_variants(product) if v.color})


def sizes_of(product: Product, color: str | None = None) -> list[str]:
    order = ["XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL"]
    sizes = {
        v.size for v in active_variants(product) if v.size and (not color or color == NO_CHOICE or v.color == color)
    }
    return sorted(sizes, key=lambda s: (order.index(s) if s in order else len(order), s))


def choice(value: str | None) -> str | None:
    """A colour/size slot value as the catalog stores it (None for "no such choice")."""
    return None if value in (None, NO_CHOICE) else value


def product_named(session: Session, name: str | None) -> Product | None:
    return find_product(session, name) if name else None


def automatic_choices(product: Product) -> dict[str, str]:
    """Colour and size filled in when the product offers no choice of them."""
    filled = {}
    colors, sizes = colors_of(product), sizes_of(product)
    if len(colors) <= 1:
        filled["cart_color"] = colors[0] if colors else NO_CHOICE
    if len(sizes) <= 1:
        filled["cart_size"] = sizes[0] if sizes else NO_CHOICE
    return filled


def size_left(product: Product, color: str) -> dict[str, str]:
    """The size filled in when the chosen colour comes in one size only (the gold edition is hardcover)."""
    sizes = sizes_of(product, color)
    return {"cart_size": sizes[0]} if len(sizes) == 1 and len(sizes_of(product)) > 1 else {}


def color_left(product: Product, size: str) -> dict[str, str]:
    """The colour filled in when the chosen size comes in one colour, or in none (the paperback has no
    colour edition, only the hardcover has)."""
    colors = {v.color or NO_CHOICE for v in active_variants(product) if v.size == size}
    return {"cart_color": colors.pop()} if len(colors) == 1 and len(colors_of(product)) > 1 else {}


def find_variant(product: Product, color: str | None, size: str | None) -> Variant | None:
    return catalog_variant(product, choice(color), choice(size))


def in_stock(variant: Variant) -> bool:
    return variant.stock is None or variant.stock > 0


def option_buttons(options: list[str], entity_name: str) -> list[dict]:
    return [button(o, "inform", **{entity_name: o}) for o in options[:MAX_OPTION_BUTTONS]]


@dataclass
class LineCheck:
    """Whether the chosen colour/size/quantity can be sold; otherwise the response that says why not."""

    ok: bool
    response: str | None = None
    values: dict[str, Any] | None = None


def check_color(product: Product, color: str) -> LineCheck:
    colors = colors_of(product)
    if not (color in colors or (color == NO_CHOICE and not colors)):
        return LineCheck(
            False, "utter_invalid_color", dict(product=product.name, value=color, options=", ".join(colors))
        )
    if color != NO_CHOICE and not any(in_stock(v) for v in active_variants(product) if v.color == color):
        # Said now, so that the colour is asked again, not the size it comes in (the espresso shade is sold out).
        return _out_of_stock(product, color)
    return LineCheck(True)


def check_size(product: Product, color: str | None, size: str) -> LineCheck:
    sizes = sizes_of(product, color)
    if size not in sizes and not (size == NO_CHOICE and not sizes):
        return LineCheck(False, "utter_invalid_size", dict(product=product.name, value=size, options=", ".join(sizes)))
    variant = find_variant(product, color, size)
    if variant is not None and not in_stock(variant):
        return _out_of_stock(product, variant_label(variant.color, variant.size))
    return LineCheck(True)


def _out_of_stock(product: Product, label: str) -> LineCheck:
    others = [variant_label(v.color, v.size) for v in active_variants(product) if in_stock(v)]
    return LineCheck(
        False, "utter_variant_out_of_stock", dict(product=product.name, variant=label, options="; ".join(others) or "-")
    )


def check_quantity(session: Session, customer: Customer, variant: Variant, quantity: int) -> LineCheck:
    try:
        check_quantity_to_add(session, customer, variant, quantity)
    except InvalidQuantity:
        return LineCheck(False, "utter_invalid_quantity", {})
    except CartLineAboveStock as refused:
        return above_stock(refused, variant.color, variant.size)
    return LineCheck(True)


def above_stock(refused: CartLineAboveStock, color: str | None, size: str | None) -> LineCheck:
    return LineCheck(
        False,
        "utter_quantity_above_stock",
        dict(available=refused.available, product=refused.name, variant=variant_label(color, size)),
    )


def say(dispatcher: CollectingDispatcher, check: LineCheck, **extra) -> None:
    dispatcher.utter_message(response=check.response, **(check.values or {}), **extra)
