"""Price lists (clinic data) and quotes for a plan (REFERENCE.md A.3, "Price quote").

A price list gives a price per session for each treated-area size, the size of each zone, prices of
add-ons per session, and an optional series discount. A quote is per series: the session price (each
zone once, by its size) times the sessions, plus add-ons, less the discount. Money is Decimal,
rounded to cents, and printed as strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from microneedling.errors import UserError

AreaSize = Literal["small", "medium", "large"]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("1000000"), max_digits=12, decimal_places=2)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
CENT = Decimal("0.01")


class SeriesDiscount(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_sessions: int = Field(ge=1, le=52)
    percent: Decimal = Field(ge=0, le=100)


class PriceList(BaseModel):
    """A clinic's prices."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: Currency
    per_session: dict[AreaSize, Money] = Field(description="Price of one session per area size")
    zone_sizes: dict[str, AreaSize] = Field(description="Area size of each zone")
    add_ons: dict[str, Money] = Field(default_factory=dict, description="Per session")
    series_discount: SeriesDiscount | None = None


def parse_price_list(data: Any) -> PriceList:
    """Validate a price list; UserError names the field."""
    try:
        return PriceList.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = "price_list." + ".".join(str(p) for p in first["loc"])
        raise UserError(str(first["msg"]), field=field.rstrip(".")) from None


@dataclass(frozen=True, slots=True)
class SeriesToPrice:
    """What a quote needs to know of one series."""

    label: str
    zones: tuple[str, ...]
    sessions: int
    add_ons: tuple[str, ...]


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def quote(series: Iterable[SeriesToPrice], prices: PriceList) -> dict[str, Any]:
    """The quote as JSON data: lines per series and the total."""
    lines: list[dict[str, Any]] = []
    total = Decimal(0)
    for item in series:
        zone_prices: dict[str, Decimal] = {}
        for zone in dict.fromkeys(item.zones):
            size = prices.zone_sizes.get(zone)
            if size is None or size not in prices.per_session:
                raise UserError(
                    f"the price list has no price for zone {zone!r}", field="price_list"
                )
            zone_prices[zone] = prices.per_session[size]
        per_session = sum(zone_prices.values(), Decimal(0))
        add_on_prices: dict[str, Decimal] = {}
        for add_on in item.add_ons:
            if add_on not in prices.add_ons:
                raise UserError(
                    f"the price list has no price for add-on {add_on!r}", field="price_list"
                )
            add_on_prices[add_on] = prices.add_ons[add_on]
        add_ons_per_session = sum(add_on_prices.values(), Decimal(0))
        subtotal = (per_session + add_ons_per_session) * item.sessions
        discount = Decimal(0)
        rule = prices.series_discount
        if rule is not None and item.sessions >= rule.min_sessions:
            discount = (subtotal * rule.percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        line_total = subtotal - discount
        total += line_total
        lines.append(
            {
                "series": item.label,
                "sessions": item.sessions,
                "zones": {zone: _money(price) for zone, price in zone_prices.items()},
                "per_session": _money(per_session),
                "add_ons_per_session": {k: _money(v) for k, v in add_on_prices.items()},
                "subtotal": _money(subtotal),
                "discount": _money(discount),
                "total": _money(line_total),
            }
        )
    return {
        "currency": prices.currency,
        "lines": lines,
        "total": _money(total),
        "note": "Maintenance sessions are not included.",
    }


def price_list_zones_missing(prices: PriceList, zones: Mapping[str, object]) -> list[str]:
    """Zones of the knowledge base the price list has no size for."""
    return [zone for zone in zones if zone not in prices.zone_sizes]
