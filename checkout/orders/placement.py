"""Turning a cart into an order in one transaction: catalog prices, reserved stock, a fresh number."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from checkout.carts import clear_cart, view_cart
from checkout.db.models import Conversation, Customer, Order, OrderItem, Variant
from checkout.errors import CartEmpty, CheckoutError, NotEnoughStock
from checkout.money import Money
from checkout.notifications import queue_for_seller
from checkout.orders.labels import item_label
from checkout.orders.numbers import new_order_number
from checkout.statuses import OrderStatus


@dataclass(frozen=True)
class DeliveryDetails:
    name: str
    phone: str
    address: str
    email: str | None = None


def reserve_stock(session: Session, variant: Variant, quantity: int) -> bool:
    """Takes `quantity` off the shelf only if that many are there (one conditional UPDATE: never negative,
    safe when buyers race for the last unit). Returns False when stock is not tracked."""
    if variant.stock is None:
        return False
    taken = session.execute(
        update(Variant)
        .where(Variant.id == variant.id, Variant.stock >= quantity)
        .values(stock=Variant.stock - quantity)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        session.refresh(variant, ["stock"])
        raise NotEnoughStock(variant.sku, quantity, variant.stock or 0, variant.product.name)
    session.refresh(variant, ["stock"])
    return True


def place_order(
    session: Session,
    customer: Customer,
    conversation: Conversation | None,
    details: DeliveryDetails,
    default_currency: str,
) -> Order:
    """Creates the order from the cart. Raises CartEmpty or NotEnoughStock; the caller's transaction then
    rolls back, so a failed order leaves no trace and no reserved stock."""
    cart = view_cart(session, customer, default_currency)
    if cart.is_empty:
        raise CartEmpty()
    if len({line.variant.currency for line in cart.lines}) > 1:
        raise CheckoutError("the cart mixes currencies; the seller must price these items in one currency")
    order = Order(
        number=_unused_number(session),
        status=OrderStatus.AWAITING_PAYMENT,
        customer_id=customer.id,
        conversation_id=conversation.id if conversation else None,
        channel=conversation.channel if conversation else customer.channel,
        sender_id=conversation.sender_id if conversation else customer.channel_user_id,
        customer_name=details.name,
        customer_phone=details.phone,
        customer_email=details.email,
        customer_address=details.address,
        currency=cart.currency,
        total_minor=cart.total.amount_minor,
    )
    for line in cart.lines:
        variant = line.variant
        order.items.append(
            OrderItem(
                variant_id=variant.id,
                sku=variant.sku,
                name=variant.product.name,
                color=variant.color,
                size=variant.size,
                quantity=line.quantity,
                unit_price_minor=variant.price_minor,
                stock_reserved=reserve_stock(session, variant, line.quantity),
            )
        )
    session.add(order)
    customer.name, customer.phone, customer.address = details.name, details.phone, details.address
    if details.email:
        customer.email = details.email
    if conversation:
        conversation.had_order = True
    clear_cart(session, customer)
    session.flush()
    queue_for_seller(
        session,
        "new_order",
        new_order_alert(order),
        dedupe_key=f"seller:order:{order.id}",
        customer=customer,
        order=order,
    )
    return order


def new_order_alert(order: Order) -> str:
    """What the seller's chat is told about a new order: enough to act on without opening the dashboard."""
    lines = [
        f"New order {order.number}: {Money(order.total_minor, order.currency).display()}, "
        f"{order.customer_name} ({order.channel})"
    ]
    for item in order.items:
        lines.append(f"{item.quantity} × {item_label(item)}")
    return "\n".join(lines)


def _unused_number(session: Session) -> str:
    """A random number not yet taken. Collisions are about 1 in a billion; the unique index backs this up."""
    for _ in range(10):
        number = new_order_number()
        if session.scalar(select(Order.id).where(Order.number == number)) is None:
            return number
    raise CheckoutError("could not draw an unused order number")
