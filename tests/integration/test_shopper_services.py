"""The shopper's services on a real database (SQLite always, PostgreSQL with TEST_DATABASE_URL), called as the
chat's actions call them: adding to and removing from the cart, placing the order after its summary, paying it,
cancelling it, and asking for a person. Each success, and each refusal with what it leaves behind."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from checkout.carts import (
    MAX_LINE_QUANTITY,
    NotInCart,
    WhichCartLine,
    add_cart_line,
    add_to_cart,
    cart_fingerprint,
    remove_cart_line,
    view_cart,
)
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.models import Conversation, Customer, Order, OutboxMessage, Payment, Variant
from checkout.errors import (
    CartEmpty,
    CartLineAboveStock,
    CheckoutError,
    InvalidQuantity,
    InvalidTransition,
    NoSuchVariant,
    NotEnoughStock,
    PaymentUnavailable,
)
from checkout.handoff import ask_for_a_person
from checkout.money import Money
from checkout.orders.cancellation import cancel_own_order
from checkout.orders.placement import CartChangedSinceSummary, DeliveryDetails, place_order_from_cart
from checkout.orders.seller_actions import OrderNotFound
from checkout.payments import registry
from checkout.payments.starting import start_order_payment
from checkout.settings import Settings
from checkout.statuses import OrderStatus, PaymentStatus
from tests.integration.orm_builders import load_demo_catalog

ANA = ShopperIdentity("rest", "web-ana", "web-ana")
BEN = ShopperIdentity("rest", "web-ben", "web-ben")
DETAILS = DeliveryDetails(
    name="Zoë Müller-Lefèvre", phone="+33612345678", address="12 rue de la Paix, 75002 Paris", email="zoe@example.com"
)
INSTRUCTIONS = "Pay by transfer to IBAN TEST 0000, reference: your order number."


@pytest.fixture
def shop(clean_db):
    load_demo_catalog(clean_db)
    return clean_db


@pytest.fixture
def shop_settings(shop) -> Settings:
    return Settings(
        database_url=shop.url,
        shop_currency="EUR",
        shop_payment_methods="manual",
        shop_payment_instructions=INSTRUCTIONS,
    )


# --- helpers -----------------------------------------------------------------------------------------------------


def stock(db, sku: str) -> int | None:
    with db.reading() as session:
        return session.scalar(select(Variant.stock).where(Variant.sku == sku))


def set_variant(db, sku: str, **values) -> None:
    with db.transaction() as session:
        session.execute(update(Variant).where(Variant.sku == sku).values(**values))


def fill_cart(db, identity: ShopperIdentity, lines: list[tuple[str, int]]) -> None:
    with db.transaction() as session:
        customer = identify(session, identity)
        for sku, quantity in lines:
            add_to_cart(session, customer, session.scalar(select(Variant).where(Variant.sku == sku)), quantity)


def cart(db, identity: ShopperIdentity) -> list[tuple[str, int]]:
    with db.transaction() as session:
        return [
            (line.variant.sku, line.quantity) for line in view_cart(session, identify(session, identity), "EUR").lines
        ]


def fingerprint(db, identity: ShopperIdentity) -> str:
    """The fingerprint of the cart as its summary shows it now."""
    with db.transaction() as session:
        return cart_fingerprint(view_cart(session, identify(session, identity), "EUR"))


def customers(db) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count(Customer.id)))


def orders(db) -> list[Order]:
    with db.reading() as session:
        return list(session.scalars(select(Order).order_by(Order.id)))


def placed_order(db, settings, identity: ShopperIdentity = ANA, lines=(("CAP-DAD-BEI", 1),)) -> str:
    fill_cart(db, identity, list(lines))
    return place_order_from_cart(db, settings, identity, DETAILS, fingerprint(db, identity)).number


# --- adding a line -----------------------------------------------------------------------------------------------


def test_add_cart_line_adds_to_the_line_and_marks_the_conversation(shop):
    first = add_cart_line(shop, ANA, "Logo Tee", "black", "M", 2, "EUR")
    assert (first.product, first.color, first.size, first.quantity) == ("Logo Tee", "black", "M", 2)
    assert (first.line_total, first.cart_total) == (Money(4980, "EUR"), Money(4980, "EUR"))
    again = add_cart_line(shop, ANA, "Sticker Pack", None, None, 1, "EUR")  # no colour, no size to choose
    assert (again.line_total, again.cart_total) == (Money(450, "EUR"), Money(5430, "EUR"))
    assert cart(shop, ANA) == [("TEE-LOGO-BLK-M", 2), ("STK-PACK", 1)]
    with shop.reading() as session:
        assert session.scalar(select(Conversation.had_cart).where(Conversation.sender_id == "web-ana")) is True


def test_add_cart_line_refuses_a_variant_that_is_not_sold_without_a_trace(shop):
    with pytest.raises(NoSuchVariant):
        add_cart_line(shop, ANA, "Logo Tee", "purple", "M", 1, "EUR")
    with pytest.raises(NoSuchVariant):
        add_cart_line(shop, ANA, "No Such Thing", None, None, 1, "EUR")
    set_variant(shop, "TEE-LOGO-BLK-M", active=False)
    with pytest.raises(NoSuchVariant):
        add_cart_line(shop, ANA, "Logo Tee", "black", "M", 1, "EUR")
    assert customers(shop) == 0  # nothing was looked up for the shopper


def test_add_cart_line_refuses_a_quantity_below_one_but_remembers_the_shopper(shop):
    with pytest.raises(InvalidQuantity):
        add_cart_line(shop, ANA, "Logo Tee", "black", "M", 0, "EUR")
    assert customers(shop) == 1
    assert cart(shop, ANA) == []


def test_add_cart_line_counts_what_the_cart_already_holds_against_the_stock(shop):
    add_cart_line(shop, ANA, "Logo Tee", "black", "XL", 1, "EUR")  # 2 on the shelf
    with pytest.raises(CartLineAboveStock) as refused:
        add_cart_line(shop, ANA, "Logo Tee", "black", "XL", 2, "EUR")
    assert (refused.value.available, refused.value.name, refused.value.sku) == (1, "Logo Tee", "TEE-LOGO-BLK-XL")
    assert cart(shop, ANA) == [("TEE-LOGO-BLK-XL", 1)]
    assert stock(shop, "TEE-LOGO-BLK-XL") == 2  # a cart reserves nothing


def test_add_cart_line_keeps_the_line_limit_when_stock_is_not_tracked(shop):
    set_variant(shop, "STK-PACK", stock=None)
    with pytest.raises(CartLineAboveStock) as refused:  # answered like a stock limit, never a silent failure
        add_cart_line(shop, ANA, "Sticker Pack", None, None, MAX_LINE_QUANTITY + 1, "EUR")
    assert refused.value.available == MAX_LINE_QUANTITY
    assert cart(shop, ANA) == []


# --- removing a line ---------------------------------------------------------------------------------------------


def test_remove_cart_line_takes_some_or_all_of_the_line_named(shop):
    fill_cart(shop, ANA, [("TEE-LOGO-BLK-M", 3), ("STK-PACK", 1)])
    removed = remove_cart_line(shop, ANA, "remove one logo tee", "EUR", named="Logo Tee", quantity=1)
    assert (removed.product, removed.color, removed.size) == ("Logo Tee", "black", "M")
    assert removed.cart.total == Money(2 * 2490 + 450, "EUR")
    removed = remove_cart_line(shop, ANA, "remove the stickers", "EUR")
    assert removed.product == "Sticker Pack"
    assert cart(shop, ANA) == [("TEE-LOGO-BLK-M", 2)]
    # the only line left needs no name
    assert remove_cart_line(shop, ANA, "remove it", "EUR").cart.is_empty


def test_remove_cart_line_from_an_empty_cart(shop):
    with pytest.raises(CartEmpty):
        remove_cart_line(shop, ANA, "remove the tee", "EUR", named="Logo Tee")
    assert customers(shop) == 1


def test_remove_cart_line_says_what_is_not_in_the_cart(shop):
    fill_cart(shop, ANA, [("STK-PACK", 2)])
    with pytest.raises(NotInCart) as missing:
        remove_cart_line(shop, ANA, "remove the enamel mug", "EUR", named="Enamel Mug")
    assert missing.value.query == "Enamel Mug"
    assert missing.value.cart.total == Money(900, "EUR")
    assert cart(shop, ANA) == [("STK-PACK", 2)]


def test_remove_cart_line_asks_which_line_when_several_fit(shop):
    fill_cart(shop, ANA, [("TEE-LOGO-BLK-M", 1), ("TEE-LOGO-WHT-M", 1), ("STK-PACK", 1)])
    with pytest.raises(WhichCartLine) as unclear:
        remove_cart_line(shop, ANA, "remove the logo tee", "EUR", named="Logo Tee")
    assert sorted(line.variant.sku for line in unclear.value.choices) == ["TEE-LOGO-BLK-M", "TEE-LOGO-WHT-M"]
    with pytest.raises(WhichCartLine) as unclear:
        remove_cart_line(shop, ANA, "remove something", "EUR")  # no product said: every line to choose from
    assert len(unclear.value.choices) == 3
    assert len(cart(shop, ANA)) == 3


# --- placing the order after its summary -------------------------------------------------------------------------


def test_place_order_from_cart_reserves_stock_clears_the_cart_and_starts_the_payment(shop, shop_settings):
    fill_cart(shop, ANA, [("HOOD-HVY-BLK-M", 2), ("STK-PACK", 1)])
    placed = place_order_from_cart(shop, shop_settings, ANA, DETAILS, fingerprint(shop, ANA))
    assert placed.total == Money(2 * 5900 + 450, "EUR")
    assert placed.payment is not None and placed.payment.methods == ["manual"]
    assert placed.payment.step is not None and placed.payment.step.instructions == INSTRUCTIONS
    assert (stock(shop, "HOOD-HVY-BLK-M"), stock(shop, "STK-PACK")) == (8, 99)
    assert cart(shop, ANA) == []
    (order,) = orders(shop)
    assert (order.number, order.status, order.customer_name) == (
        placed.number,
        OrderStatus.AWAITING_PAYMENT,
        DETAILS.name,
    )
    with shop.reading() as session:
        payment = session.scalar(select(Payment).where(Payment.order_id == order.id))
        assert (payment.method, payment.status) == ("manual", PaymentStatus.PENDING)
        assert session.scalar(select(Customer.address)) == DETAILS.address


def test_with_several_methods_the_placed_order_offers_the_choice(shop, shop_settings):
    settings = shop_settings.replace(shop_payment_methods="manual,telegram", telegram_payment_provider_token="T")
    in_telegram = ShopperIdentity("telegram", "42", "42")
    fill_cart(shop, in_telegram, [("STK-PACK", 1)])
    placed = place_order_from_cart(shop, settings, in_telegram, DETAILS, fingerprint(shop, in_telegram))
    assert placed.payment is not None and placed.payment.step is None
    assert placed.payment.methods == ["manual", "telegram"]
    with shop.reading() as session:
        assert session.scalar(select(func.count(Payment.id))) == 0  # nothing started before the choice


def test_a_cart_changed_since_its_summary_is_not_ordered(shop, shop_settings):
    fill_cart(shop, ANA, [("STK-PACK", 1)])
    summarised = fingerprint(shop, ANA)
    fill_cart(shop, ANA, [("CAP-DAD-BLK", 1)])  # in another tab, after the summary
    with pytest.raises(CartChangedSinceSummary) as changed:
        place_order_from_cart(shop, shop_settings, ANA, DETAILS, summarised)
    assert cart_fingerprint(changed.value.cart) == fingerprint(shop, ANA) != summarised
    assert orders(shop) == []
    assert stock(shop, "STK-PACK") == 100


def test_place_order_from_an_empty_cart(shop, shop_settings):
    with pytest.raises(CartEmpty):
        place_order_from_cart(shop, shop_settings, ANA, DETAILS, "whatever-was-shown")
    assert orders(shop) == []


def test_stock_sold_since_the_summary_orders_nothing_and_reserves_nothing(shop, shop_settings):
    fill_cart(shop, ANA, [("HOOD-HVY-BLK-M", 1), ("MUG-ENM-WHT", 3)])
    summarised = fingerprint(shop, ANA)
    set_variant(shop, "MUG-ENM-WHT", stock=2)  # someone else bought one
    with pytest.raises(NotEnoughStock) as short:
        place_order_from_cart(shop, shop_settings, ANA, DETAILS, summarised)
    assert (short.value.name, short.value.available) == ("Enamel Mug", 2)
    assert orders(shop) == []
    assert stock(shop, "HOOD-HVY-BLK-M") == 10  # the line reserved before the short one went back
    assert cart(shop, ANA) == [("HOOD-HVY-BLK-M", 1), ("MUG-ENM-WHT", 3)]


def test_a_cart_mixing_currencies_is_refused(shop, shop_settings):
    fill_cart(shop, ANA, [("STK-PACK", 1), ("CAP-DAD-BLK", 1)])
    set_variant(shop, "CAP-DAD-BLK", currency="USD")
    with pytest.raises(CheckoutError):
        place_order_from_cart(shop, shop_settings, ANA, DETAILS, fingerprint(shop, ANA))
    assert orders(shop) == []


def test_an_order_cancelled_at_once_is_placed_with_no_payment_to_offer(shop, shop_settings, monkeypatch):
    class CancelledMeanwhile:
        name = "manual"

        def start_payment(self, db, number):
            raise InvalidTransition(number, OrderStatus.CANCELLED, OrderStatus.PAID)

    monkeypatch.setitem(
        registry.PROVIDERS, "manual", registry.ProviderEntry(lambda s, c: True, lambda s: CancelledMeanwhile())
    )
    fill_cart(shop, ANA, [("STK-PACK", 1)])
    placed = place_order_from_cart(shop, shop_settings, ANA, DETAILS, fingerprint(shop, ANA))
    assert placed.payment is None
    assert [o.number for o in orders(shop)] == [placed.number]


# --- paying an order ---------------------------------------------------------------------------------------------


def test_start_order_payment_of_the_shoppers_order(shop, shop_settings):
    number = placed_order(shop, shop_settings)
    started = start_order_payment(shop, shop_settings, ANA, number, "manual")
    assert (started.number, started.total) == (number, Money(2200, "EUR"))
    assert started.offer.step is not None and started.offer.step.instructions == INSTRUCTIONS
    with shop.reading() as session:
        assert session.scalar(select(func.count(Payment.id))) == 1  # the same attempt as at placing


def test_a_method_no_longer_offered_gives_the_choice_again(shop, shop_settings):
    number = placed_order(shop, shop_settings)
    started = start_order_payment(shop, shop_settings, ANA, number, "stripe")
    assert (started.offer.step, started.offer.methods, started.offer.unavailable) == (None, ["manual"], False)


def test_a_provider_that_fails_leaves_the_order_to_pay_later(shop, shop_settings, monkeypatch):
    number = placed_order(shop, shop_settings)

    class Down:
        name = "manual"

        def start_payment(self, db, number):
            raise PaymentUnavailable("manual", "down")

    monkeypatch.setitem(registry.PROVIDERS, "manual", registry.ProviderEntry(lambda s, c: True, lambda s: Down()))
    started = start_order_payment(shop, shop_settings, ANA, number, "manual")
    assert (started.offer.step, started.offer.unavailable) == (None, True)
    assert orders(shop)[0].status == OrderStatus.AWAITING_PAYMENT


def test_start_order_payment_finds_only_the_shoppers_own_orders(shop, shop_settings):
    number = placed_order(shop, shop_settings)
    with pytest.raises(OrderNotFound):
        start_order_payment(shop, shop_settings, BEN, number, "manual")
    with pytest.raises(OrderNotFound):
        start_order_payment(shop, shop_settings, ANA, "ORD-NOPE00", "manual")


def test_start_order_payment_of_an_order_no_longer_awaiting_payment(shop, shop_settings):
    number = placed_order(shop, shop_settings)
    cancel_own_order(shop, shop_settings, ANA, number)
    with pytest.raises(InvalidTransition) as refused:
        start_order_payment(shop, shop_settings, ANA, number, "manual")
    assert refused.value.status == OrderStatus.CANCELLED


# --- cancelling, asking for a person -----------------------------------------------------------------------------


def test_cancel_own_order_puts_the_stock_back_and_tells_nobody_else(shop, shop_settings):
    number = placed_order(shop, shop_settings, lines=(("MUG-ENM-WHT", 2),))
    assert stock(shop, "MUG-ENM-WHT") == 1
    with shop.reading() as session:
        queued = session.scalar(select(func.count(OutboxMessage.id)))
    cancelled = cancel_own_order(shop, shop_settings, ANA, number)
    assert (cancelled.number, cancelled.links_closed) == (number, True)
    assert stock(shop, "MUG-ENM-WHT") == 3
    assert orders(shop)[0].status == OrderStatus.CANCELLED
    with shop.reading() as session:
        assert session.scalar(select(func.count(OutboxMessage.id))) == queued  # the chat's reply says so


def test_cancel_own_order_refuses_other_shoppers_orders_and_paid_ones(shop, shop_settings):
    number = placed_order(shop, shop_settings)
    with pytest.raises(OrderNotFound):
        cancel_own_order(shop, shop_settings, BEN, number)
    cancel_own_order(shop, shop_settings, ANA, number)
    with pytest.raises(InvalidTransition):
        cancel_own_order(shop, shop_settings, ANA, number)


def test_ask_for_a_person_hands_the_conversation_over_and_alerts_the_seller_once(shop):
    ask_for_a_person(shop, ANA)
    ask_for_a_person(shop, ANA)
    with shop.reading() as session:
        conversation = session.scalar(select(Conversation).where(Conversation.sender_id == "web-ana"))
        assert conversation.handoff_requested_at is not None and conversation.handoff_released_at is None
        assert session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "handoff")) == 1
