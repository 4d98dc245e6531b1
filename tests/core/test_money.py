import pytest

from checkout.core.money import MoneyError, format_money, to_major_str, validate_amount


@pytest.mark.parametrize("amount,currency,major", [
    (5000, "XOF", "5000"), (150000, "KES", "1500.00"), (1, "ETB", "0.01"), (105, "MZN", "1.05"),
    (7, "XAF", "7"),
])
def test_major_units_are_exact(amount, currency, major):
    assert to_major_str(amount, currency) == major


@pytest.mark.parametrize("amount,currency,locale,shown", [
    (5000, "XOF", "fr", "5\u202f000\u00a0F\u00a0CFA"),
    (5000, "XOF", "en", "5,000\u00a0F\u00a0CFA"),
    (150000, "KES", "en", "Ksh\u00a01,500.00"),  # CLDR currency spacing
    (123450, "ETB", "en", "ETB\u00a01,234.50"),
    (123450, "NGN", "en", "\u20a61,234.50"),             # a symbol: no space
])
def test_display_follows_currency_and_locale(amount, currency, locale, shown):
    assert format_money(amount, currency, locale) == shown


def test_xof_never_shows_decimals():
    assert "." not in format_money(5000, "XOF", "en") and "," not in format_money(5000, "XOF", "fr")


@pytest.mark.parametrize("amount,currency,code", [
    (0, "XOF", "amount_too_small"), (-5, "XOF", "amount_too_small"),
    (1.5, "XOF", "amount_invalid"), ("100", "XOF", "amount_invalid"),
    (True, "XOF", "amount_invalid"),
    (10**20, "XOF", "amount_too_large"), (100, "BTC", "currency_not_supported"),
    (100, None, "currency_not_supported"),
])
def test_bad_amounts_are_refused_with_a_code(amount, currency, code):
    with pytest.raises(MoneyError) as exc:
        validate_amount(amount, currency)
    assert exc.value.code == code


def test_valid_amount():
    m = validate_amount(5000, "XOF")
    assert (m.amount, m.currency, m.major_str()) == (5000, "XOF", "5000")
