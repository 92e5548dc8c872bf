"""Money is exact: Decimal amounts rounded to each currency's ISO 4217 minor unit (tables)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from microneedling.errors import UserError
from microneedling.services.billing.money import (
    format_money,
    from_minor,
    minor_units,
    parse_amount,
    parse_percent,
    round_money,
    share,
    split_tax,
    to_minor,
)

D = Decimal


@pytest.mark.parametrize(
    ("currency", "places"),
    [("EUR", 2), ("USD", 2), ("GBP", 2), ("CHF", 2), ("JPY", 0), ("KRW", 0), ("ISK", 0),
     ("BHD", 3), ("KWD", 3), ("TND", 3), ("CLF", 4)],
)  # fmt: skip
def test_each_currency_has_its_iso_4217_minor_unit(currency: str, places: int) -> None:
    assert minor_units(currency) == places


@pytest.mark.parametrize(
    ("value", "currency", "rounded"),
    [("10.005", "EUR", "10.01"), ("10.004", "EUR", "10.00"), ("-10.005", "EUR", "-10.01"),
     ("1234.5", "JPY", "1235"), ("1234.4", "JPY", "1234"), ("1.0005", "BHD", "1.001"),
     ("0.125", "USD", "0.13"), ("2.675", "GBP", "2.68")],
)  # fmt: skip
def test_amounts_round_half_up_to_the_minor_unit(value: str, currency: str, rounded: str) -> None:
    assert str(round_money(D(value), currency)) == rounded


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("12.34", "EUR", 1234), ("12000", "JPY", 12000), ("1.234", "KWD", 1234), ("0.01", "EUR", 1)],
)
def test_amounts_convert_to_whole_minor_units_and_back(
    amount: str, currency: str, minor: int
) -> None:
    assert to_minor(D(amount), currency) == minor
    assert from_minor(minor, currency) == D(amount)


@pytest.mark.parametrize(
    ("amount", "percent", "inclusive", "net", "tax", "gross"),
    [("121.00", "21", True, "100.00", "21.00", "121.00"),
     ("100.00", "21", True, "82.64", "17.36", "100.00"),
     ("100.00", "21", False, "100.00", "21.00", "121.00"),
     ("99.99", "8.1", True, "92.50", "7.49", "99.99"),
     ("0.01", "21", True, "0.01", "0.00", "0.01"),
     ("600.00", "0", True, "600.00", "0.00", "600.00")],
)  # fmt: skip
def test_tax_splits_add_up_exactly(
    amount: str, percent: str, inclusive: bool, net: str, tax: str, gross: str
) -> None:
    assert split_tax(D(amount), D(percent), "EUR", inclusive=inclusive) == (
        D(net),
        D(tax),
        D(gross),
    )


def test_a_share_of_sessions_is_rounded_to_the_currency() -> None:
    assert share(D("1000.00"), 1, 3, "EUR") == D("333.33")
    assert share(D("1000"), 2, 3, "JPY") == D("667")
    assert share(D("10.00"), 1, 0, "EUR") == D(0)


@pytest.mark.parametrize(
    ("value", "currency", "parsed"),
    [("120", "EUR", "120.00"), ("120.5", "EUR", "120.50"), (120, "EUR", "120.00"),
     (D("0.01"), "EUR", "0.01"), ("  7.25 ", "USD", "7.25"), ("12000", "JPY", "12000"),
     ("1000000", "EUR", "1000000.00")],
)  # fmt: skip
def test_typed_amounts_are_read_exactly(value: object, currency: str, parsed: str) -> None:
    assert str(parse_amount(value, currency)) == parsed


@pytest.mark.parametrize(
    ("value", "currency", "words"),
    [("-5", "EUR", "negative"), ("0", "EUR", "more than zero"), ("NaN", "EUR", "number"),
     ("Infinity", "EUR", "number"), ("sNaN", "EUR", "number"), ("1e400", "EUR", "at most"),
     ("1000000.01", "EUR", "at most"), ("12.345", "EUR", "at most 2 decimals"),
     ("12.5", "JPY", "no decimals"), (0.1, "EUR", "float"), (True, "EUR", "bool"),
     (None, "EUR", "NoneType"), ("", "EUR", "number"), ("12,50", "EUR", "number"),
     ("1" * 40, "EUR", "number"), ("12", "XXX", "not a currency"), ("12", "eur", "not a currency"),
     ("12", "", "not a currency")],
)  # fmt: skip
def test_malformed_amounts_are_refused_in_plain_words(
    value: object, currency: str, words: str
) -> None:
    with pytest.raises(UserError) as error:
        parse_amount(value, currency)
    assert words in str(error.value)


@pytest.mark.parametrize("value", ["-1", "100.5", "NaN", "abc", "21.0001", True, None, 1.5])
def test_malformed_tax_rates_are_refused(value: object) -> None:
    with pytest.raises(UserError):
        parse_percent(value)


def test_money_is_printed_with_the_currency_and_its_decimals() -> None:
    assert format_money(D("1234.5"), "EUR") == "EUR 1,234.50"
    assert format_money(D("12000"), "JPY") == "JPY 12,000"
    assert format_money(D("-10"), "EUR") == "EUR -10.00"
