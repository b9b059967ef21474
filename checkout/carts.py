"""The shopper's cart: lines of SKUs and quantities, priced from the catalog whenever it is shown."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from checkout.catalog.matching import resolve_product
from checkout.catalog.queries import find_product, find_variant
from checkout.customers.identity import ShopperIdentity, current_conversation, identify
from checkout.db.database import Database
from checkout.db.models import Cart, CartItem, Customer, Variant, utcnow
from checkout.errors import (
    CartEmpty,
    CartLineAboveStock,
    CheckoutError,
    InvalidQuantity,
    NoSuchVariant,
    NotEnoughStock,
    ProductUnavailable,
)
from checkout.message_effects import MessageChange, MessageEffect, message_change
from checkout.money import Money, zero
from checkout.promotions.pricing import NO_FEES, DeliveryFees, Pricing, price
from checkout.promotions.redemption import check_code, find_code, terms_of
from checkout.promotions.rules import Refused

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
class CartDiscount:
    """The code the cart holds: what it takes off now, or why it does not apply (`refused`)."""

    code: str
    amount: Money
    refused: Refused | None = None


@dataclass(frozen=True)
class CartView:
    lines: list[CartLine]
    currency: str
    discount: CartDiscount | None = None
    # Delivery and the code's effect; None: priced with neither (a cart viewed without the shop's fees).
    pricing: Pricing | None = None

    @property
    def subtotal(self) -> Money:
        total = zero(self.currency)
        for line in self.lines:
            total = total + line.line_total
        return total

    @property
    def delivery(self) -> Money:
        return Money(self.pricing.delivery_minor if self.pricing else 0, self.currency)

    @property
    def total(self) -> Money:
        """What the order would charge: items - discount + delivery."""
        return Money(self.pricing.total_minor, self.currency) if self.pricing else self.subtotal

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


def view_cart(
    session: Session, customer: Customer, currency: str, fees: DeliveryFees = NO_FEES, now: datetime | None = None
) -> CartView:
    """Lines with live catalog prices, the code's discount and delivery; a line whose SKU was deactivated is
    dropped, not sold."""
    cart = get_cart(session, customer)
    lines = []
    for item in list(cart.items):
        if not item.variant.active:
            cart.items.remove(item)
            continue
        lines.append(CartLine(item.variant, item.quantity))
    view = CartView(lines, lines[0].variant.currency if lines else currency)
    if len({line.variant.currency for line in lines}) > 1:
        return view  # not priceable as one order: placing it is refused
    subtotal = view.subtotal.amount_minor
    if cart.discount_code is None:
        return replace(view, pricing=price(subtotal, view.currency, fees))
    code = find_code(session, cart.discount_code)
    refused = check_code(session, code, customer.id, view.currency, subtotal, now or utcnow())
    terms = terms_of(code) if code is not None and refused is None else None
    pricing = price(subtotal, view.currency, fees, terms)
    discount = CartDiscount(cart.discount_code, Money(pricing.discount_minor, view.currency), refused)
    return replace(view, discount=discount, pricing=pricing)


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


def clear_cart(session: Session, customer: Customer, *, drop_code: bool = False) -> None:
    cart = get_cart(session, customer)
    cart.items.clear()
    if drop_code:
        cart.discount_code = None
    session.flush()


def empty_cart(db: Database, identity: ShopperIdentity) -> int:
    """ "Clear everything from my basket": every line out (a code given stays for the next items). Returns how many
    lines there were."""
    with db.transaction() as session:
        customer = identify(session, identity)
        count = len(get_cart(session, customer).items)
        clear_cart(session, customer)
        return count


def cart_fingerprint(cart: CartView) -> str:
    """Identifies the cart shown in a summary, so "yes" never orders a cart the shopper has not seen."""
    lines: list[tuple] = sorted((line.variant.sku, line.quantity, line.variant.price_minor) for line in cart.lines)
    if cart.discount:  # a code given or removed since the summary changes what "yes" would charge
        lines.append(("code", cart.discount.code))
    return hashlib.sha256(repr(lines).encode()).hexdigest()[:16]


def check_quantity_to_add(session: Session, customer: Customer, variant: Variant, quantity: int) -> None:
    """Raises InvalidQuantity below one, CartLineAboveStock above what the shelf has beyond the cart's line or
    above the line limit (MAX_LINE_QUANTITY, also when stock is not tracked)."""
    if quantity < 1:
        raise InvalidQuantity(quantity)
    cart = get_cart(session, customer)
    in_cart = next((i.quantity for i in cart.items if i.variant_id == variant.id), 0)
    on_shelf = available_to_add(variant, in_cart)
    line_room = max(MAX_LINE_QUANTITY - in_cart, 0)
    available = line_room if on_shelf is None else min(on_shelf, line_room)
    if quantity > available:
        raise CartLineAboveStock(variant.sku, quantity, available, variant.product.name)


# --- the shopper's cart tasks, each in its own transaction ------------------------------------------------------
# A refusal found after the shopper was identified is raised once the transaction has committed: the shopper is
# remembered (first contact, last seen) whatever the answer.


@dataclass(frozen=True)
class AddedLine:
    product: str
    color: str | None
    size: str | None
    quantity: int
    line_total: Money
    cart: CartView  # priced with its code and the shop's delivery fee

    @property
    def cart_total(self) -> Money:
        return self.cart.total


def add_cart_line(
    db: Database,
    identity: ShopperIdentity,
    product_name: str | None,
    color: str | None,
    size: str | None,
    quantity: int,
    currency: str,
    fees: DeliveryFees = NO_FEES,
    *,
    message_id: str | None = None,
) -> AddedLine:
    """Adds `quantity` of the product in that colour and size to the shopper's cart, checked against the stock now.
    Raises NoSuchVariant, InvalidQuantity or CartLineAboveStock. The shopper message `message_id` adds it once:
    run again, it answers as it did and adds nothing (checkout/message_effects.py)."""
    with db.transaction() as session:
        outcome = _add_line(session, identity, product_name, color, size, quantity, currency, fees, message_id)
    if isinstance(outcome, CheckoutError):
        raise outcome
    return outcome


def _add_line(
    session: Session,
    identity: ShopperIdentity,
    product_name: str | None,
    color: str | None,
    size: str | None,
    quantity: int,
    currency: str,
    fees: DeliveryFees,
    message_id: str | None,
) -> AddedLine | CheckoutError:
    product = find_product(session, product_name) if product_name else None
    variant = find_variant(product, color, size) if product else None
    if variant is None:
        return NoSuchVariant(product_name, color, size)
    customer = identify(session, identity)
    # Per SKU: "two red notebooks and a brown bookmark" adds two lines with one message.
    change = message_change(customer.id, message_id, MessageEffect.ADD_CART_LINE, variant.sku)
    if change.earlier(session) is None:  # else added by this message before: the stock check counted it then
        try:
            check_quantity_to_add(session, customer, variant, quantity)
        except (InvalidQuantity, CartLineAboveStock) as refused:
            return refused
        if change.claim(session):
            add_to_cart(session, customer, variant, quantity)
    cart = view_cart(session, customer, currency, fees)
    current_conversation(session, customer, identity).had_cart = True
    return AddedLine(
        variant.product.name,
        variant.color,
        variant.size,
        quantity,
        Money(variant.price_minor * quantity, variant.currency),
        cart,
    )


class NotInCart(CheckoutError):
    """The product the shopper named is not in their cart."""

    def __init__(self, query: str, cart: CartView):
        super().__init__(f"{query!r} is not in the cart")
        self.query, self.cart = query, cart


class WhichCartLine(CheckoutError):
    """The words fit several lines of the cart, or none: the shopper is to pick one of `choices`."""

    def __init__(self, choices: list[CartLine]):
        super().__init__("which line of the cart?")
        self.choices = choices


@dataclass(frozen=True)
class RemovedLine:
    product: str
    color: str | None
    size: str | None
    cart: CartView  # what is left


def remove_cart_line(
    db: Database,
    identity: ShopperIdentity,
    text: str,
    currency: str,
    *,
    named: str | None = None,
    color: str | None = None,
    size: str | None = None,
    quantity: int | None = None,
    fees: DeliveryFees = NO_FEES,
    message_id: str | None = None,
) -> RemovedLine:
    """Removes `quantity` (all when None) of the one cart line the words (or the `named` product) point to.
    Raises CartEmpty, NotInCart, or WhichCartLine. The shopper message `message_id` removes once: run again, it
    names the line it removed (which the words may no longer find) and removes nothing more."""
    with db.transaction() as session:
        customer = identify(session, identity)
        change = message_change(customer.id, message_id, MessageEffect.REMOVE_CART_LINE)
        earlier = change.earlier(session)
        outcome: RemovedLine | CheckoutError
        if earlier is not None and earlier.outcome:
            outcome = _removed_before(session, customer, earlier.outcome, currency, fees)
        else:
            outcome = _remove_line(session, customer, change, text, currency, named, color, size, quantity, fees)
    if isinstance(outcome, CheckoutError):
        raise outcome
    return outcome


def _remove_line(
    session: Session,
    customer: Customer,
    change: MessageChange,
    text: str,
    currency: str,
    named: str | None,
    color: str | None,
    size: str | None,
    quantity: int | None,
    fees: DeliveryFees,
) -> RemovedLine | CheckoutError:
    cart = view_cart(session, customer, currency)
    if cart.is_empty:
        return CartEmpty()
    products = list({line.variant.product.id: line.variant.product for line in cart.lines}.values())
    resolution = resolve_product(products, named or text, color, size)
    if resolution.product is None and len(cart.lines) == 1 and not named:
        resolution = resolve_product(products, products[0].name)
    lines = [
        line
        for line in cart.lines
        if resolution.product
        and line.variant.product_id == resolution.product.id
        and (not color or line.variant.color == color.lower())
        and (not size or line.variant.size == size.upper())
    ]
    if len(lines) != 1:
        if named and not resolution.candidates:
            return NotInCart(named, cart)
        return WhichCartLine(lines or cart.lines)
    variant = lines[0].variant
    if not change.claim(session, outcome=variant.sku):  # the same message removed it a moment ago
        return _removed_before(session, customer, variant.sku, currency, fees)
    remove_from_cart(session, customer, variant, quantity)
    return RemovedLine(variant.product.name, variant.color, variant.size, view_cart(session, customer, currency, fees))


def _removed_before(session: Session, customer: Customer, sku: str, currency: str, fees: DeliveryFees) -> RemovedLine:
    """The answer of a removal this message made already: the line it removed, the cart as it is."""
    variant = session.scalars(select(Variant).where(Variant.sku == sku)).one()
    return RemovedLine(variant.product.name, variant.color, variant.size, view_cart(session, customer, currency, fees))
