"""The shopper's cart: lines of SKUs and quantities, priced from the catalog whenever it is shown."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from checkout.db.models import Cart, CartItem, Customer, Variant
from checkout.errors import NotEnoughStock, ProductUnavailable
from checkout.money import Money, zero

MAX_LINE_QUANTITY = 50  # more than a chat order plausibly wants; larger orders go through the seller


@dataclass(frozen=True)
class CartLine:
    variant: Variant
    quantity: int

    @property
    def unit_price(self) -> Money:
        return Money(self.variant.price_minor, self.variant.currency)

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class CartView:
    lines: list[CartLine]
    currency: str

    @property
    def total(self) -> Money:
        total = zero(self.currency)
        for line in self.lines:
            total = total + line.line_total
        return total

    @property
    def is_empty(self) -> bool:
        return not self.lines


def get_cart(session: Session, customer: Customer) -> Cart:
    cart = session.scalar(
        select(Cart)
        .where(Cart.customer_id == customer.id)
        .options(selectinload(Cart.items).selectinload(CartItem.variant).selectinload(Variant.product))
    )
    if cart is None:
        cart = Cart(customer_id=customer.id)
        session.add(cart)
        session.flush()
    return cart


def view_cart(session: Session, customer: Customer, currency: str) -> CartView:
    """Lines with live catalog prices; a line whose SKU was deactivated is dropped, not sold."""
    cart = get_cart(session, customer)
    lines = []
    for item in list(cart.items):
        if not item.variant.active:
            cart.items.remove(item)
            continue
        lines.append(CartLine(item.variant, item.quantity))
    return CartView(lines, lines[0].variant.currency if lines else currency)


def available_to_add(variant: Variant, already_in_cart: int) -> int | None:
    """How many more of this SKU fit in the cart; None when stock is not tracked."""
    if variant.stock is None:
        return None
    return max(variant.stock - already_in_cart, 0)


def add_to_cart(session: Session, customer: Customer, variant: Variant, quantity: int) -> CartLine:
    """Adds `quantity` of the SKU; refuses more than the stock. Returns the line as it now is."""
    if not variant.active:
        raise ProductUnavailable(variant.sku)
    cart = get_cart(session, customer)
    item = next((i for i in cart.items if i.variant_id == variant.id), None)
    current = item.quantity if item else 0
    available = available_to_add(variant, current)
    limit = min(available, MAX_LINE_QUANTITY - current) if available is not None else MAX_LINE_QUANTITY - current
    if quantity < 1 or quantity > limit:
        raise NotEnoughStock(variant.sku, quantity, max(limit, 0))
    if item is None:
        item = CartItem(variant=variant, quantity=0)
        cart.items.append(item)
    item.quantity = current + quantity
    session.flush()
    return CartLine(variant, item.quantity)


def remove_from_cart(session: Session, customer: Customer, variant: Variant, quantity: int | None = None) -> int:
    """Removes `quantity` (all when None) of the SKU; returns how many are left on that line."""
    cart = get_cart(session, customer)
    item = next((i for i in cart.items if i.variant_id == variant.id), None)
    if item is None:
        return 0
    if quantity is None or quantity >= item.quantity:
        cart.items.remove(item)
        session.flush()
        return 0
    item.quantity -= quantity
    session.flush()
    return item.quantity


def clear_cart(session: Session, customer: Customer) -> None:
    cart = get_cart(session, customer)
    cart.items.clear()
    session.flush()
