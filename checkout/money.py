"""Money as integer minor units plus an ISO 4217 currency. Parsed and formatted only at the edges."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision, list_currencies

_AMOUNT = re.compile(r"^\d+(?:\.\d+)?$")
# ISO 4217 codes as Babel's CLDR data knows them (a few retired codes included).
_CURRENCIES = frozenset(list_currencies())


class MoneyError(ValueError):
    """An amount or currency that cannot be money (said in words a seller understands)."""


def normalize_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if len(code) != 3 or code not in _CURRENCIES:
        raise MoneyError(f"unknown currency {code!r} (expected an ISO 4217 code like EUR)")
    return code


def minor_digits(currency: str) -> int:
    return get_currency_precision(normalize_currency(currency))


@dataclass(frozen=True, order=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount_minor, int) or isinstance(self.amount_minor, bool):
            raise MoneyError("money amounts are whole numbers of minor units")

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """'24.90' EUR -> 2490. A dot is the only decimal separator; more decimals than the currency has is an error."""
        currency = normalize_currency(currency)
        if text is not None and not isinstance(text, str):  # a float (e.g. from JSON) is never money
            raise MoneyError(f"price {text!r} must be text like '24.90', not a {type(text).__name__}")
        text = (text or "").strip()
        if not _AMOUNT.match(text):
            raise MoneyError(f"price {text!r} is not a number like 24.90")
        digits = minor_digits(currency)
        value = Decimal(text)
        minor = value.scaleb(digits)
        if minor != minor.to_integral_value():
            raise MoneyError(f"price {text!r} has more than {digits} decimals for {currency}")
        return cls(int(minor), currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __mul__(self, quantity: int) -> Money:
        if not isinstance(quantity, int):
            raise MoneyError("multiply money by a whole quantity")
        return Money(self.amount_minor * quantity, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot add {other.currency} to {self.currency}")

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.amount_minor).scaleb(-minor_digits(self.currency))

    def major_string(self) -> str:
        """The contract's decimal string in major units: 2490 EUR -> '24.90', 500 JPY -> '500'."""
        digits = minor_digits(self.currency)
        return f"{self.decimal:.{digits}f}"

    def display(self, locale: str = "en") -> str:
        """For people: '€24.90'."""
        return format_currency(self.decimal, self.currency, locale=locale)


def zero(currency: str) -> Money:
    return Money(0, normalize_currency(currency))
