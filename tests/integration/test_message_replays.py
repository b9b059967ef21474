"""A shopper message's changes are made once however often its turn runs (checkout/message_effects.py): a turn lost
with its Rasa server is sent again and runs its actions again, on another server, maybe at the same moment. On a
real database (SQLite always, PostgreSQL with TEST_DATABASE_URL): the same message id twice adds one line, places
one order and answers as the first run did; two ids make two changes; racing runs of one message make one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from checkout.carts import add_cart_line, add_to_cart, cart_fingerprint, get_cart, remove_cart_line, view_cart
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.models import ConsentChange, Customer, Order, Payment, ProcessedEvent, Variant, utcnow
from checkout.errors import CartEmpty
from checkout.marketing.consent import offer_consent_question, subscribe_in_chat, unsubscribe_in_chat
from checkout.message_effects import SHOPPER_MESSAGES, forget_old_message_claims
from checkout.money import Money
from checkout.orders.cancellation import cancel_own_order
from checkout.orders.placement import DeliveryDetails, place_order_from_cart
from checkout.promotions.admin import PromoSpec, create_code
from checkout.promotions.cart_codes import apply_code_to_cart, remove_code_from_cart
from checkout.promotions.kinds import PromoKind
from checkout.settings import Settings
from checkout.statuses import OrderStatus
from tests.integration.orm_builders import load_demo_catalog
from tests.integration.races import race

ANA = ShopperIdentity("telegram", "4242", "4242")
BEN = ShopperIdentity("telegram", "5151", "5151")
DETAILS = DeliveryDetails(name="Ana Lima", phone="+33612345678", address="12 rue de la Paix, 75002 Paris")


@pytest.fixture
def shop(clean_db):
    load_demo_catalog(clean_db)
    return clean_db


@pytest.fixture
def settings(shop) -> Settings:
    return Settings(database_url=shop.url, shop_currency="EUR", shop_payment_methods="manual")


def fill_cart(db, identity: ShopperIdentity, lines: list[tuple[str, int]]) -> None:
    with db.transaction() as session:
        customer = identify(session, identity)
        get_cart(session, customer)
        for sku, quantity in lines:
            add_to_cart(session, customer, session.scalar(select(Variant).where(Variant.sku == sku)), quantity)


def cart(db, identity: ShopperIdentity = ANA) -> list[tuple[str, int]]:
    with db.transaction() as session:
        return [
            (line.variant.sku, line.quantity) for line in view_cart(session, identify(session, identity), "EUR").lines
        ]


def fingerprint(db, identity: ShopperIdentity = ANA) -> str:
    with db.transaction() as session:
        return cart_fingerprint(view_cart(session, identify(session, identity), "EUR"))


def count(db, model, *where) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def stock(db, sku: str) -> int | None:
    with db.reading() as session:
        return session.scalar(select(Variant.stock).where(Variant.sku == sku))


def shown(answer) -> tuple:
    """What the shopper is told of an added or removed line: the line, and the cart's lines and total after."""
    lines = [(line.variant.sku, line.quantity) for line in answer.cart.lines]
    return (answer.product, answer.color, answer.size, getattr(answer, "quantity", None), lines, answer.cart.total)


def add_tee(db, message_id: str | None, quantity: int = 2):
    return add_cart_line(db, ANA, "Logo Tee", "black", "M", quantity, "EUR", message_id=message_id)


# --- cart lines ---------------------------------------------------------------------------------------------------


def test_the_same_message_adds_its_line_once_and_answers_as_it_did(shop):
    first = add_tee(shop, "m-1")
    again = add_tee(shop, "m-1")
    assert cart(shop) == [("TEE-LOGO-BLK-M", 2)]
    assert (again.product, again.color, again.size, again.quantity) == ("Logo Tee", "black", "M", 2)
    assert (again.line_total, again.cart_total) == (first.line_total, first.cart_total) == (Money(4980, "EUR"),) * 2


def test_two_messages_add_twice_and_a_message_without_an_id_every_time(shop):
    add_tee(shop, "m-1")
    add_tee(shop, "m-2")
    add_tee(shop, None)
    add_tee(shop, None)
    assert cart(shop) == [("TEE-LOGO-BLK-M", 8)]


def test_one_message_adding_two_products_adds_each_once(shop):
    for _ in range(2):
        add_tee(shop, "m-1", quantity=1)
        add_cart_line(shop, ANA, "Sticker Pack", None, None, 3, "EUR", message_id="m-1")
    assert cart(shop) == [("TEE-LOGO-BLK-M", 1), ("STK-PACK", 3)]


def test_a_replay_is_not_refused_for_the_stock_its_first_run_put_in_the_cart(shop):
    shop_stock = stock(shop, "TEE-LOGO-BLK-XL")  # 2 on the shelf: the first run took both into the cart
    first = add_cart_line(shop, ANA, "Logo Tee", "black", "XL", shop_stock, "EUR", message_id="m-1")
    again = add_cart_line(shop, ANA, "Logo Tee", "black", "XL", shop_stock, "EUR", message_id="m-1")
    assert shown(again) == shown(first)
    assert cart(shop) == [("TEE-LOGO-BLK-XL", shop_stock)]


def test_the_same_message_ids_of_two_shoppers_are_two_messages(shop):
    add_tee(shop, "1")
    add_cart_line(shop, BEN, "Logo Tee", "black", "M", 2, "EUR", message_id="1")  # Telegram counts per chat
    assert cart(shop, ANA) == cart(shop, BEN) == [("TEE-LOGO-BLK-M", 2)]


def test_the_same_message_removes_once_and_names_the_line_it_removed(shop):
    fill_cart(shop, ANA, [("TEE-LOGO-BLK-M", 3), ("STK-PACK", 1)])
    first = remove_cart_line(shop, ANA, "remove one logo tee", "EUR", named="Logo Tee", quantity=1, message_id="m-1")
    again = remove_cart_line(shop, ANA, "remove one logo tee", "EUR", named="Logo Tee", quantity=1, message_id="m-1")
    assert cart(shop) == [("TEE-LOGO-BLK-M", 2), ("STK-PACK", 1)]
    assert shown(again) == shown(first)
    remove_cart_line(shop, ANA, "remove the stickers", "EUR", named="Sticker Pack", message_id="m-2")
    # the line is gone, yet the replay names it instead of saying it is not in the cart
    again = remove_cart_line(shop, ANA, "remove the stickers", "EUR", named="Sticker Pack", message_id="m-2")
    assert (again.product, again.cart.total) == ("Sticker Pack", Money(2 * 2490, "EUR"))


# --- the order ----------------------------------------------------------------------------------------------------


def test_the_same_yes_places_one_order_and_the_replay_answers_with_it(shop, settings):
    fill_cart(shop, ANA, [("HOOD-HVY-BLK-M", 1), ("TEE-LOGO-BLK-M", 2)])
    summary = fingerprint(shop)
    first = place_order_from_cart(shop, settings, ANA, DETAILS, summary, message_id="m-9")
    again = place_order_from_cart(shop, settings, ANA, DETAILS, summary, message_id="m-9")
    assert (again.number, again.total) == (first.number, first.total)
    assert again.payment == first.payment and again.payment is not None
    assert count(shop, Order) == 1 and count(shop, Payment) == 1
    assert (stock(shop, "HOOD-HVY-BLK-M"), stock(shop, "TEE-LOGO-BLK-M")) == (9, 18)  # taken once
    with pytest.raises(CartEmpty):  # another "yes" is another message: the cart is empty now
        place_order_from_cart(shop, settings, ANA, DETAILS, summary, message_id="m-10")


def test_two_messages_place_two_orders(shop, settings):
    for message_id in ("m-1", "m-2"):
        fill_cart(shop, ANA, [("STK-PACK", 1)])
        place_order_from_cart(shop, settings, ANA, DETAILS, fingerprint(shop), message_id=message_id)
    assert count(shop, Order) == 2


def test_an_order_refused_leaves_no_claim_and_its_message_can_place_it_later(shop, settings):
    fill_cart(shop, ANA, [("STK-PACK", 1)])
    summary = fingerprint(shop)
    with shop.transaction() as session:
        session.execute(update(Variant).where(Variant.sku == "STK-PACK").values(stock=0))
    with pytest.raises(Exception, match="STK-PACK"):
        place_order_from_cart(shop, settings, ANA, DETAILS, summary, message_id="m-1")
    assert count(shop, ProcessedEvent) == 0
    with shop.transaction() as session:
        session.execute(update(Variant).where(Variant.sku == "STK-PACK").values(stock=5))
    assert place_order_from_cart(shop, settings, ANA, DETAILS, summary, message_id="m-1").number


def test_the_same_cancellation_cancels_once_and_answers_as_it_did(shop, settings):
    fill_cart(shop, ANA, [("HOOD-HVY-BLK-M", 1)])
    number = place_order_from_cart(shop, settings, ANA, DETAILS, fingerprint(shop), message_id="m-1").number
    first = cancel_own_order(shop, settings, ANA, number, message_id="m-2")
    again = cancel_own_order(shop, settings, ANA, number, message_id="m-2")  # no InvalidTransition: it was this one
    assert again == first
    with shop.reading() as session:
        assert session.scalar(select(Order.status)) == OrderStatus.CANCELLED
    assert stock(shop, "HOOD-HVY-BLK-M") == 10  # given back once


# --- codes and consent ----------------------------------------------------------------------------------------------


def test_the_same_message_dropping_the_code_names_the_code_again(shop, settings):
    create_code(shop, "XMAS10", PromoSpec(PromoKind.PERCENT, "10", "EUR"), actor="cli")
    fill_cart(shop, ANA, [("STK-PACK", 1)])
    apply_code_to_cart(shop, settings, ANA, "XMAS10")
    first = remove_code_from_cart(shop, settings, ANA, message_id="m-1")
    again = remove_code_from_cart(shop, settings, ANA, message_id="m-1")
    assert first is not None and again is not None and again.code == first.code == "XMAS10"
    assert again.cart.discount is None
    assert remove_code_from_cart(shop, settings, ANA, message_id="m-2") is None  # another message: nothing to drop


def test_the_same_answer_about_offers_is_one_history_row(shop):
    first = subscribe_in_chat(shop, ANA, None, message_id="m-1")
    assert subscribe_in_chat(shop, ANA, None, message_id="m-1") == first
    assert count(shop, ConsentChange) == 1  # the chat's yes (no address: no yes to email)
    first = unsubscribe_in_chat(shop, ANA, None, 7, message_id="m-2")
    assert unsubscribe_in_chat(shop, ANA, None, 7, message_id="m-2") == first
    assert count(shop, ConsentChange) == 3  # and a no for each channel
    assert subscribe_in_chat(shop, ANA, None, message_id="m-3").chat is True
    assert count(shop, ConsentChange) == 4


def test_the_message_that_was_asked_about_offers_is_asked_again_and_no_other(shop):
    assert offer_consent_question(shop, ANA, None, message_id="m-1") is not None
    assert offer_consent_question(shop, ANA, None, message_id="m-1") is not None  # its answer was lost
    assert offer_consent_question(shop, ANA, None, message_id="m-2") is None  # once per customer


# --- racing runs of one message -------------------------------------------------------------------------------------


def test_racing_runs_of_one_message_add_the_line_once(shop):
    fill_cart(shop, ANA, [])  # the shopper and the cart exist: only the line is raced for
    answers, errors = race([lambda: add_tee(shop, "m-1") for _ in range(4)])
    assert errors == []
    assert cart(shop) == [("TEE-LOGO-BLK-M", 2)]
    assert {(a.quantity, a.cart_total) for a in answers} == {(2, Money(4980, "EUR"))}


def test_racing_runs_of_one_yes_place_one_order_and_all_answer_with_it(shop, settings):
    fill_cart(shop, ANA, [("HOOD-HVY-BLK-M", 2)])
    summary = fingerprint(shop)
    answers, errors = race(
        [lambda: place_order_from_cart(shop, settings, ANA, DETAILS, summary, message_id="m-1") for _ in range(4)]
    )
    assert errors == []
    assert len({a.number for a in answers}) == 1
    assert count(shop, Order) == 1 and stock(shop, "HOOD-HVY-BLK-M") == 8


# --- forgetting -----------------------------------------------------------------------------------------------------


def test_claims_are_forgotten_after_a_week(shop):
    add_tee(shop, "m-1")
    add_tee(shop, "m-2")
    with shop.transaction() as session:
        session.execute(
            update(ProcessedEvent)
            .where(ProcessedEvent.id == session.scalar(select(func.min(ProcessedEvent.id))))
            .values(processed_at=utcnow() - timedelta(days=8))
        )
        session.add(ProcessedEvent(provider="telegram", event_id="update-1"))
    assert forget_old_message_claims(shop) == 1
    assert count(shop, ProcessedEvent, ProcessedEvent.provider == SHOPPER_MESSAGES) == 1
    assert count(shop, ProcessedEvent, ProcessedEvent.provider == "telegram") == 1  # others' claims are theirs
    with shop.reading() as session:
        assert session.scalar(select(Customer.id)) is not None
