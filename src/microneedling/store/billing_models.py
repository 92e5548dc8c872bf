"""Packages, invoices, payments and gift cards, as SQLAlchemy models on the records' ``Base``.

Money is stored as whole minor units of the row's ``currency`` (``BigInteger``: cents for EUR,
yen for JPY), never as a float, so amounts are exact on SQLite and PostgreSQL alike
(services/billing/money.py converts).

- ``billing_settings``: one row per clinic: its currency, whether prices include tax, its tax
  rates (``{"standard": "21", "exempt": "0"}``), the rate charged on treatments, its tax
  identifier and invoice address, the invoice number prefix, how long a package lasts, and its
  catalogue of packages sold without a plan.
- ``invoice_counter``: one row per clinic, the next invoice number. Taking a number locks the row
  (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write transactions already run one at a time),
  and the number is used by the invoice inserted in the same transaction, so a rolled-back sale
  gives its number back: numbers have no gaps.
- ``invoice``: an invoice or a credit note (``kind``), numbered per clinic (``(clinic_id,
  number)`` unique), with the seller's details as printed, and its totals.
- ``invoice_line``: its lines, each with its tax rate and amounts.
- ``package``: sessions sold to a patient, from a plan's quote (the quote line, the price list's
  hash) or from the catalogue.
- ``package_redemption``: one row per redeemed session. ``appointment_id`` is unique (a session is
  redeemed once, whatever happens at the same moment) and so is ``(package_id, session_number)``
  (a package never gives more sessions than it holds).
- ``appointment_fee``: the late-cancellation or no-show fee of one appointment (unique) and the
  invoice it is on.
- ``gift_card``: a code and a balance (never below zero).
- ``payment``: money received against an invoice (positive) or paid back against a credit note
  (negative), by cash, card on the clinic's terminal, bank transfer or gift card.

Every table carries ``clinic_id``. Imported by ``microneedling.store`` so that the tables are on
``Base.metadata`` wherever the models are (migrations, backups, the unit of work).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from microneedling.store.models import (
    AdverseEvent,
    Appointment,
    Base,
    OutcomeAssessment,
    SessionChart,
)

INVOICE_KINDS = ("invoice", "credit_note")
PACKAGE_STATUSES = ("active", "refunded")
PAYMENT_METHODS = ("cash", "card", "bank_transfer", "gift_card")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def _clinic_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("clinic.id"))


def _staff_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("staff_user.id"))


def _money() -> Mapped[int]:
    return mapped_column(BigInteger)


class BillingSettings(Base):
    """A clinic's billing settings (validated by services/billing/settings.py)."""

    __tablename__ = "billing_settings"

    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    prices_include_tax: Mapped[bool] = mapped_column(Boolean)
    #: ``{"standard": "21", "exempt": "0"}``: each rate's code and percentage (as text).
    tax_rates: Mapped[dict[str, Any]]
    #: The code of the rate charged on treatments and packages.
    treatment_tax: Mapped[str] = mapped_column(String(32))
    tax_id: Mapped[str | None] = mapped_column(String(64))
    invoice_address: Mapped[str | None] = mapped_column(String(300))
    invoice_prefix: Mapped[str] = mapped_column(String(20))
    package_valid_months: Mapped[int | None]
    #: ``{"face-3": {"label": ..., "sessions": 3, "price": "600.00"}}``.
    catalogue: Mapped[dict[str, Any]]
    #: ``{"late_cancel_hours": 24, "late_cancellation": "40.00", "no_show": "60.00"}`` or NULL.
    fees: Mapped[dict[str, Any] | None]
    updated_at: Mapped[datetime]
    updated_by: Mapped[int] = _staff_fk()


class InvoiceCounter(Base):
    """The next invoice number of a clinic (taken under a row lock)."""

    __tablename__ = "invoice_counter"

    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), primary_key=True)
    next_number: Mapped[int] = mapped_column(BigInteger)


class Invoice(Base):
    """An invoice, or a credit note (``kind``) that credits ``credits_invoice_id``."""

    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint(_one_of("kind", INVOICE_KINDS), name="kind"),
        CheckConstraint("number > 0", name="number_positive"),
        UniqueConstraint("clinic_id", "number"),
        Index(None, "patient_id"),
        Index(None, "clinic_id", "issued_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[int] = mapped_column(BigInteger)
    #: The number as printed: the clinic's prefix and the number (``MN-000042``).
    display_number: Mapped[str] = mapped_column(String(40))
    credits_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    issued_on: Mapped[date]
    issued_at: Mapped[datetime]
    issued_by: Mapped[int] = _staff_fk()
    currency: Mapped[str] = mapped_column(String(3))
    net_minor: Mapped[int] = _money()
    tax_minor: Mapped[int] = _money()
    total_minor: Mapped[int] = _money()
    #: Why (a credit note's reason).
    reason: Mapped[str | None] = mapped_column(Text)
    #: The seller as printed: name, address, tax identifier.
    seller: Mapped[dict[str, Any]]


class InvoiceLine(Base):
    __tablename__ = "invoice_line"
    __table_args__ = (UniqueConstraint("invoice_id", "position"), Index(None, "clinic_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"))
    position: Mapped[int]
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int]
    tax_code: Mapped[str] = mapped_column(String(32))
    tax_percent: Mapped[str] = mapped_column(String(10))
    net_minor: Mapped[int] = _money()
    tax_minor: Mapped[int] = _money()
    total_minor: Mapped[int] = _money()
    package_id: Mapped[int | None] = mapped_column(ForeignKey("package.id"))
    gift_card_id: Mapped[int | None] = mapped_column(ForeignKey("gift_card.id"))


class Package(Base):
    """Sessions sold to a patient: from a plan's quote line or from the catalogue."""

    __tablename__ = "package"
    __table_args__ = (
        CheckConstraint(_one_of("status", PACKAGE_STATUSES), name="status"),
        CheckConstraint("sessions > 0", name="sessions_positive"),
        Index(None, "patient_id"),
        Index(None, "clinic_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    label: Mapped[str] = mapped_column(String(300))
    sessions: Mapped[int]
    #: The plan and the index of its series (a package from a plan's quote).
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_plan.id"))
    series_index: Mapped[int | None]
    #: The catalogue item's code (a package sold from the catalogue).
    catalogue_code: Mapped[str | None] = mapped_column(String(64))
    #: The quote line as sold (zones, add-ons, discount) or the catalogue item.
    terms: Mapped[dict[str, Any]]
    #: SHA-256 of the clinic's price list when sold (a plan's quote).
    price_list_sha256: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    price_minor: Mapped[int] = _money()
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"))
    sold_on: Mapped[date]
    expires_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    created_by: Mapped[int] = _staff_fk()


class PackageRedemption(Base):
    """One session of a package, redeemed by a charted appointment."""

    __tablename__ = "package_redemption"
    __table_args__ = (
        UniqueConstraint("appointment_id"),
        UniqueConstraint("package_id", "session_number"),
        CheckConstraint("session_number > 0", name="session_number_positive"),
        Index(None, "clinic_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    package_id: Mapped[int] = mapped_column(ForeignKey("package.id"))
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"))
    session_number: Mapped[int]
    redeemed_at: Mapped[datetime]
    redeemed_by: Mapped[int] = _staff_fk()


FEE_KINDS = ("late_cancellation", "no_show")


class AppointmentFee(Base):
    """The fee charged for a session cancelled late or missed: one per appointment, on an
    invoice of its own."""

    __tablename__ = "appointment_fee"
    __table_args__ = (
        UniqueConstraint("appointment_id"),
        CheckConstraint(_one_of("kind", FEE_KINDS), name="kind"),
        Index(None, "clinic_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"))
    kind: Mapped[str] = mapped_column(String(20))


class GiftCard(Base):
    __tablename__ = "gift_card"
    __table_args__ = (
        UniqueConstraint("clinic_id", "code"),
        CheckConstraint("balance_minor >= 0", name="balance_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    code: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    initial_minor: Mapped[int] = _money()
    balance_minor: Mapped[int] = _money()
    issued_at: Mapped[datetime]
    issued_by: Mapped[int] = _staff_fk()


class Payment(Base):
    """Money received against an invoice (positive), or paid back on a credit note (negative)."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint(_one_of("method", PAYMENT_METHODS), name="method"),
        CheckConstraint("amount_minor <> 0", name="amount_not_zero"),
        Index(None, "invoice_id"),
        Index(None, "clinic_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"))
    method: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = _money()
    #: The terminal's or bank's reference, when there is one.
    reference: Mapped[str | None] = mapped_column(String(100))
    gift_card_id: Mapped[int | None] = mapped_column(ForeignKey("gift_card.id"))
    received_at: Mapped[datetime]
    received_by: Mapped[int] = _staff_fk()


# The reports' indexes (services/reports/, docs/reports.md; migration 0019), on tables of
# store/models.py: each names the report whose query plan uses it.
#: Utilisation, no-shows and late cancellations: a clinic's appointments by status and time.
REPORT_APPOINTMENTS = Index(
    "ix_report_appointment_clinic_status_starts",
    Appointment.clinic_id,
    Appointment.status,
    Appointment.starts_at,
)
#: Revenue by treatment, retention, outcomes and safety: a clinic's charted sessions by day.
REPORT_CHARTS = Index(
    "ix_report_session_chart_clinic_performed",
    SessionChart.clinic_id,
    SessionChart.performed_on,
)
#: Safety signals: the adverse events of a session.
REPORT_EVENTS = Index("ix_report_adverse_event_appointment", AdverseEvent.appointment_id)
#: Outcomes by protocol: a clinic's assessments by plan and day.
REPORT_OUTCOMES = Index(
    "ix_report_outcome_clinic_plan_assessed",
    OutcomeAssessment.clinic_id,
    OutcomeAssessment.plan_id,
    OutcomeAssessment.assessed_on,
)
