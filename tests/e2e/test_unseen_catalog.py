"""A shop whose catalog the model never saw (tea and ceramics, imported, no training): the first sentences
of a purchase work, judged by the cart, not by the wording. The five failures of the understanding issue."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import running_stack
from tests.e2e.conversation import Shopper

pytestmark = pytest.mark.e2e

TEA_SHOP = Path(__file__).parent / "catalogs" / "tea_shop.csv"


@pytest.fixture(scope="module")
def tea_stack(tmp_path_factory, model):
    with running_stack(tmp_path_factory.mktemp("tea-stack"), model, "e2e-tea-stack.log", catalog=TEA_SHOP) as stack:
        yield stack


def test_a_greeting_with_a_request_handles_the_request(tea_stack):
    shopper = Shopper(tea_stack, "greeting")
    shopper.say("hi, I'd like the smoky lapsang")
    assert shopper.cart() == {"TEA-LAP-100": 1}, shopper.text


@pytest.mark.parametrize(
    "text, cart",
    [
        ("one jade dragon well please", {"TEA-JDW-50": 1}),
        ("can I get 2 of the smoky lapsangs", {"TEA-LAP-100": 2}),
        ("two morning senchas pls", {"TEA-SEN-100": 2}),
    ],
)
def test_one_or_a_number_of_a_product_adds_that_many(tea_stack, text, cart):
    shopper = Shopper(tea_stack, "quantity")
    shopper.say(text)
    assert shopper.cart() == cart, shopper.text


@pytest.mark.parametrize(
    "text, shown, not_shown",
    [
        ("show me your ceramics", "Stoneware Teapot", "Jade Dragon Well"),
        ("what green teas do you have?", "Jade Dragon Well", "Stoneware Teapot"),
        ("do you have herbal infusion", "Crème Brûlée Rooibos", "Smoky Lapsang"),
    ],
)
def test_a_category_named_as_the_seller_wrote_it_or_in_the_plural_shows_its_products(tea_stack, text, shown, not_shown):
    shopper = Shopper(tea_stack, "browse")
    reply = shopper.say(text)
    assert shown in reply and not_shown not in reply, reply


def test_checkout_while_the_quantity_is_pending_finishes_the_line_then_checks_out(tea_stack):
    shopper = Shopper(tea_stack, "pending")
    assert "how many" in shopper.say("I'd like earl grey supreme 250g").lower(), shopper.text
    reply = shopper.say("checkout")
    assert "empty" not in reply.lower() and "how many" in reply.lower(), reply
    reply = shopper.say("2")
    assert shopper.cart() == {"TEA-EGS-250": 2}, reply
    assert "full name" in reply, reply
    shopper.say("Mei Lin Chen")
    shopper.say("+44 7700 900123")
    shopper.say("3 Orange Grove, Leeds LS2 9JT")
    shopper.press("Skip")
    shopper.press("Yes, place order")
    [order] = shopper.orders()
    with tea_stack.db.reading() as session:
        assert [(i.sku, i.quantity) for i in session.merge(order).items] == [("TEA-EGS-250", 2)]


def test_add_the_product_adds_one_without_asking_how_many(tea_stack):
    shopper = Shopper(tea_stack, "article")
    reply = shopper.say("add the creme brulee rooibos")
    assert "how many" not in reply.lower() and shopper.cart() == {"TEA-CBR-100": 1}, reply


def test_a_name_that_fits_two_products_is_a_question_with_buttons(tea_stack):
    shopper = Shopper(tea_stack, "ambiguous")
    shopper.say("i want 2 tea bowls")
    assert {b["title"] for b in shopper.buttons} == {"Celadon Tea Bowl", "Travel Tea Bowl"}, shopper.text
    assert shopper.cart() == {}
    shopper.press("Travel Tea Bowl")
    assert shopper.cart() == {"CER-TBW-TRV": 2}, shopper.text
