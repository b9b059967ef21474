"""Reading a promo code from the words of a message: the request (apply or remove) and where the code is."""

from __future__ import annotations

import pytest

from checkout.understanding.promo_words import code_span, is_bare_code, looks_like_a_code, offers_intent, promo_intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("promo: LUNA-22", "apply_discount"),
        ("mi cupón es VERANO", "apply_discount"),
        ("hab einen gutschein XY-12", "apply_discount"),
        ("can i use code bday5", "apply_discount"),
        ("do you have any discount codes?", "apply_discount"),  # answered by asking for the code
        ("take the voucher off my order", "remove_discount"),
        ("no promo pls", "remove_discount"),
        ("i'd rather pay full price, drop the discount", "remove_discount"),
        ("tracking code for N4XR7D", None),  # an order's code, not a promo
        ("the code was G7ELHX", None),
        ("2 black hoodies in M", None),
        ("stop sending me promos", None),  # offers reaching the shopper: consent, not a code
        ("email me your discounts", None),
    ],
)
def test_what_the_words_ask(text, intent):
    assert promo_intent(text) == intent


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("promo: LUNA-22", "LUNA-22"),
        ("can i use code bday5 please", "bday5"),
        ("my voucher is ABC", "ABC"),
        ("here is my coupon code, it's summer-sale", "summer-sale"),
        ("i got 2 coupons, the first is X7Y8Z9", "X7Y8Z9"),
        ("i have a coupon", None),
    ],
)
def test_where_the_code_is(text, code):
    span = code_span(text)
    assert (text[span[0] : span[1]] if span else None) == code


def test_a_code_has_a_digit_a_hyphen_or_capitals():
    assert looks_like_a_code("spring10") and looks_like_a_code("vip-jane") and looks_like_a_code("RTX")
    assert not looks_like_a_code("please") and not looks_like_a_code("code") and not looks_like_a_code("Hi")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("pls sign me up for ur newsleter", "subscribe"),
        ("i'd like to get your promos by email", "subscribe"),
        ("no more promo messages!!", "unsubscribe"),
        ("stop sending me discounts", "unsubscribe"),
        ("dont want ur offers", "unsubscribe"),
        ("i want something on sale", None),  # a question about prices
        ("any deals today?", None),
        ("stop my order", None),  # an order, not offers
    ],
)
def test_offers_wanted_or_not(text, intent):
    assert offers_intent(text) == intent


def test_a_bare_code_is_one_word_in_a_code_shape():
    assert is_bare_code("SPRING10") and is_bare_code("back-7kq2 pls")
    assert not is_bare_code("12 Main Street, Ennis, Co. Clare V95 K2P4") and not is_bare_code("hasta luego")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("pls take that code off", "remove_discount"),
        ("code gift-77", "apply_discount"),
        ("my vouhcer is ZEN5", "apply_discount"),  # misspelt
        ("ZEN5 is the code from your newsletter", "apply_discount"),  # a code named, whatever else is said
        ("what's the tracking code of order N4XR7D", None),
    ],
)
def test_code_and_misspelt_promo_words(text, intent):
    assert promo_intent(text) == intent
