"""The commerce services on a real database (SQLite always, PostgreSQL with TEST_DATABASE_URL): cart, placing an
order, status changes and stock, shopper identity, handoff and the manual payment provider."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from checkout.assistant_client import AssistantUnavailable
from checkout.carts import (
    MAX_LINE_QUANTITY,
    add_to_cart,
    available_to_add,
    clear_cart,
    get_cart,
    remove_from_cart,
    view_cart,
)
from checkout.customers.identity import CONVERSATION_TIMEOUT, ShopperIdentity, current_conversation, identify
from checkout.db.models import AuditLog, CartItem, Conversation, Customer, Order, OrderItem, Payment, Variant, utcnow
from checkout.errors import CartEmpty, CheckoutError, InvalidTransition, NotEnoughStock, ProductUnavailable
from checkout.handoff import hand_back_to_assistant, open_handoffs, release_handoff, request_handoff
from checkout.orders import cancellation
from checkout.orders.cancellation import cancel_order
from checkout.orders.lifecycle import change_status, customer_order, customer_orders, release_stock
from checkout.orders.numbers import PATTERN
from checkout.orders.placement import DeliveryDetails, place_order
from checkout.orders.seller_actions import OrderNotFound
from checkout.payments.manual import ManualProvider
from checkout.payments.registry import available_providers
from checkout.settings import Settings
from tests.integration.orm_builders import add_customer, add_order, at, load_demo_catalog

DETAILS = DeliveryDetails(
    name="Zoë Müller-Lefèvre", phone="+33612345678", address="12 rue de la Paix, 75002 Paris", email="zoe@example.com"
)


# --- helpers -----------------------------------------------------------------------------------------------------


def variant(session, sku: str) -> Variant:
    return session.scalar(select(Variant).where(Variant.sku == sku))


def stock(db, sku: str) -> int | None:
    with db.transaction() as session:
        return session.scalar(select(Variant.stock).where(Variant.sku == sku))


def set_variant(db, sku: str, **values) -> None:
    with db.transaction() as session:
        session.execute(update(Variant).where(Variant.sku == sku).values(**values))


def count(db, model, *where) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def customer(session, user_id: str = "web-zoe") -> Customer:
    return identify(session, ShopperIdentity("rest", user_id, user_id))


def fill_cart(db, lines: list[tuple[str, int]], user_id: str = "web-zoe") -> int:
    """Puts (sku, quantity) lines in the shopper's cart; returns the customer id."""
    with db.transaction() as session:
        shopper = customer(session, user_id)
        for sku, quantity in lines:
            add_to_cart(session, shopper, variant(session, sku), quantity)
        return shopper.id


def cart_lines(db, user_id: str = "web-zoe") -> list[tuple[str, int]]:
    with db.transaction() as session:
        cart = view_cart(session, customer(session, user_id), "EUR")
        return [(line.variant.sku, line.quantity) for line in cart.lines]


def place(db, user_id: str = "web-zoe", details: DeliveryDetails = DETAILS) -> str:
    with db.transaction() as session:
        shopper = customer(session, user_id)
        conversation = current_conversation(session, shopper, ShopperIdentity("rest", user_id, user_id))
        return place_order(session, shopper, conversation, details, "EUR").number


def order_by_number(session, number: str) -> Order:
    return session.scalar(select(Order).where(Order.number == number))


@pytest.fixture
def shop(clean_db):
    load_demo_catalog(clean_db)
    return clean_db


# --- cart --------------------------------------------------------------------------------------------------------


def test_adding_the_same_sku_twice_makes_one_line_priced_live(shop):
    fill_cart(shop, [("TEE-LOGO-BLK-M", 2), ("TEE-LOGO-BLK-M", 1), ("CAP-DAD-BEI", 1)])
    assert cart_lines(shop) == [("TEE-LOGO-BLK-M", 3), ("CAP-DAD-BEI", 1)]
    with shop.transaction() as session:
        cart = view_cart(session, customer(session), "EUR")
        assert cart.total.amount_minor == 3 * 2490 + 2200
        assert [line.line_total.amount_minor for line in cart.lines] == [7470, 2200]
    set_variant(shop, "TEE-LOGO-BLK-M", price_minor=2000)
    with shop.transaction() as session:
        assert view_cart(session, customer(session), "EUR").total.amount_minor == 3 * 2000 + 2200


def test_the_returned_line_says_what_is_now_in_the_cart(shop):
    with shop.transaction() as session:
        shopper = customer(session)
        tee = variant(session, "TEE-LOGO-BLK-M")
        assert add_to_cart(session, shopper, tee, 2).quantity == 2
        line = add_to_cart(session, shopper, tee, 3)
        assert (line.quantity, line.line_total.amount_minor) == (5, 5 * 2490)


def test_a_quantity_above_stock_is_refused_with_what_is_available(shop):
    fill_cart(shop, [("HOOD-HVY-GRY-L", 2)])  # stock 3
    with pytest.raises(NotEnoughStock) as refused:
        fill_cart(shop, [("HOOD-HVY-GRY-L", 2)])
    assert (refused.value.sku, refused.value.requested, refused.value.available) == ("HOOD-HVY-GRY-L", 2, 1)
    assert cart_lines(shop) == [("HOOD-HVY-GRY-L", 2)]
    fill_cart(shop, [("HOOD-HVY-GRY-L", 1)])  # exactly what is left is fine
    assert cart_lines(shop) == [("HOOD-HVY-GRY-L", 3)]
    assert stock(shop, "HOOD-HVY-GRY-L") == 3  # a cart reserves nothing


def test_a_first_add_above_stock_is_refused(shop):
    with pytest.raises(NotEnoughStock) as refused:
        fill_cart(shop, [("HOOD-ZIP-NVY-L", 2)])  # stock 1
    assert refused.value.available == 1
    assert cart_lines(shop) == []


def test_an_out_of_stock_sku_cannot_be_added(shop):
    with pytest.raises(NotEnoughStock) as refused:
        fill_cart(shop, [("HOOD-HVY-BLK-XL", 1)])
    assert refused.value.available == 0


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_quantity_below_one_is_refused(shop, quantity):
    with pytest.raises(CheckoutError):
        fill_cart(shop, [("TEE-LOGO-BLK-M", quantity)])
    assert cart_lines(shop) == []


def test_untracked_stock_is_limited_only_by_the_line_maximum(shop):
    with shop.transaction() as session:
        keychain = variant(session, "KEY-LTH-BRN")
        assert keychain.stock is None
        assert available_to_add(keychain, 10) is None
    fill_cart(shop, [("KEY-LTH-BRN", 30), ("KEY-LTH-BRN", MAX_LINE_QUANTITY - 30)])
    assert cart_lines(shop) == [("KEY-LTH-BRN", MAX_LINE_QUANTITY)]
    with pytest.raises(NotEnoughStock) as refused:
        fill_cart(shop, [("KEY-LTH-BRN", 1)])
    assert refused.value.available == 0
    assert stock(shop, "KEY-LTH-BRN") is None


def test_a_line_never_exceeds_the_maximum_even_with_more_stock(shop):
    assert stock(shop, "STK-PACK") == 100
    with pytest.raises(NotEnoughStock) as refused:
        fill_cart(shop, [("STK-PACK", MAX_LINE_QUANTITY + 1)])
    assert refused.value.available == MAX_LINE_QUANTITY
    fill_cart(shop, [("STK-PACK", 45)])
    with pytest.raises(NotEnoughStock) as refused:
        fill_cart(shop, [("STK-PACK", 6)])
    assert refused.value.available == MAX_LINE_QUANTITY - 45


def test_a_deactivated_sku_cannot_be_added(shop):
    set_variant(shop, "CAP-DAD-BLK", active=False)
    with pytest.raises(ProductUnavailable):
        fill_cart(shop, [("CAP-DAD-BLK", 1)])


def test_a_deactivated_sku_is_dropped_from_the_cart_view(shop):
    fill_cart(shop, [("TEE-LOGO-BLK-M", 1), ("CAP-DAD-BLK", 2)])
    set_variant(shop, "CAP-DAD-BLK", active=False)
    with shop.transaction() as session:
        cart = view_cart(session, customer(session), "EUR")
        assert [line.variant.sku for line in cart.lines] == ["TEE-LOGO-BLK-M"]
        assert cart.total.amount_minor == 2490
    assert count(shop, CartItem) == 1  # the dropped line is gone for good, not just hidden
    set_variant(shop, "TEE-LOGO-BLK-M", active=False)
    with shop.transaction() as session:
        cart = view_cart(session, customer(session), "EUR")
        assert cart.is_empty and cart.total.amount_minor == 0 and cart.currency == "EUR"


def test_remove_part_of_a_line_all_of_it_or_something_not_there(shop):
    fill_cart(shop, [("TEE-LOGO-BLK-M", 3), ("CAP-DAD-BEI", 1)])
    with shop.transaction() as session:
        shopper = customer(session)
        assert remove_from_cart(session, shopper, variant(session, "TEE-LOGO-BLK-M"), 1) == 2
        assert remove_from_cart(session, shopper, variant(session, "STK-PACK")) == 0
    assert cart_lines(shop) == [("TEE-LOGO-BLK-M", 2), ("CAP-DAD-BEI", 1)]
    with shop.transaction() as session:
        shopper = customer(session)
        assert remove_from_cart(session, shopper, variant(session, "TEE-LOGO-BLK-M"), 5) == 0
        assert remove_from_cart(session, shopper, variant(session, "CAP-DAD-BEI")) == 0
    assert cart_lines(shop) == []
    assert count(shop, CartItem) == 0


def test_each_shopper_has_their_own_cart_that_survives_sessions(shop):
    fill_cart(shop, [("TEE-LOGO-BLK-M", 1)], "web-a")
    fill_cart(shop, [("CAP-DAD-BEI", 2)], "web-b")
    assert cart_lines(shop, "web-a") == [("TEE-LOGO-BLK-M", 1)]
    assert cart_lines(shop, "web-b") == [("CAP-DAD-BEI", 2)]
    with shop.transaction() as session:
        clear_cart(session, customer(session, "web-a"))
        assert get_cart(session, customer(session, "web-a")).items == []
    assert cart_lines(shop, "web-b") == [("CAP-DAD-BEI", 2)]


# --- placing an order --------------------------------------------------------------------------------------------


def test_an_order_takes_catalog_prices_at_placement_not_when_the_cart_was_built(shop):
    fill_cart(shop, [("HOOD-HVY-BLK-M", 2), ("TEE-LOGO-WHT-M", 1)])
    set_variant(shop, "HOOD-HVY-BLK-M", price_minor=4900)  # the seller changed the price after the cart was built
    number = place(shop)
    assert PATTERN.match(number)
    with shop.transaction() as session:
        order = order_by_number(session, number)
        rows = [(i.sku, i.name, i.color, i.size, i.quantity, i.unit_price_minor) for i in order.items]
        assert rows == [
            ("HOOD-HVY-BLK-M", "Heavyweight Hoodie", "black", "M", 2, 4900),
            ("TEE-LOGO-WHT-M", "Logo Tee", "white", "M", 1, 2490),
        ]
        assert (order.total_minor, order.currency, order.status) == (2 * 4900 + 2490, "EUR", "awaiting_payment")
    # and a later catalog change never rewrites the order
    set_variant(shop, "HOOD-HVY-BLK-M", price_minor=9999)
    with shop.transaction() as session:
        assert order_by_number(session, number).items[0].unit_price_minor == 4900


def test_an_order_reserves_stock_only_for_tracked_skus(shop):
    fill_cart(shop, [("TEE-LOGO-BLK-M", 2), ("KEY-LTH-BRN", 3), ("HOOD-ZIP-NVY-L", 1)])
    number = place(shop)
    assert (stock(shop, "TEE-LOGO-BLK-M"), stock(shop, "KEY-LTH-BRN"), stock(shop, "HOOD-ZIP-NVY-L")) == (18, None, 0)
    with shop.transaction() as session:
        reserved = {i.sku: i.stock_reserved for i in order_by_number(session, number).items}
    assert reserved == {"TEE-LOGO-BLK-M": True, "KEY-LTH-BRN": False, "HOOD-ZIP-NVY-L": True}


def test_an_order_clears_the_cart_and_saves_the_delivery_details(shop):
    fill_cart(shop, [("STK-PACK", 2)])
    number = place(shop)
    assert cart_lines(shop) == []
    with shop.transaction() as session:
        shopper = customer(session)
        assert (shopper.name, shopper.phone, shopper.address, shopper.email) == (
            DETAILS.name,
            DETAILS.phone,
            DETAILS.address,
            DETAILS.email,
        )
        order = order_by_number(session, number)
        assert (order.customer_name, order.customer_phone, order.customer_address, order.customer_email) == (
            DETAILS.name,
            DETAILS.phone,
            DETAILS.address,
            DETAILS.email,
        )
        assert (order.customer_id, order.channel, order.sender_id) == (shopper.id, "rest", "web-zoe")
        conversation = session.get(Conversation, order.conversation_id)
        assert conversation.had_order and conversation.sender_id == "web-zoe"


def test_an_order_without_email_keeps_the_saved_email(shop):
    fill_cart(shop, [("STK-PACK", 1)])
    place(shop)
    fill_cart(shop, [("STK-PACK", 1)])
    number = place(shop, details=DeliveryDetails("Zoë Müller", "+4915123456789", "Hauptstraße 5, 10115 Berlin"))
    with shop.transaction() as session:
        shopper = customer(session)
        assert (shopper.name, shopper.email) == ("Zoë Müller", DETAILS.email)
        assert order_by_number(session, number).customer_email is None


def test_an_order_without_a_conversation_uses_the_customer_channel(shop):
    fill_cart(shop, [("STK-PACK", 1)])
    with shop.transaction() as session:
        order = place_order(session, customer(session), None, DETAILS, "EUR")
        assert (order.conversation_id, order.channel, order.sender_id) == (None, "rest", "web-zoe")


def test_two_orders_get_different_numbers(shop):
    numbers = set()
    for _ in range(5):
        fill_cart(shop, [("STK-PACK", 1)])
        numbers.add(place(shop))
    assert len(numbers) == 5


def test_an_empty_cart_places_nothing(shop):
    with pytest.raises(CartEmpty):
        place(shop)
    assert count(shop, Order) == 0


def test_a_cart_of_only_deactivated_skus_is_empty(shop):
    fill_cart(shop, [("CAP-DAD-BLK", 1)])
    set_variant(shop, "CAP-DAD-BLK", active=False)
    with pytest.raises(CartEmpty):
        place(shop)


def test_a_cart_mixing_currencies_is_not_ordered(shop):
    fill_cart(shop, [("TEE-LOGO-BLK-M", 1), ("STK-PACK", 1)])
    set_variant(shop, "STK-PACK", currency="USD")  # the seller re-priced one SKU in another currency
    with pytest.raises(CheckoutError):
        place(shop)
    assert count(shop, Order) == 0 and stock(shop, "TEE-LOGO-BLK-M") == 20


def test_not_enough_stock_at_placement_leaves_no_order_and_no_reserved_stock(shop):
    fill_cart(shop, [("TEE-LOGO-BLK-M", 2), ("HOOD-ZIP-NVY-L", 1)])
    set_variant(shop, "HOOD-ZIP-NVY-L", stock=0)  # someone else bought the last one meanwhile
    with pytest.raises(NotEnoughStock) as refused:
        place(shop)
    assert (refused.value.sku, refused.value.requested, refused.value.available, refused.value.name) == (
        "HOOD-ZIP-NVY-L",
        1,
        0,
        "Zip Hoodie",
    )
    assert count(shop, Order) == 0 and count(shop, OrderItem) == 0
    assert stock(shop, "TEE-LOGO-BLK-M") == 20  # the first line's reservation was rolled back
    assert cart_lines(shop) == [("TEE-LOGO-BLK-M", 2), ("HOOD-ZIP-NVY-L", 1)]  # the cart is kept
    with shop.transaction() as session:
        assert customer(session).phone is None  # details are saved only with an order


# --- status changes and stock ------------------------------------------------------------------------------------


def order_in(db, status: str, lines=(("TEE-LOGO-BLK-M", 2),)) -> str:
    """A placed order (stock reserved) moved to `status` along the allowed path."""
    fill_cart(db, list(lines))
    number = place(db)
    path = {
        "awaiting_payment": [],
        "paid": ["paid"],
        "fulfilled": ["paid", "fulfilled"],
        "cancelled": ["cancelled"],
        "expired": ["expired"],
        "refunded": ["paid", "refunded"],
    }[status]
    with db.transaction() as session:
        order = order_by_number(session, number)
        for step in path:
            change_status(session, order, step, actor="test")
    return number


def status_of(db, number: str) -> str:
    with db.transaction() as session:
        return order_by_number(session, number).status


ALLOWED = [
    ("awaiting_payment", "paid"),
    ("paid", "fulfilled"),
    ("awaiting_payment", "cancelled"),
    ("awaiting_payment", "expired"),
    ("paid", "refunded"),
    ("fulfilled", "refunded"),
]
REFUSED = [
    ("awaiting_payment", "fulfilled"),
    ("awaiting_payment", "refunded"),
    ("paid", "expired"),
    ("paid", "paid"),
    ("fulfilled", "paid"),
    ("fulfilled", "cancelled"),
    ("fulfilled", "expired"),
    ("cancelled", "paid"),
    ("cancelled", "cancelled"),
    ("cancelled", "expired"),
    ("expired", "paid"),
    ("expired", "cancelled"),
    ("refunded", "paid"),
    ("refunded", "refunded"),
    ("refunded", "fulfilled"),
    # issue 6: a paid order is refunded, never cancelled; nothing goes back to awaiting payment
    ("paid", "cancelled"),
    ("paid", "awaiting_payment"),
    ("awaiting_payment", "awaiting_payment"),
    ("cancelled", "awaiting_payment"),
    ("expired", "awaiting_payment"),
]


@pytest.mark.parametrize("start,wanted", ALLOWED)
def test_allowed_transition(shop, start, wanted):
    number = order_in(shop, start)
    with shop.transaction() as session:
        order = change_status(
            session, order_by_number(session, number), wanted, actor="seller:ana@example.com", details={"why": "test"}
        )
        assert order.status == wanted
    assert status_of(shop, number) == wanted
    with shop.transaction() as session:
        entry = session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
        assert (entry.actor, entry.action, entry.entity_type, entry.entity_id, entry.details) == (
            "seller:ana@example.com",
            f"order.{wanted}",
            "order",
            number,
            {"why": "test"},
        )
        if wanted == "paid":
            assert order_by_number(session, number).paid_at is not None


@pytest.mark.parametrize("start,wanted", REFUSED)
def test_refused_transition(shop, start, wanted):
    number = order_in(shop, start)
    audits = count(shop, AuditLog)
    tee_stock = stock(shop, "TEE-LOGO-BLK-M")
    with pytest.raises(InvalidTransition) as refused, shop.transaction() as session:
        change_status(session, order_by_number(session, number), wanted, actor="test")
    assert (refused.value.number, refused.value.status, refused.value.wanted) == (number, start, wanted)
    assert status_of(shop, number) == start
    assert count(shop, AuditLog) == audits
    assert stock(shop, "TEE-LOGO-BLK-M") == tee_stock


def test_the_change_is_conditional_on_the_status_in_the_database(shop):
    """A caller holding the order as it was (awaiting payment) after someone else marked it paid is refused."""
    number = order_in(shop, "awaiting_payment")
    with shop.transaction() as session:
        order = order_by_number(session, number)
        assert order.status == "awaiting_payment"
        session.execute(
            update(Order).where(Order.id == order.id).values(status="paid").execution_options(synchronize_session=False)
        )  # another writer, unseen by `order`
        with pytest.raises(InvalidTransition) as refused:
            change_status(session, order, "expired", actor="test")
        assert refused.value.status == "paid"
    assert status_of(shop, number) == "paid"
    assert stock(shop, "TEE-LOGO-BLK-M") == 18


@pytest.mark.parametrize("releasing", ["cancelled", "expired"])
def test_cancel_and_expiry_put_stock_back_exactly_once(shop, releasing):
    number = order_in(
        shop, "awaiting_payment", lines=(("TEE-LOGO-BLK-M", 2), ("KEY-LTH-BRN", 1), ("HOOD-ZIP-NVY-L", 1))
    )
    assert (stock(shop, "TEE-LOGO-BLK-M"), stock(shop, "HOOD-ZIP-NVY-L")) == (18, 0)
    with shop.transaction() as session:
        order = change_status(session, order_by_number(session, number), releasing, actor="test")
        assert order.stock_released_at is not None
    assert (stock(shop, "TEE-LOGO-BLK-M"), stock(shop, "HOOD-ZIP-NVY-L"), stock(shop, "KEY-LTH-BRN")) == (20, 1, None)
    for again in ("cancelled", "expired"):
        with pytest.raises(InvalidTransition), shop.transaction() as session:
            change_status(session, order_by_number(session, number), again, actor="test")
    with shop.transaction() as session:
        assert release_stock(session, order_by_number(session, number)) is False
    assert (stock(shop, "TEE-LOGO-BLK-M"), stock(shop, "HOOD-ZIP-NVY-L")) == (20, 1)


def test_cancel_after_expiry_releases_nothing_more(shop):
    number = order_in(shop, "expired")
    assert stock(shop, "TEE-LOGO-BLK-M") == 20
    with pytest.raises(InvalidTransition), shop.transaction() as session:
        change_status(session, order_by_number(session, number), "cancelled", actor="shopper")
    assert stock(shop, "TEE-LOGO-BLK-M") == 20
    assert status_of(shop, number) == "expired"


def test_release_puts_back_what_the_order_took_even_after_others_bought(shop):
    number = order_in(shop, "awaiting_payment", lines=(("HOOD-HVY-GRY-L", 2),))  # 3 -> 1
    fill_cart(shop, [("HOOD-HVY-GRY-L", 1)], "web-other")
    place(shop, "web-other")  # 1 -> 0
    with shop.transaction() as session:
        change_status(session, order_by_number(session, number), "cancelled", actor="test")
    assert stock(shop, "HOOD-HVY-GRY-L") == 2


def test_shoppers_only_ever_see_their_own_orders(shop):
    with shop.transaction() as session:
        ana, ben = add_customer(session, "web-ana", "Ana"), add_customer(session, "web-ben", "Ben")
        add_order(session, ana, "A7K2Q9", [("TEE-LOGO-BLK-M", 1)], at("2026-11-20 10:00"))
        add_order(session, ana, "B8M3R4", [("CAP-DAD-BEI", 1)], at("2026-11-22 10:00"), status="paid")
        add_order(session, ben, "C9N4S5", [("STK-PACK", 1)], at("2026-11-21 10:00"))
        ana_id, ben_id = ana.id, ben.id
    with shop.transaction() as session:
        assert [o.number for o in customer_orders(session, ana_id)] == ["B8M3R4", "A7K2Q9"]
        assert [o.number for o in customer_orders(session, ana_id, limit=1)] == ["B8M3R4"]
        assert [o.number for o in customer_orders(session, ben_id)] == ["C9N4S5"]
        assert customer_order(session, ana_id, "A7K2Q9").items[0].sku == "TEE-LOGO-BLK-M"
        assert customer_order(session, ana_id, "C9N4S5") is None
        assert customer_order(session, ben_id, "A7K2Q9") is None
        assert customer_order(session, ben_id, "ZZZZZZ") is None


# --- who is writing ----------------------------------------------------------------------------------------------


def test_identify_creates_one_customer_per_channel_and_user(shop):
    telegram = ShopperIdentity("telegram", "555001", "555001", {"name": "Ana Silva", "username": "anas"})
    with shop.transaction() as session:
        first_id = identify(session, telegram).id
        assert identify(session, telegram).id == first_id  # same transaction: found, not created twice
    with shop.transaction() as session:
        assert identify(session, telegram).id == first_id
        web = identify(session, ShopperIdentity("rest", "555001", "555001"))  # same id, another channel
        assert web.id != first_id
    assert count(shop, Customer) == 2


def test_identify_refreshes_the_profile_from_the_channel(shop):
    with shop.transaction() as session:
        created = identify(
            session, ShopperIdentity("telegram", "555001", "555001", {"username": "ana", "language": "pt"})
        )
        assert created.name is None
    with shop.transaction() as session:
        again = identify(session, ShopperIdentity("telegram", "555001", "555001", {"name": "Ana", "username": "anas"}))
        assert (again.name, again.username, again.language) == ("Ana", "anas", "pt")  # missing fields kept
        assert again.last_seen is not None


def test_a_name_given_at_checkout_is_not_replaced_by_the_channel_display_name(shop):
    identity = ShopperIdentity("telegram", "555001", "555001", {"name": "Ana", "username": "anas"})
    with shop.transaction() as session:
        shopper = identify(session, identity)
        add_to_cart(session, shopper, variant(session, "STK-PACK"), 1)
        place_order(session, shopper, None, DETAILS, "EUR")
    with shop.transaction() as session:
        again = identify(session, ShopperIdentity("telegram", "555001", "555001", {"name": "Ana B", "username": "a2"}))
        assert (again.name, again.username) == (DETAILS.name, "a2")


def test_a_forgotten_customer_gets_no_profile_back(shop):
    with shop.transaction() as session:
        forgotten = identify(session, ShopperIdentity("telegram", "555001", "555001"))
        forgotten.forgotten_at = utcnow()
    with shop.transaction() as session:
        again = identify(session, ShopperIdentity("telegram", "555001", "555001", {"name": "Ana", "username": "a"}))
        assert (again.name, again.username) == (None, None)


def test_shopper_identity_from_rasa():
    bare = ShopperIdentity.from_rasa("web-123", "rest", {})
    assert (bare.channel, bare.channel_user_id, bare.sender_id, bare.profile) == ("rest", "web-123", "web-123", {})
    gateway = ShopperIdentity.from_rasa(
        "tg-555",
        "rest",
        {
            "channel": "telegram",
            "user_id": 555,
            "first_name": "Ana",
            "last_name": "Silva",
            "username": "anas",
            "language_code": "pt",
        },
    )
    assert (gateway.channel, gateway.channel_user_id, gateway.sender_id) == ("telegram", "555", "tg-555")
    assert gateway.profile == {"name": "Ana Silva", "username": "anas", "language": "pt"}
    assert ShopperIdentity.from_rasa("x", None, None).channel == "rest"


def test_a_conversation_continues_until_the_inactivity_timeout(shop):
    identity = ShopperIdentity("rest", "web-zoe", "web-zoe")
    with shop.transaction() as session:
        shopper = identify(session, identity)
        first = current_conversation(session, shopper, identity)
        first.had_cart = True
        first_id = first.id
    with shop.transaction() as session:
        shopper = identify(session, identity)
        assert current_conversation(session, shopper, identity).id == first_id
        session.get(Conversation, first_id).last_message_at = utcnow() - CONVERSATION_TIMEOUT + timedelta(minutes=5)
    with shop.transaction() as session:
        assert current_conversation(session, identify(session, identity), identity).id == first_id
        stale = utcnow() - CONVERSATION_TIMEOUT - timedelta(minutes=1)
        session.get(Conversation, first_id).last_message_at = stale
    with shop.transaction() as session:
        second = current_conversation(session, identify(session, identity), identity)
        assert second.id != first_id and second.ended_at is None and not second.had_cart
        old = session.get(Conversation, first_id)
        assert old.ended_at is not None and abs(old.ended_at - stale) < timedelta(seconds=1)
    with shop.transaction() as session:
        assert current_conversation(session, identify(session, identity), identity).id == second.id
    assert count(shop, Conversation) == 2


def test_conversations_are_per_chat(shop):
    with shop.transaction() as session:
        one = ShopperIdentity("telegram", "555", "chat-a")
        shopper = identify(session, one)
        a = current_conversation(session, shopper, one).id
        b = current_conversation(session, shopper, ShopperIdentity("telegram", "555", "chat-b")).id
        assert a != b


# --- the human seller --------------------------------------------------------------------------------------------


def test_handoff_request_and_release(shop):
    identity = ShopperIdentity("rest", "web-zoe", "web-zoe")
    with shop.transaction() as session:
        request_handoff(session, current_conversation(session, identify(session, identity), identity))
    with shop.transaction() as session:
        handed = open_handoffs(session)
        assert [c.sender_id for c in handed] == ["web-zoe"]
        assert handed[0].handoff_requested_at is not None and handed[0].handoff_released_at is None
    with shop.transaction() as session:
        assert release_handoff(session, "web-somebody-else", actor="cli") == 0
        assert release_handoff(session, "web-zoe", actor="cli") == 1
    with shop.transaction() as session:
        assert open_handoffs(session) == []
        assert release_handoff(session, "web-zoe", actor="cli") == 0
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "conversation.handoff_released"))
        assert entry.actor == "cli"
    with shop.transaction() as session:  # asking again reopens it
        request_handoff(session, current_conversation(session, identify(session, identity), identity))
    with shop.transaction() as session:
        assert [c.sender_id for c in open_handoffs(session)] == ["web-zoe"]


# --- the manual payment provider ---------------------------------------------------------------------------------


def test_manual_payment_is_started_once_per_order(shop):
    fill_cart(shop, [("HOOD-HVY-BLK-M", 1)])
    number = place(shop)
    provider = ManualProvider("Pay to IBAN TEST 123 with your order number.")
    step = provider.start_payment(shop, number)
    assert (step.method, step.instructions, step.url) == (
        "manual",
        "Pay to IBAN TEST 123 with your order number.",
        None,
    )
    assert provider.start_payment(shop, number) == step
    with shop.transaction() as session:
        (payment,) = order_by_number(session, number).payments
        assert (payment.status, payment.amount_minor, payment.currency, payment.reference) == (
            "pending",
            5900,
            "EUR",
            number,
        )
    assert count(shop, Payment) == 1


def test_manual_payment_of_an_order_no_longer_awaiting_payment_is_refused(shop):
    fill_cart(shop, [("HOOD-HVY-BLK-M", 1)])
    number = place(shop)
    with shop.transaction() as session:
        change_status(session, order_by_number(session, number), "cancelled", actor="test")
    with pytest.raises(InvalidTransition):
        ManualProvider("Pay.").start_payment(shop, number)
    assert count(shop, Payment) == 0


def test_manual_is_always_offered():
    assert [p.name for p in available_providers(Settings(shop_payment_methods="manual"), "rest")] == ["manual"]
    assert [p.name for p in available_providers(Settings(shop_payment_methods=""), "rest")] == ["manual"]
    provider = available_providers(Settings(shop_payment_instructions="Cash only."), "telegram")[0]
    assert provider.instructions == "Cash only."


# --- cancelling (the chat and the dashboard call the same service) ------------------------------------------------


def test_cancel_order_releases_stock_and_finds_only_the_shoppers_own_order(shop, monkeypatch):
    fill_cart(shop, [("TEE-LOGO-BLK-M", 2)])
    number = place(shop)
    with shop.transaction() as session:
        zoe, other = customer(session).id, customer(session, "web-other").id
    before = stock(shop, "TEE-LOGO-BLK-M")
    with pytest.raises(OrderNotFound):  # another shopper typing the number finds nothing
        cancel_order(shop, Settings(), number, actor=f"shopper:{other}", customer_id=other)
    withdrawn = []
    monkeypatch.setattr(cancellation, "withdraw_payment_links", lambda settings, db, n: withdrawn.append(n))
    result = cancel_order(shop, Settings(), number, actor=f"shopper:{zoe}", customer_id=zoe)
    assert (result.number, result.links_closed, withdrawn) == (number, True, [number])
    assert stock(shop, "TEE-LOGO-BLK-M") == before + 2
    with pytest.raises(InvalidTransition):
        cancel_order(shop, Settings(), number, actor="seller:1")


def test_a_provider_that_cannot_close_its_link_leaves_the_order_cancelled_and_says_so(shop, monkeypatch):
    fill_cart(shop, [("CAP-DAD-BEI", 1)])
    number = place(shop)

    def unreachable(settings, db, n):
        raise ConnectionError("stripe is unreachable")

    monkeypatch.setattr(cancellation, "withdraw_payment_links", unreachable)
    assert cancel_order(shop, Settings(), number, actor="seller:1").links_closed is False
    with shop.transaction() as session:
        assert order_by_number(session, number).status == "cancelled"


class FakeAssistant:
    """Rasa's API as hand_back_to_assistant uses it: answering, or unreachable."""

    def __init__(self, reachable: bool):
        self.reachable, self.resumed = reachable, []

    def resume_conversation(self, sender_id: str) -> None:
        if not self.reachable:
            raise AssistantUnavailable("connection refused")
        self.resumed.append(sender_id)


def test_handing_back_tells_rasa_first_and_keeps_the_handoff_when_it_cannot(shop):
    identity = ShopperIdentity("rest", "web-zoe", "web-zoe")
    with shop.transaction() as session:
        request_handoff(session, current_conversation(session, identify(session, identity), identity))
    with pytest.raises(AssistantUnavailable):
        hand_back_to_assistant(shop, FakeAssistant(reachable=False), "web-zoe", actor="seller:1")
    with shop.transaction() as session:
        assert [c.sender_id for c in open_handoffs(session)] == ["web-zoe"]  # still with the seller
    assistant = FakeAssistant(reachable=True)
    assert hand_back_to_assistant(shop, assistant, "web-zoe", actor="seller:1") == 1
    assert assistant.resumed == ["web-zoe"]
    with shop.transaction() as session:
        assert open_handoffs(session) == []
