"""Money: integer minor units plus an ISO 4217 currency. Never a float.

This module is the one place that knows currency exponents, limits and display.
"""
import re
from dataclasses import dataclass

from babel.core import UnknownLocaleError
from babel.numbers import format_currency, format_decimal

# ISO 4217 exponents of the currencies we accept (api.md "Conventions").
EXPONENTS = {
    "XOF": 0, "XAF": 0, "KES": 2, "ETB": 2, "MZN": 2, "NGN": 2,
    "GHS": 2, "ZAR": 2, "USD": 2, "EUR": 2,
}
# Display suffixes where the region writes the symbol after the number.
_LETTERS_THEN_DIGIT = re.compile(r"^([^\W\d_]+)(\d)")
_SUFFIX = {"XOF": "F\u00a0CFA", "XAF": "F\u00a0CFA", "MZN": "MT"}
# The country whose conventions display a currency (symbol, grouping).
_REGION = {"KES": "KE", "ETB": "ET", "NGN": "NG", "GHS": "GH", "ZAR": "ZA", "MZN": "MZ"}
# A single checkout above this many major units is refused as absurd.
MAX_MAJOR_UNITS = 100_000_000


class MoneyError(ValueError):
    """An amount or currency that cannot be accepted."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Money:
    amount: int  # minor units
    currency: str

    def major_str(self):
        """The amount in major units as an exact decimal string ("1500.00", "5000")."""
        return to_major_str(self.amount, self.currency)


def exponent(currency):
    """The minor-unit exponent of a supported currency; raises MoneyError otherwise."""
    try:
        return EXPONENTS[currency]
    except (KeyError, TypeError):
        raise MoneyError("currency_not_supported",
                         f"Currency {currency!r} is not supported.") from None


def validate_amount(amount, currency):
    """Return a Money for a positive integer amount within bounds, or raise MoneyError."""
    exp = exponent(currency)
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise MoneyError("amount_invalid", "amount must be an integer number of minor units.")
    if amount <= 0:
        raise MoneyError("amount_too_small", "amount must be greater than zero.")
    if amount > MAX_MAJOR_UNITS * 10**exp:
        raise MoneyError("amount_too_large", "amount is larger than any checkout may be.")
    return Money(amount, currency)


def to_major_str(amount, currency):
    """Exact major-unit decimal string for a minor-unit integer."""
    exp = exponent(currency)
    if exp == 0:
        return str(amount)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d}"


def format_money(amount, currency, locale="en"):
    """Human display for the shopper: ``5 000 F CFA``, ``KSh 1,500.00``, ``1 500,00 MT``."""
    exp = exponent(currency)
    major = to_major_str(amount, currency)
    if currency in _SUFFIX:
        fmt = "#,##0" if exp == 0 else "#,##0." + "0" * exp
        return f"{format_decimal(major, format=fmt, locale=locale)}\u00a0{_SUFFIX[currency]}"
    region = _REGION.get(currency)
    try:
        text = format_currency(major, currency, locale=f"{locale}_{region}" if region else locale)
    except (ValueError, LookupError, UnknownLocaleError):
        text = format_currency(major, currency, locale=locale)
    # CLDR's currency spacing, which Babel does not apply: a symbol that ends in a letter
    # (ETB, NGN) is kept apart from the digits ("ETB 1,234.50", not "ETB1,234.50").
    return _LETTERS_THEN_DIGIT.sub("\\1\u00a0\\2", text, count=1)
