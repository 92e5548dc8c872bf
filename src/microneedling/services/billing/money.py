"""Exact money: ``Decimal`` amounts in a currency, rounded to the currency's minor unit.

Pure (no database, no clock). Amounts are stored as whole minor units (cents, yen, fils) in
integer columns, so nothing is ever a float on any backend. Rounding is half-up (commercial
rounding) to the currency's ISO 4217 minor unit: EUR and USD 2 decimals, JPY and KRW none, BHD,
KWD, JOD, OMR, TND 3. Cash rounding (CHF to 0.05, SEK at the till) is not applied: invoices are
exact to the minor unit.

Amounts typed by people (forms, JSON, the command line) go through :func:`parse_amount`, which
refuses what is not a finite, non-negative number with at most the currency's decimals, and more
than :data:`LARGEST_AMOUNT`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

from microneedling.errors import UserError

#: ISO 4217 active codes with a minor unit other than 2 decimals.
_OTHER_MINOR_UNITS: Final[dict[str, int]] = {
    # No decimals.
    **dict.fromkeys(
        (
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
            "VND", "VUV", "XAF", "XOF", "XPF",
        ),
        0,
    ),
    # Three decimals.
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    # Four decimals.
    **dict.fromkeys(("CLF", "UYW"), 4),
}  # fmt: skip

#: ISO 4217 active currency codes with two decimals (funds and precious metals left out).
_TWO_DECIMALS: Final[frozenset[str]] = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IRR",
        "JMD",
        "KES",
        "KGS",
        "KHR",
        "KPW",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "WST",
        "XCD",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)

#: The minor unit (decimal places) of each currency this system takes.
MINOR_UNITS: Final[dict[str, int]] = {
    **dict.fromkeys(_TWO_DECIMALS, 2),
    **_OTHER_MINOR_UNITS,
}

#: The largest amount typed in one go (a price, a payment, a gift card): a typing mistake above.
LARGEST_AMOUNT: Final = Decimal("1000000")


def minor_units(currency: object, *, field: str = "currency") -> int:
    """The decimals of ``currency`` (an ISO 4217 code such as ``EUR``); UserError if unknown."""
    if not isinstance(currency, str) or currency not in MINOR_UNITS:
        shown = currency if isinstance(currency, str) and len(currency) <= 10 else "this"
        raise UserError(
            f"{shown!s} is not a currency this system knows: give an ISO 4217 code such as EUR, "
            "USD, GBP or JPY",
            field=field,
        )
    return MINOR_UNITS[currency]


def quantum(currency: str) -> Decimal:
    """The smallest amount of ``currency``: ``0.01`` for EUR, ``1`` for JPY."""
    return Decimal(1).scaleb(-minor_units(currency))


def round_money(value: Decimal, currency: str) -> Decimal:
    """``value`` rounded half-up to the currency's minor unit."""
    return value.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def to_minor(value: Decimal, currency: str) -> int:
    """An amount as whole minor units (``12.34`` EUR → ``1234``); it must already be exact."""
    rounded = round_money(value, currency)
    if rounded != value:
        raise ValueError(f"{value} is not exact in {currency}")
    return int(rounded.scaleb(minor_units(currency)))


def from_minor(minor: int, currency: str) -> Decimal:
    """Whole minor units as an amount (``1234`` EUR → ``Decimal('12.34')``)."""
    return Decimal(int(minor)).scaleb(-minor_units(currency)).quantize(quantum(currency))


def format_money(value: Decimal, currency: str) -> str:
    """``EUR 1,234.50``; ``JPY 12,000``; a negative amount ``EUR -10.00``."""
    places = minor_units(currency)
    return f"{currency} {round_money(value, currency):,.{places}f}"


def plain(value: Decimal, currency: str) -> str:
    """The amount as JSON prints it: a string with the currency's decimals (``"12.50"``)."""
    return str(round_money(value, currency))


def parse_amount(
    value: object,
    currency: str,
    *,
    field: str = "amount",
    allow_zero: bool = False,
    maximum: Decimal = LARGEST_AMOUNT,
) -> Decimal:
    """An amount as a person typed it (``"120"``, ``"120.50"``, ``120``, a ``Decimal``).

    Refused, naming ``field``: floats (``0.1`` is not exact; send a string), booleans, text that
    is not a number, NaN and infinities, negative amounts (a refund is its own action), zero
    unless ``allow_zero``, more decimals than the currency has, and more than ``maximum``.
    """
    places = minor_units(currency)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise UserError(
            f"give the amount as a number such as 120.50 (got {type(value).__name__})",
            field=field,
        )
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and (not text or len(text) > 30):
        raise UserError("give the amount as a number such as 120.50", field=field)
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise UserError("give the amount as a number such as 120.50", field=field) from None
    if not amount.is_finite():
        raise UserError("give the amount as a number such as 120.50", field=field)
    if amount < 0:
        raise UserError("an amount cannot be negative", field=field)
    if amount == 0 and not allow_zero:
        raise UserError("an amount must be more than zero", field=field)
    if amount > maximum:
        raise UserError(f"an amount is at most {format_money(maximum, currency)}", field=field)
    if amount != amount.quantize(quantum(currency), rounding=ROUND_HALF_UP):
        unit = "no decimals" if places == 0 else f"at most {places} decimals"
        raise UserError(f"{currency} amounts have {unit}", field=field)
    return round_money(amount, currency)


def parse_percent(value: object, *, field: str = "percent") -> Decimal:
    """A tax rate in percent: 0 to 100, at most 3 decimals (``"21"``, ``"8.1"``, ``"5.125"``)."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise UserError("give the rate as a percentage such as 21 or 8.1", field=field)
    try:
        rate = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise UserError("give the rate as a percentage such as 21 or 8.1", field=field) from None
    if not rate.is_finite() or not 0 <= rate <= 100:
        raise UserError("a tax rate is between 0 and 100 percent", field=field)
    if rate != rate.quantize(Decimal("0.001")):
        raise UserError("a tax rate has at most 3 decimals", field=field)
    return rate.normalize() if rate != 0 else Decimal(0)


def split_tax(
    amount: Decimal, percent: Decimal, currency: str, *, inclusive: bool
) -> tuple[Decimal, Decimal, Decimal]:
    """``(net, tax, gross)`` of a line, each exact in ``currency``.

    ``inclusive``: ``amount`` is the gross price the patient pays (European practice); the tax is
    ``gross × rate / (100 + rate)`` rounded, and the net the rest, so net + tax = gross exactly.
    Otherwise ``amount`` is net and the tax ``net × rate / 100`` rounded is added.
    """
    amount = round_money(amount, currency)
    if inclusive:
        tax = round_money(amount * percent / (100 + percent), currency)
        return amount - tax, tax, amount
    tax = round_money(amount * percent / 100, currency)
    return amount, tax, amount + tax


def share(total: Decimal, part: int, whole: int, currency: str) -> Decimal:
    """``total × part / whole`` rounded to the currency (the value of 2 of 3 sessions)."""
    if whole <= 0:
        return Decimal(0)
    return round_money(total * part / whole, currency)
