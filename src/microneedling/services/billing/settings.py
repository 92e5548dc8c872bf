"""The clinic's billing settings: currency, tax rates, invoice details, package validity and the
catalogue of packages sold without a plan. Stored in ``billing_settings`` (one row per clinic),
set by owners, audited."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from microneedling.errors import RuleViolation, UserError
from microneedling.services.access import Actor
from microneedling.services.billing.access import BillingTransaction, session_of
from microneedling.services.billing.money import minor_units, parse_amount, parse_percent, plain
from microneedling.services.clock import Clock, utc_now
from microneedling.store import UnitOfWork
from microneedling.store.billing_models import BillingSettings, Invoice

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_KNOWN = frozenset(
    {
        "currency",
        "prices_include_tax",
        "tax_rates",
        "treatment_tax",
        "tax_id",
        "invoice_address",
        "invoice_prefix",
        "package_valid_months",
        "catalogue",
        "fees",
    }
)
_FEE_KEYS = frozenset({"late_cancel_hours", "late_cancellation", "no_show"})
NOT_SET = (
    "the clinic's billing settings are not set: an owner sets the currency and tax rates first "
    "(Billing settings)"
)


@dataclass(frozen=True)
class CatalogueItem:
    code: str
    label: str
    sessions: int
    price: Decimal


@dataclass(frozen=True)
class Fees:
    """The clinic's fees for a session cancelled late or missed: a cancellation less than
    ``late_cancel_hours`` before the start costs ``late_cancellation``; a no-show ``no_show``
    (None: no such fee)."""

    late_cancel_hours: int
    late_cancellation: Decimal | None
    no_show: Decimal | None

    def view(self, currency: str) -> dict[str, Any]:
        return {
            "late_cancel_hours": self.late_cancel_hours,
            "late_cancellation": (
                plain(self.late_cancellation, currency) if self.late_cancellation else None
            ),
            "no_show": plain(self.no_show, currency) if self.no_show else None,
        }


def parse_fees(data: object, currency: str) -> Fees | None:
    """The ``fees`` setting: ``{"late_cancel_hours": 24, "late_cancellation": "40.00",
    "no_show": "60.00"}``; None or ``{}`` for none."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise UserError(
            "fees are an object: late_cancel_hours, late_cancellation, no_show", field="fees"
        )
    for key in data:
        if key not in _FEE_KEYS:
            raise UserError("is not a fee setting", field=f"fees.{str(key)[:32]}")
    if not data:
        return None
    late = data.get("late_cancellation")
    missed = data.get("no_show")
    return Fees(
        late_cancel_hours=_whole(
            data.get("late_cancel_hours", 24), "fees.late_cancel_hours", 1, 168
        ),
        late_cancellation=(
            parse_amount(late, currency, field="fees.late_cancellation") if late else None
        ),
        no_show=parse_amount(missed, currency, field="fees.no_show") if missed else None,
    )


@dataclass(frozen=True)
class Billing:
    """The settings as the use cases read them."""

    currency: str
    prices_include_tax: bool
    tax_rates: dict[str, Decimal]
    treatment_tax: str
    tax_id: str | None
    invoice_address: str | None
    invoice_prefix: str
    package_valid_months: int | None
    catalogue: dict[str, CatalogueItem]
    fees: Fees | None = None

    def rate(self, code: str) -> Decimal:
        return self.tax_rates[code]

    def view(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "prices_include_tax": self.prices_include_tax,
            "tax_rates": {code: str(rate) for code, rate in self.tax_rates.items()},
            "treatment_tax": self.treatment_tax,
            "tax_id": self.tax_id,
            "invoice_address": self.invoice_address,
            "invoice_prefix": self.invoice_prefix,
            "package_valid_months": self.package_valid_months,
            "catalogue": {
                code: {
                    "label": item.label,
                    "sessions": item.sessions,
                    "price": plain(item.price, self.currency),
                }
                for code, item in self.catalogue.items()
            },
            "fees": self.fees.view(self.currency) if self.fees else None,
        }


def _text(value: object, field: str, *, limit: int, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise UserError("fill this in", field=field)
        return None
    if not isinstance(value, str):
        raise UserError("give text here", field=field)
    text = " ".join(value.split())
    if len(text) > limit:
        raise UserError(f"at most {limit} characters", field=field)
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in "\u202a\u202b\u202e" for c in text):
        raise UserError("control characters are not allowed here", field=field)
    return text


def _code(value: object, field: str) -> str:
    if not isinstance(value, str) or not _CODE.match(value):
        raise UserError(
            "a code is 1 to 32 lower-case letters, digits, - or _ (such as standard)", field=field
        )
    return value


def _whole(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UserError(f"give a whole number from {low} to {high}", field=field)
    return value


def parse_billing(data: object) -> Billing:
    """Validate billing settings as an owner sends them; UserError names the field."""
    if not isinstance(data, Mapping):
        raise UserError("billing settings must be an object with named fields")
    for key in data:
        if key not in _KNOWN:
            raise UserError("is not a billing setting", field=str(key)[:64])
    currency = data.get("currency")
    minor_units(currency)
    assert isinstance(currency, str)
    include = data.get("prices_include_tax", True)
    if not isinstance(include, bool):
        raise UserError("say true or false", field="prices_include_tax")
    rates_in = data.get("tax_rates")
    if not isinstance(rates_in, Mapping) or not rates_in:
        raise UserError("give at least one tax rate, such as standard: 21", field="tax_rates")
    if len(rates_in) > 20:
        raise UserError("at most 20 tax rates", field="tax_rates")
    rates = {
        _code(code, "tax_rates"): parse_percent(rate, field=f"tax_rates.{code}")
        for code, rate in rates_in.items()
    }
    treatment_tax = data.get("treatment_tax", next(iter(rates)))
    if treatment_tax not in rates:
        raise UserError("name one of the tax rates", field="treatment_tax")
    prefix = _text(data.get("invoice_prefix", "INV-"), "invoice_prefix", limit=12, required=False)
    months = data.get("package_valid_months")
    if months is not None:
        months = _whole(months, "package_valid_months", 1, 120)
    items_in = data.get("catalogue", {})
    if not isinstance(items_in, Mapping):
        raise UserError("the catalogue is an object of items by code", field="catalogue")
    if len(items_in) > 100:
        raise UserError("at most 100 catalogue items", field="catalogue")
    catalogue = {}
    for code, item in items_in.items():
        where = f"catalogue.{str(code)[:32]}"
        _code(code, where)
        if not isinstance(item, Mapping) or set(item) - {"label", "sessions", "price"}:
            raise UserError("an item has a label, sessions and a price", field=where)
        label = _text(item.get("label"), f"{where}.label", limit=200, required=True)
        assert label is not None
        catalogue[code] = CatalogueItem(
            code=code,
            label=label,
            sessions=_whole(item.get("sessions"), f"{where}.sessions", 1, 52),
            price=parse_amount(item.get("price"), currency, field=f"{where}.price"),
        )
    return Billing(
        currency=currency,
        prices_include_tax=include,
        tax_rates=rates,
        treatment_tax=str(treatment_tax),
        tax_id=_text(data.get("tax_id"), "tax_id", limit=64, required=False),
        invoice_address=_text(
            data.get("invoice_address"), "invoice_address", limit=300, required=False
        ),
        invoice_prefix=prefix or "",
        package_valid_months=months,
        catalogue=catalogue,
        fees=parse_fees(data.get("fees"), currency),
    )


def _stored(row: BillingSettings) -> Billing:
    return parse_billing(
        {
            "currency": row.currency,
            "prices_include_tax": row.prices_include_tax,
            "tax_rates": row.tax_rates,
            "treatment_tax": row.treatment_tax,
            "tax_id": row.tax_id,
            "invoice_address": row.invoice_address,
            "invoice_prefix": row.invoice_prefix,
            "package_valid_months": row.package_valid_months,
            "catalogue": row.catalogue,
            "fees": row.fees,
        }
    )


def billing_of(session: Session, clinic_id: int, *, required: bool = True) -> Billing | None:
    """The clinic's billing settings (RuleViolation when not set and ``required``)."""
    row = session.get(BillingSettings, clinic_id)
    if row is None:
        if required:
            raise RuleViolation(NOT_SET)
        return None
    return _stored(row)


def configure_billing(
    uow: UnitOfWork, actor: Actor, data: Mapping[str, Any], *, clock: Clock = utc_now
) -> dict[str, Any]:
    """Set the clinic's billing settings (owners). The currency is the price list's, when the
    clinic has one, and cannot change once an invoice is issued."""
    billing = parse_billing(data)
    with BillingTransaction(uow, actor, "billing.configure", clock) as tx:
        clinic = tx.records.clinic()
        listed = (clinic.price_list or {}).get("currency")
        if listed and listed != billing.currency:
            raise RuleViolation(
                f"the price list is in {listed}: billing must be in {listed} too",
                field="currency",
            )
        session = tx.uow.session
        row = session.get(BillingSettings, actor.clinic_id, with_for_update=True)
        if row is not None and row.currency != billing.currency:
            issued = session.query(Invoice.id).filter(Invoice.clinic_id == actor.clinic_id)
            if issued.first() is not None:
                raise RuleViolation(
                    f"invoices were issued in {row.currency}: the currency cannot change",
                    field="currency",
                )
        view = billing.view()
        if row is None:
            row = BillingSettings(clinic_id=actor.clinic_id)
            session.add(row)
        row.currency = billing.currency
        row.prices_include_tax = billing.prices_include_tax
        row.tax_rates = view["tax_rates"]
        row.treatment_tax = billing.treatment_tax
        row.tax_id = billing.tax_id
        row.invoice_address = billing.invoice_address
        row.invoice_prefix = billing.invoice_prefix
        row.package_valid_months = billing.package_valid_months
        row.catalogue = view["catalogue"]
        row.fees = view["fees"]
        row.updated_at = tx.now
        row.updated_by = actor.staff_user_id
        tx.done(
            entity=("clinic", actor.clinic_id),
            details={"currency": billing.currency, "tax_rates": view["tax_rates"]},
        )
    return view


def read_billing(uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now) -> dict[str, Any] | None:
    """The clinic's billing settings, or None when not set."""
    with BillingTransaction(uow, actor, "billing.read_settings", clock, reading=True) as tx:
        billing = billing_of(session_of(tx), actor.clinic_id, required=False)
        tx.done(entity=("clinic", actor.clinic_id))
    return billing.view() if billing else None
