"""Money: integer minor units plus an ISO 4217 currency; parsed and formatted only at the edges."""

from decimal import Decimal

import pytest

from checkout.money import Money, MoneyError, minor_digits, normalize_currency, zero


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("24.90", "EUR", 2490),
        ("24.9", "EUR", 2490),
        ("24", "EUR", 2400),
        ("0", "EUR", 0),
        ("0.01", "EUR", 1),
        (" 59.00 ", "eur", 5900),  # surrounding blanks and a lower-case code are what people type
        ("500", "JPY", 500),
        ("1.250", "KWD", 1250),
        ("1.25", "KWD", 1250),
        ("12345678.99", "USD", 1234567899),
    ],
)
def test_parse_gives_minor_units(text, currency, minor):
    money = Money.parse(text, currency)
    assert money == Money(minor, currency.upper())
    assert isinstance(money.amount_minor, int)


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (2490, "EUR", "24.90"),
        (4980, "EUR", "49.80"),
        (5, "EUR", "0.05"),
        (0, "EUR", "0.00"),
        (500, "JPY", "500"),
        (1250, "KWD", "1.250"),
        (7, "KWD", "0.007"),
    ],
)
def test_major_string_uses_the_currency_decimals(minor, currency, text):
    assert Money(minor, currency).major_string() == text


@pytest.mark.parametrize("text,currency", [("24.90", "EUR"), ("500", "JPY"), ("3.125", "KWD"), ("0.00", "EUR")])
def test_parse_and_major_string_round_trip(text, currency):
    assert Money.parse(Money.parse(text, currency).major_string(), currency).major_string() == text


def test_minor_digits():
    assert (minor_digits("EUR"), minor_digits("JPY"), minor_digits("KWD")) == (2, 0, 3)


def test_decimal_property():
    assert Money(2490, "EUR").decimal == Decimal("24.90")
    assert Money(500, "JPY").decimal == Decimal("500")


def test_display_for_people():
    assert Money(2490, "EUR").display("en") == "€24.90"
    assert Money(500, "JPY").display("en") == "¥500"


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("24,90", "EUR", "not a number"),  # comma decimal separator
        ("1,000.00", "EUR", "not a number"),  # thousands separator
        ("24.999", "EUR", "more than 2 decimals"),
        ("24.905", "EUR", "more than 2 decimals"),
        ("500.5", "JPY", "more than 0 decimals"),
        ("1.2345", "KWD", "more than 3 decimals"),
        ("-5.00", "EUR", "not a number"),
        ("+5.00", "EUR", "not a number"),
        ("", "EUR", "not a number"),
        ("abc", "EUR", "not a number"),
        ("1e3", "EUR", "not a number"),
        (".50", "EUR", "not a number"),
        ("24.", "EUR", "not a number"),
        ("NaN", "EUR", "not a number"),
        ("24.90", "EURO", "unknown currency"),
        ("24.90", "ABC", "unknown currency"),
        ("24.90", "", "unknown currency"),
        ("24.90", "€", "unknown currency"),
    ],
)
def test_parse_rejects(text, currency, message):
    with pytest.raises(MoneyError, match=message):
        Money.parse(text, currency)


def test_money_error_is_a_value_error():
    assert issubclass(MoneyError, ValueError)


@pytest.mark.parametrize("amount", [24.9, 24.0, Decimal("24.90"), "2490", True, None])
def test_amount_must_be_a_whole_number_of_minor_units(amount):
    with pytest.raises(MoneyError):
        Money(amount, "EUR")


@pytest.mark.parametrize("amount", [24.9, 2490.0, Decimal("24.90")])
def test_parse_rejects_non_text_amounts(amount):
    # A float from a JSON body must not slip in as money.
    with pytest.raises(MoneyError):
        Money.parse(amount, "EUR")


def test_normalize_currency():
    assert normalize_currency(" usd ") == "USD"
    with pytest.raises(MoneyError, match="unknown currency"):
        normalize_currency("XYZ")
    with pytest.raises(MoneyError):
        normalize_currency(None)


def test_addition_in_one_currency():
    assert Money(2490, "EUR") + Money(510, "EUR") == Money(3000, "EUR")
    assert zero("eur") + Money(1, "EUR") == Money(1, "EUR")


def test_addition_refuses_mixed_currencies():
    with pytest.raises(MoneyError, match="cannot add USD to EUR"):
        Money(2490, "EUR") + Money(100, "USD")


def test_multiplication_by_whole_quantities_only():
    assert Money(2490, "EUR") * 2 == Money(4980, "EUR")
    with pytest.raises(MoneyError):
        Money(2490, "EUR") * 1.5


def test_money_is_immutable():
    money = Money(100, "EUR")
    with pytest.raises(AttributeError):
        money.amount_minor = 200
