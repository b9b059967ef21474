"""Order numbers: short, unambiguous when read aloud, not guessable in sequence."""

import pytest

from checkout.orders.numbers import ALPHABET, LENGTH, PATTERN, new_order_number, normalize_order_number


def test_alphabet_has_no_confusable_characters():
    for confusable in "0O1I":
        assert confusable not in ALPHABET
    assert len(set(ALPHABET)) == len(ALPHABET) == 32
    assert ALPHABET.upper() == ALPHABET
    assert ALPHABET.isalnum() and ALPHABET.isascii()


def test_new_numbers_have_the_length_and_alphabet():
    for _ in range(1000):
        number = new_order_number()
        assert len(number) == LENGTH == 6
        assert set(number) <= set(ALPHABET)
        assert PATTERN.match(number)


def test_numbers_are_random_not_sequential():
    draws = [new_order_number() for _ in range(10_000)]
    # ~0.9e9 possible numbers: 10,000 draws collide about 0.05 times on average (birthday bound), so a
    # repeat is possible but several would mean a small space or a sequence.
    assert len(set(draws)) >= len(draws) - 2
    # Every character of the alphabet turns up in every position: nothing is fixed or counted up.
    for position in range(LENGTH):
        assert {d[position] for d in draws} == set(ALPHABET)


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("A7K2Q9", "A7K2Q9"),
        ("a7k2q9", "A7K2Q9"),
        ("#a7k2q9", "A7K2Q9"),
        ("a7k-2q9", "A7K2Q9"),
        ("  A7K 2Q9 ", "A7K2Q9"),
        ("#A7K-2Q9\n", "A7K2Q9"),
    ],
)
def test_normalise_what_a_shopper_typed(typed, number):
    assert normalize_order_number(typed) == number


@pytest.mark.parametrize(
    "typed",
    [
        "",
        None,
        "A7K2Q",
        "A7K2Q9X",
        "A0K2Q9",
        "AOK2Q9",
        "A1K2Q9",
        "AIK2Q9",
        "A7K2Q!",
        "my order",
        "A7K.2Q9",
        "Ä7K2Q9",
    ],
)
def test_normalise_refuses_what_cannot_be_a_number(typed):
    assert normalize_order_number(typed) is None


def test_a_new_number_survives_normalisation():
    number = new_order_number()
    assert normalize_order_number(f"#{number.lower()[:3]}-{number.lower()[3:]}") == number
