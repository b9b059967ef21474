"""The personal data detectors that keep shoppers' numbers, addresses and names out of the training data."""

from __future__ import annotations

import pytest

from checkout.records.redaction import CARD_PLACEHOLDER
from checkout.trainer.personal_data import CARD, EMAIL, NAME, PHONE, name_words, personal_data_in


@pytest.mark.parametrize(
    "text",
    [
        "call me on +49 151 2345 6789",
        "my number is 0612345678",
        "06 12 34 56 78",
        "(555) 123-4567",
        "555-1234",
        "+44 (0)20 7946 0958",
        "tel: 020.7946.0958 after 6",
        "whatsapp +5511987654321",
    ],
)
def test_phone_numbers(text):
    assert personal_data_in(text) == [PHONE]


@pytest.mark.parametrize(
    "text",
    [
        "pay with 4242 4242 4242 4242",
        "card 4111-1111-1111-1111 exp 12/27",
        "5555555555554444",
        "amex 3782 822463 10005",
        f"here it is {CARD_PLACEHOLDER}",  # the records keep typed card numbers only as this
    ],
)
def test_card_numbers(text):
    assert personal_data_in(text) == [CARD]


@pytest.mark.parametrize("text", ["mail me at jane.doe+shop@example.co.uk", "ME@X.IO pls"])
def test_email_addresses(text):
    assert personal_data_in(text) == [EMAIL]


@pytest.mark.parametrize(
    "text",
    [
        "2 hoodies size 42",
        "where is order LS-4K2M",
        "order A7K2Q9 status?",
        "ORD1234567 not arrived",
        "sizes 38 39 40 41 in stock?",
        "is it 59.00 or 49.99",
        "delivered on 2024-05-12?",
        "I ordered on 12.05.2024",
        "between 10.30-12.45 please",
        "3 caps, 1 tote, 12 stickers",
        "do you have 100% cotton",
        "the @shop account",
    ],
)
def test_what_shoppers_type_all_the_time_passes(text):
    assert personal_data_in(text, ["Marie Dupont"]) == []


def test_a_long_number_counts_as_a_phone_number():
    # Erring on the refusing side: the trainer edits it out, the repository never holds a number it should not.
    assert personal_data_in("I want 1000000 of them") == [PHONE]


def test_a_card_number_failing_luhn_is_still_a_long_number():
    assert personal_data_in("4242 4242 4242 4241") == [PHONE]


def test_names_given_by_the_writer_match_as_whole_words_case_insensitively():
    names = ["Marie-Claire Dupont", "Al Li"]
    assert personal_data_in("hi, this is marie-claire", names) == [NAME]
    assert personal_data_in("deliver to DUPONT please", names) == [NAME]
    assert personal_data_in("dupontel is a brand", names) == []  # not a whole word
    assert personal_data_in("all lights", names) == []  # "Al", "Li": too short to look for
    assert personal_data_in("any name here", []) == []


def test_name_words_ignore_short_tokens_and_digits():
    assert name_words(["Jo O'Neil", "Ana María 2", None, ""]) == {"o'neil", "ana", "maría"}


def test_several_kinds_are_named_once_each_in_order():
    text = "I'm Marie, +33 6 12 34 56 78 or marie@example.com, card 4242424242424242, again 0612345678"
    assert personal_data_in(text, ["Marie"]) == [PHONE, EMAIL, CARD, NAME]
