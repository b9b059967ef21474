"""Turning a cart into an order in one transaction: catalog prices, reserved stock, a fresh number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from checkout.carts import CartView, cart_fingerprint, clear_cart, view_cart
from checkout.customers.identity import ShopperIdentity, current_conversation, identify
from checkout.db.database import Database, rowcount
from checkout.db.models import Conversation, Customer, Order, OrderItem, Variant, utcnow
from checkout.email.kinds import OrderEmail
from checkout.email.transactional import queue_order_email
from checkout.errors import CartEmpty, CheckoutError, InvalidTransition, NotEnoughStock
from checkout.marketing.attribution import credited_campaign
from checkout.message_effects import MessageChange, MessageEffect, message_change
from checkout.money import Money
from checkout.notifications import queue_for_seller
from checkout.orders.labels import item_label
from checkout.orders.numbers import new_order_number
from checkout.orders.open_orders import check_open_orders
from checkout.payments.starting import PaymentOffer, offer_payment
from checkout.promotions.kinds import KEPT_ON_CART
from checkout.promotions.pricing import NO_FEES, DeliveryFees
from checkout.promotions.redemption import PromoCodeRefused, find_code, take_use
from checkout.settings import Settings
from checkout.statuses import OrderStatus

# For orders placed without the shop's settings at hand (tests, scripts): SHOP_PAYMENT_DEADLINE_HOURS' default.
DEFAULT_PAYMENT_DEADLINE = timedelta(hours=Settings.shop_payment_deadline_hours)


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
    taken = rowcount(
        session.execute(
            update(Variant)
            .where(Variant.id == variant.id, Variant.stock >= quantity)
            .values(stock=Variant.stock - quantity)
            .execution_options(synchronize_session=False)
        )
    )
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
    fees: DeliveryFees = NO_FEES,
    attribution_days: int = 7,
    payment_deadline: timedelta = DEFAULT_PAYMENT_DEADLINE,
) -> Order:
    """Creates the order from the cart, priced with its code and the delivery fee, and takes the code's use.
    Raises CartEmpty, NotEnoughStock or PromoCodeRefused; the caller's transaction then rolls back, so a failed
    order leaves no trace, no reserved stock and no use taken, and the cart is as it was.

    The order is to be paid within `payment_deadline` (reminded at half-time, expired at the end:
    checkout.orders.deadlines)."""
    cart = view_cart(session, customer, default_currency, fees)
    if cart.is_empty:
        raise CartEmpty()
    pricing, discount = cart.pricing, cart.discount
    if pricing is None:  # view_cart prices every cart but one whose lines mix currencies
        raise CheckoutError("the cart mixes currencies; the seller must price these items in one currency")
    # A code kept for later (below its minimum, before its start) leaves the order at full price, as the summary
    # said; any other refusal (used up, expired since) is the shopper's to hear before anything is ordered.
    if discount and discount.refused and discount.refused.reason not in KEPT_ON_CART:
        raise PromoCodeRefused(discount.code, discount.refused)
    code_used = discount.code if discount and not discount.refused else None
    placed_at = utcnow()
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
        total_minor=pricing.total_minor,
        subtotal_minor=pricing.subtotal_minor,
        discount_minor=pricing.discount_minor,
        discount_code=code_used,
        delivery_minor=pricing.delivery_minor,
        campaign_id=credited_campaign(session, customer.id, code_used, placed_at, attribution_days),
        created_at=placed_at,
        payment_due_at=placed_at + payment_deadline,
        payment_reminder_at=placed_at + payment_deadline / 2,
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
    if code_used:
        session.flush()
        code = find_code(session, code_used)
        assert code is not None  # the cart's view just found it
        take_use(session, code, order, pricing)
    clear_cart(session, customer, drop_code=bool(code_used))
    session.flush()
    queue_for_seller(
        session,
        "new_order",
        new_order_alert(order),
        dedupe_key=f"seller:order:{order.id}",
        customer=customer,
        order=order,
    )
    queue_order_email(session, order, OrderEmail.CONFIRMATION)  # only when the shopper gave an email address
    return order


class CartChangedSinceSummary(CheckoutError):
    """The cart is no longer the one the shopper confirmed: `cart` is what it holds now, to summarise again."""

    def __init__(self, cart: CartView):
        super().__init__("the cart changed since its summary was shown")
        self.cart = cart


@dataclass(frozen=True)
class PlacedOrder:
    number: str
    total: Money
    payment: PaymentOffer | None  # None: the order was cancelled in the instant after it was placed


def place_order_from_cart(
    db: Database,
    settings: Settings,
    identity: ShopperIdentity,
    details: DeliveryDetails,
    expected_cart: str,
    *,
    message_id: str | None = None,
) -> PlacedOrder:
    """The shopper's "yes" to the summary of the cart with fingerprint `expected_cart`: places the order, then
    starts its payment. Raises CartChangedSinceSummary, CartEmpty, NotEnoughStock, PromoCodeRefused,
    TooManyOpenOrders (SHOP_MAX_OPEN_ORDERS unpaid ones already) or CheckoutError (nothing ordered then). The
    shopper message `message_id` places one order: run again, it answers with the order it placed (its cart is
    empty by then)."""
    fees = settings.delivery_fees
    changed: CartView | None = None
    with db.transaction() as session:
        customer = identify(session, identity)
        change = message_change(customer.id, message_id, MessageEffect.PLACE_ORDER)
        placed = _placed_by(session, customer, change)
        if placed is None:
            cart = view_cart(session, customer, settings.shop_currency, fees)
            if cart_fingerprint(cart) != expected_cart and not cart.is_empty:
                changed = cart
            elif change.claim(session):  # before the stock is touched: a second run waits here, then finds it
                # Raises TooManyOpenOrders, which rolls everything back, the claim too. Under a lock on the customer,
                # so two checkouts at once cannot both count the same open orders and slip under the limit.
                check_open_orders(session, customer, settings.shop_max_open_orders, lock=True)
                order = place_order(
                    session,
                    customer,
                    current_conversation(session, customer, identity),
                    details,
                    settings.shop_currency,
                    fees,
                    settings.shop_campaign_attribution_days,
                    settings.payment_deadline,
                )
                change.record_outcome(session, order.number)
                placed = (order.number, cart.total)
            else:  # the same message placed it a moment ago (its turn running twice at once)
                placed = _placed_by(session, customer, change)
    if changed is not None:  # raised after the commit, as the summary shown again is of the cart as it now is
        raise CartChangedSinceSummary(changed)
    if placed is None:  # claimed without its order: never, as both are written in one transaction
        raise CheckoutError("the order this message placed is not there")
    number, total = placed
    # The order stands whatever happens next: starting a payment opens its own transactions (a provider that
    # calls out, like Stripe, must not hold the order's), and a failed start leaves the order to pay later.
    try:
        payment: PaymentOffer | None = offer_payment(db, settings, identity.channel, number)
    except InvalidTransition:  # cancelled in the instant since it was placed
        payment = None
    return PlacedOrder(number, total, payment)


def _placed_by(session: Session, customer: Customer, change: MessageChange) -> tuple[str, Money] | None:
    """The number and total of the order this message placed already; None when it placed none."""
    claim = change.earlier(session)
    if claim is None or claim.outcome is None:
        return None
    order = session.scalar(select(Order).where(Order.customer_id == customer.id, Order.number == claim.outcome))
    return (order.number, Money(order.total_minor, order.currency)) if order is not None else None


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
