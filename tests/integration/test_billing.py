"""Billing on both backends: selling a plan's quote and catalogue packages, gap-free invoice
numbers under 50 concurrent checkouts, payments, refunds as credit notes, gift cards, and a
session redeemed once only; hostile input on every path."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.integration.conftest import NOW, World, make_world

from microneedling.errors import NotFound, PermissionDenied, RuleViolation, UserError
from microneedling.services import appointments, charts, clinics, plans
from microneedling.services.billing import balances, ledger, packages, settings
from microneedling.services.billing.provider import ChargeDeclined
from microneedling.services.clock import fixed_clock
from microneedling.store import UnitOfWork
from microneedling.store.models import AuditEntry

PRICES = {
    "currency": "EUR",
    "per_session": {"small": "150.00", "medium": "220.00", "large": "300.00"},
    "zone_sizes": {"cheeks": "medium", "forehead": "small"},
    "add_ons": {"prp": "250.00"},
    "series_discount": {"min_sessions": 3, "percent": 10},
}
BILLING = {
    "currency": "EUR",
    "prices_include_tax": True,
    "tax_rates": {"standard": "21", "exempt": "0"},
    "treatment_tax": "standard",
    "tax_id": "NL123456789B01",
    "invoice_address": "1 Main St, Leiden",
    "invoice_prefix": "MN-",
    "package_valid_months": 12,
    "catalogue": {"face-3": {"label": "3 sessions face", "sessions": 3, "price": "600.00"}},
}
ACNE = {"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}


def billed(world: World) -> World:
    clinics.set_price_list(world.uow, world.owner, PRICES, clock=world.clock)
    settings.configure_billing(world.uow, world.owner, BILLING, clock=world.clock)
    return world


def planned_patient(world: World) -> tuple[int, int]:
    patient_id = world.patient()
    world.intake(patient_id)
    plan_id = plans.create_plan(
        world.uow, world.clinician, patient_id, {"treatments": [ACNE]}, clock=world.clock
    )
    return patient_id, plan_id


def test_selling_a_plans_quote_makes_a_package_and_a_numbered_invoice(world: World) -> None:
    billed(world)
    patient_id, plan_id = planned_patient(world)
    quote = plans.read_plan(world.uow, world.clinician, plan_id, clock=world.clock)["plan"]["quote"]
    sold = packages.sell_plan(world.uow, world.front_desk, plan_id, clock=world.clock)
    view = packages.patient_billing(world.uow, world.front_desk, patient_id, clock=world.clock)
    [package] = view["packages"]
    [invoice] = view["invoices"]
    assert package["id"] == sold["package_ids"][0]
    assert package["sessions"] == quote["lines"][0]["sessions"]
    assert package["price"] == quote["lines"][0]["total"] == invoice["total"]
    assert package["left"] == package["sessions"] and package["price_list_sha256"]
    assert invoice["number"] == 1 and invoice["display_number"] == "MN-000001"
    assert Decimal(invoice["net"]) + Decimal(invoice["tax"]) == Decimal(invoice["total"])
    assert invoice["seller"]["tax_id"] == "NL123456789B01"
    assert invoice["amounts"]["due"] == invoice["total"]
    with pytest.raises(RuleViolation, match="sold already"):
        packages.sell_plan(world.uow, world.front_desk, plan_id, clock=world.clock)


def test_a_payment_is_at_most_what_is_due_and_in_the_invoices_currency(world: World) -> None:
    billed(world)
    patient_id = world.patient()
    sold = packages.sell_catalogue(world.uow, world.front_desk, patient_id, "face-3")
    invoice_id = sold["invoice_id"]
    pay = ledger.record_payment
    with pytest.raises(RuleViolation, match="still due"):
        pay(world.uow, world.front_desk, invoice_id, amount="600.01", method="cash")
    with pytest.raises(UserError, match="this invoice is in EUR"):
        pay(world.uow, world.front_desk, invoice_id, amount="100", method="cash", currency="USD")
    for hostile in ("-1", "NaN", "1e9", "abc", 0.5, None, "0", "10.001"):
        with pytest.raises(UserError):
            pay(world.uow, world.front_desk, invoice_id, amount=hostile, method="cash")
    with pytest.raises(UserError, match="choose how"):
        pay(world.uow, world.front_desk, invoice_id, amount="10", method="bitcoin")
    pay(world.uow, world.front_desk, invoice_id, amount="200", method="card", reference="T-1")
    pay(world.uow, world.front_desk, invoice_id, amount="400.00", method="bank_transfer")
    view = ledger.read_invoice(world.uow, world.front_desk, invoice_id)
    assert view["amounts"]["paid"] == "600.00" and view["amounts"]["due"] == "0.00"
    assert [p["method"] for p in view["payments"]] == ["card", "bank_transfer"]


def test_another_clinics_records_are_not_found(world: World, other_world: World) -> None:
    billed(world)
    billed(other_world)
    patient_id, plan_id = planned_patient(world)
    sold = packages.sell_plan(world.uow, world.front_desk, plan_id)
    session = world.ready_session()
    for call in (
        lambda: packages.sell_plan(other_world.uow, other_world.front_desk, plan_id),
        lambda: packages.sell_catalogue(other_world.uow, other_world.front_desk, patient_id,
                                        "face-3"),
        lambda: ledger.record_payment(other_world.uow, other_world.front_desk,
                                      sold["invoice_id"], amount="10", method="cash"),
        lambda: ledger.read_invoice(other_world.uow, other_world.front_desk, sold["invoice_id"]),
        lambda: ledger.refund(other_world.uow, other_world.owner, sold["invoice_id"],
                              reason="x"),
        lambda: packages.redeem_for_appointment(other_world.uow, other_world.front_desk,
                                                session.appointment_id),
        lambda: packages.patient_billing(other_world.uow, other_world.front_desk, patient_id),
    ):  # fmt: skip
        with pytest.raises(NotFound):
            call()


@pytest.mark.parametrize("bad", [0, -1, 2**31, True, "1", None, 1.0])
def test_ids_that_are_not_ids_are_refused(world: World, bad: Any) -> None:
    with pytest.raises(UserError, match="id"):
        ledger.read_invoice(world.uow, world.front_desk, bad)
    with pytest.raises(UserError, match="id"):
        packages.redeem_for_appointment(world.uow, world.front_desk, bad)
    with pytest.raises(UserError, match="id"):
        packages.sell_plan(world.uow, world.front_desk, bad)


@pytest.mark.parametrize(
    ("change", "field"),
    [({"currency": "XYZ"}, "currency"), ({"currency": None}, "currency"),
     ({"tax_rates": {}}, "tax_rates"), ({"tax_rates": {"standard": "-1"}}, "tax_rates.standard"),
     ({"tax_rates": {"Standard!": "21"}}, "tax_rates"), ({"treatment_tax": "none"}, "treatment_tax"),
     ({"package_valid_months": 0}, "package_valid_months"), ({"prices_include_tax": "yes"},
     "prices_include_tax"), ({"invoice_address": "x" * 301}, "invoice_address"),
     ({"tax_id": "A\u202eB"}, "tax_id"), ({"catalogue": {"face-3": {"label": "x", "sessions": 0,
     "price": "1"}}}, "catalogue.face-3.sessions"), ({"catalogue": {"f": {"label": "x",
     "sessions": 1, "price": "NaN"}}}, "catalogue.f.price"), ({"surprise": 1}, "surprise")],
)  # fmt: skip
def test_malformed_billing_settings_name_the_field(
    world: World, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(UserError) as error:
        settings.configure_billing(world.uow, world.owner, {**BILLING, **change})
    assert error.value.field == field


def test_billing_follows_the_price_lists_currency_and_only_owners_configure_or_refund(
    world: World,
) -> None:
    clinics.set_price_list(world.uow, world.owner, PRICES, clock=world.clock)
    with pytest.raises(RuleViolation, match="EUR"):
        settings.configure_billing(world.uow, world.owner, {**BILLING, "currency": "USD"})
    with pytest.raises(PermissionDenied, match="front desk"):
        settings.configure_billing(world.uow, world.front_desk, BILLING)
    billed(world)
    sold = packages.sell_catalogue(world.uow, world.front_desk, world.patient(), "face-3")
    with pytest.raises(PermissionDenied, match="refund"):
        ledger.refund(world.uow, world.front_desk, sold["invoice_id"], reason="moving away")


def test_a_session_is_redeemed_once_and_a_package_never_gives_more_than_it_holds(
    world: World,
) -> None:
    billed(world)
    session = world.ready_session()
    sold = packages.sell_catalogue(world.uow, world.front_desk, session.patient_id, "face-3")
    first = packages.redeem_for_appointment(world.uow, world.clinician, session.appointment_id)
    assert first is not None
    with pytest.raises(RuleViolation, match="redeemed already"):
        packages.redeem_for_appointment(world.uow, world.clinician, session.appointment_id)
    view = packages.patient_billing(world.uow, world.front_desk, session.patient_id)
    [package] = view["packages"]
    assert (package["redeemed"], package["left"]) == (1, 2)
    assert package["unredeemed_value"] == "400.00"
    assert package["id"] == sold["package_ids"][0]
    assert package["redemptions"][0]["appointment_id"] == session.appointment_id


def test_two_redemptions_of_one_session_at_the_same_moment_end_with_one(world: World) -> None:
    billed(world)
    session = world.ready_session()
    packages.sell_catalogue(world.uow, world.front_desk, session.patient_id, "face-3")

    def redeem(_: int) -> str:
        try:
            packages.redeem_for_appointment(
                UnitOfWork(world.database), world.clinician, session.appointment_id
            )
            return "redeemed"
        except (RuleViolation, UserError):
            return "refused"

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(redeem, range(8)))
    assert results.count("redeemed") == 1
    view = packages.patient_billing(world.uow, world.front_desk, session.patient_id)
    assert view["packages"][0]["redeemed"] == 1


def test_without_a_package_charting_redeems_nothing(world: World) -> None:
    billed(world)
    session = world.ready_session()
    assert (
        packages.redeem_for_appointment(world.uow, world.clinician, session.appointment_id) is None
    )


def test_charting_redeems_one_session_once_and_an_amendment_redeems_nothing(
    world: World,
) -> None:
    billed(world)
    session = world.ready_session()
    packages.sell_catalogue(world.uow, world.front_desk, session.patient_id, "face-3")
    world.chart(session)
    view = packages.patient_billing(world.uow, world.front_desk, session.patient_id)
    [package] = view["packages"]
    assert (package["redeemed"], package["left"]) == (1, 2)
    assert package["redemptions"][0]["appointment_id"] == session.appointment_id
    charts.amend_chart(
        world.uow,
        world.clinician,
        session.appointment_id,
        changes={"notes": "corrected"},
        reason="typo",
        clock=world.clock,
    )
    # Redeeming it again by hand is refused: the ledger holds one row for the session.
    with pytest.raises(RuleViolation, match="redeemed already"):
        packages.redeem_for_appointment(world.uow, world.clinician, session.appointment_id)
    view = packages.patient_billing(world.uow, world.front_desk, session.patient_id)
    assert view["packages"][0]["redeemed"] == 1


def test_charting_without_a_package_records_no_redemption_and_no_billing_entry(
    world: World,
) -> None:
    billed(world)
    session = world.ready_session()
    world.chart(session)
    with world.uow:
        entries = [
            e.action
            for e in world.uow.session.execute(
                select(AuditEntry).where(AuditEntry.patient_id == session.patient_id)
            ).scalars()
        ]
    assert "chart.create" in entries
    assert "billing.redeem" not in entries


def test_an_expired_package_redeems_nothing(world: World) -> None:
    billed(world)
    settings.configure_billing(world.uow, world.owner, {**BILLING, "package_valid_months": 1})
    session = world.ready_session()
    long_ago = fixed_clock(NOW - timedelta(days=90))
    packages.sell_catalogue(world.uow, world.front_desk, session.patient_id, "face-3",
                            clock=long_ago)  # fmt: skip
    assert (
        packages.redeem_for_appointment(world.uow, world.clinician, session.appointment_id) is None
    )


def test_a_refund_is_a_numbered_credit_note_for_the_unredeemed_sessions(world: World) -> None:
    billed(world)
    session = world.ready_session()
    sold = packages.sell_catalogue(world.uow, world.front_desk, session.patient_id, "face-3")
    invoice_id = sold["invoice_id"]
    with pytest.raises(RuleViolation, match="nothing to refund"):
        ledger.refund(world.uow, world.owner, invoice_id, reason="moving away")
    ledger.record_payment(world.uow, world.front_desk, invoice_id, amount="600", method="card")
    packages.redeem_for_appointment(world.uow, world.clinician, session.appointment_id)
    with pytest.raises(UserError, match="fill this in"):
        ledger.refund(world.uow, world.owner, invoice_id, reason="  ")
    with pytest.raises(RuleViolation, match=r"at most 600\.00"):
        ledger.refund(world.uow, world.owner, invoice_id, reason="x", amount="600.01")
    credit_id = ledger.refund(world.uow, world.owner, invoice_id, reason="moving away")
    credit = ledger.read_invoice(world.uow, world.owner, credit_id)
    invoice = ledger.read_invoice(world.uow, world.owner, invoice_id)
    assert credit["kind"] == "credit_note" and credit["credits_invoice_id"] == invoice_id
    assert credit["number"] == invoice["number"] + 1
    assert credit["total"] == "-400.00" and credit["reason"] == "moving away"
    assert Decimal(credit["net"]) + Decimal(credit["tax"]) == Decimal("-400.00")
    assert invoice["amounts"]["refunded"] == "400.00" and invoice["amounts"]["due"] == "0.00"
    view = packages.patient_billing(world.uow, world.front_desk, session.patient_id)
    assert view["packages"][0]["status"] == "refunded" and view["packages"][0]["left"] == 0
    with pytest.raises(RuleViolation, match="nothing to refund"):
        ledger.refund(world.uow, world.owner, invoice_id, reason="again")


def test_a_gift_card_pays_from_its_balance_and_never_below_zero(world: World) -> None:
    billed(world)
    card = ledger.issue_gift_card(world.uow, world.front_desk, amount="100")
    ledger.record_payment(world.uow, world.front_desk, card["invoice_id"], amount="100",
                          method="cash")  # fmt: skip
    sold = packages.sell_catalogue(world.uow, world.front_desk, world.patient(), "face-3")
    with pytest.raises(RuleViolation, match=r"holds 100\.00"):
        ledger.record_payment(world.uow, world.front_desk, sold["invoice_id"], amount="150",
                              method="gift_card", gift_card_code=card["code"])  # fmt: skip
    with pytest.raises(NotFound):
        ledger.record_payment(world.uow, world.front_desk, sold["invoice_id"], amount="10",
                              method="gift_card", gift_card_code="NOPE")  # fmt: skip
    ledger.record_payment(world.uow, world.front_desk, sold["invoice_id"], amount="60",
                          method="gift_card", gift_card_code=card["code"].lower())  # fmt: skip
    balance = ledger.gift_card_balance(world.uow, world.front_desk, card["code"])
    assert balance["balance"] == "40.00" and balance["initial"] == "100.00"
    gift_invoice = ledger.read_invoice(world.uow, world.front_desk, card["invoice_id"])
    assert gift_invoice["tax"] == "0.00"


def test_fifty_concurrent_checkouts_number_invoices_without_gaps(
    database: Any, tmp_path: Path
) -> None:
    world = billed(make_world(database, tmp_path / "photos"))
    patient_ids = [world.patient() for _ in range(5)]

    def checkout(n: int) -> int:
        uow = UnitOfWork(world.database)
        sold = packages.sell_catalogue(uow, world.front_desk, patient_ids[n % 5], "face-3")
        return int(sold["invoice_id"])

    with ThreadPoolExecutor(10) as pool:
        invoice_ids = list(pool.map(checkout, range(50)))
    numbers = sorted(ledger.read_invoice(world.uow, world.owner, i)["number"] for i in invoice_ids)
    assert numbers == list(range(1, 51))


def test_the_unredeemed_value_lists_open_packages_and_sets_expired_ones_apart(
    world: World,
) -> None:
    billed(world)
    session = world.ready_session()
    packages.sell_catalogue(world.uow, world.front_desk, session.patient_id, "face-3")
    packages.redeem_for_appointment(world.uow, world.clinician, session.appointment_id)
    old = world.patient()
    packages.sell_catalogue(world.uow, world.front_desk, old, "face-3",
                            clock=fixed_clock(NOW - timedelta(days=400)))  # fmt: skip
    report = balances.unredeemed_value(world.uow, world.front_desk)
    assert [p["sessions_left"] for p in report["packages"]] == [2]
    assert report["totals"] == {"EUR": "400.00"}
    assert [p["patient_id"] for p in report["expired"]] == [old]
    # The totals agree with the raw rows, computed apart.
    raw = sum(Decimal(p["value"]) for p in report["packages"])
    assert str(raw) == report["totals"]["EUR"]


def test_an_owner_moves_a_package_to_another_patient_with_a_reason(world: World) -> None:
    billed(world)
    first, second = world.patient(), world.patient(given_name="Grace")
    sold = packages.sell_catalogue(world.uow, world.front_desk, first, "face-3")
    [package_id] = sold["package_ids"]
    with pytest.raises(PermissionDenied):
        balances.transfer_package(world.uow, world.front_desk, package_id, second, reason="gift")
    with pytest.raises(UserError, match="fill this in"):
        balances.transfer_package(world.uow, world.owner, package_id, second, reason="")
    with pytest.raises(RuleViolation, match="already"):
        balances.transfer_package(world.uow, world.owner, package_id, first, reason="x")
    balances.transfer_package(world.uow, world.owner, package_id, second, reason="a gift")
    view = packages.patient_billing(world.uow, world.front_desk, second)
    assert [p["id"] for p in view["packages"]] == [package_id]


def test_owners_list_the_clinics_invoices_by_number(world: World) -> None:
    billed(world)
    for _ in range(3):
        packages.sell_catalogue(world.uow, world.front_desk, world.patient(), "face-3")
    books = balances.list_invoices(world.uow, world.owner)
    assert [i["number"] for i in books] == [1, 2, 3]
    assert all(i["due"] == "600.00" for i in books)
    with pytest.raises(PermissionDenied):
        balances.list_invoices(world.uow, world.front_desk)
    with pytest.raises(UserError, match="after the last"):
        balances.list_invoices(world.uow, world.owner, first=NOW.date(), last=date(2020, 1, 1))


FEES = {"late_cancel_hours": 24, "late_cancellation": "40.00", "no_show": "60.00"}


def test_a_late_cancellation_and_a_no_show_are_charged_as_the_clinic_says(world: World) -> None:
    billed(world)
    settings.configure_billing(world.uow, world.owner, {**BILLING, "fees": FEES})
    patient_id = world.patient()
    soon = world.appointment(patient_id, starts_at=NOW + timedelta(hours=5))
    later = world.appointment(patient_id, starts_at=NOW + timedelta(days=3))
    missed = world.appointment(patient_id, starts_at=NOW - timedelta(hours=2))
    for appointment_id, status in ((soon, "cancelled"), (later, "cancelled"), (missed, "no_show")):
        reason = "ill" if status == "cancelled" else None
        appointments.set_appointment_status(
            world.uow, world.front_desk, appointment_id, status, reason=reason, clock=world.clock
        )
    invoices = packages.patient_billing(world.uow, world.front_desk, patient_id)["invoices"]
    # Cancelled three days ahead: free. Five hours ahead: the late fee. Not come: the no-show fee.
    assert [(i["total"], i["lines"][0]["description"][:20]) for i in invoices] == [
        ("40.00", "Late cancellation fe"),
        ("60.00", "Missed session fee: "),
    ]
    assert invoices[0]["reason"] == "cancelled less than 24 hours before the session"
    with world.uow:
        details = [
            e.details
            for e in world.uow.session.execute(
                select(AuditEntry)
                .where(
                    AuditEntry.patient_id == patient_id,
                    AuditEntry.action == "appointment.update_status",
                )
                .order_by(AuditEntry.sequence)
            ).scalars()
        ]
    fees = [json.loads(d).get("fee") if isinstance(d, str) else d.get("fee") for d in details]
    assert fees == ["late_cancellation", None, "no_show"]
    # Refundable per the clinic's rules: the owner waives it with a credit note.
    ledger.record_payment(world.uow, world.front_desk, invoices[1]["id"], amount="60.00",
                          method="cash", clock=world.clock)  # fmt: skip
    note = ledger.refund(world.uow, world.owner, invoices[1]["id"], reason="was in hospital")
    assert note > 0


def test_without_fee_settings_a_late_cancellation_costs_nothing(world: World) -> None:
    billed(world)
    patient_id = world.patient()
    soon = world.appointment(patient_id, starts_at=NOW + timedelta(hours=5))
    appointments.set_appointment_status(
        world.uow, world.front_desk, soon, "cancelled", reason="ill", clock=world.clock
    )
    assert packages.patient_billing(world.uow, world.front_desk, patient_id)["invoices"] == []


@pytest.mark.parametrize(
    ("fees", "field"),
    [
        ({"late_cancel_hours": 0, "late_cancellation": "40"}, "fees.late_cancel_hours"),
        ({"late_cancel_hours": 24, "late_cancellation": "-4"}, "fees.late_cancellation"),
        ({"no_show": 60.5}, "fees.no_show"),
        ({"surprise": "1"}, "fees.surprise"),
        ("40 euros", "fees"),
    ],
)
def test_malformed_fees_name_the_field(world: World, fees: Any, field: str) -> None:
    with pytest.raises(UserError) as refused:
        settings.configure_billing(world.uow, world.owner, {**BILLING, "fees": fees})
    assert refused.value.field == field


class FakeProvider:
    """A local card provider for tests: declines amounts over its limit, remembers charges."""

    def __init__(self, limit: Decimal) -> None:
        self.limit = limit
        self.charges: list[tuple[Decimal, str, str]] = []

    def charge(self, amount: Decimal, currency: str, reference: str) -> str:
        if amount > self.limit:
            raise ChargeDeclined("insufficient funds")
        self.charges.append((amount, currency, reference))
        return f"FAKE-{len(self.charges)}"


def test_a_card_payment_through_a_provider_keeps_its_reference_and_a_decline_saves_nothing(
    world: World,
) -> None:
    billed(world)
    sold = packages.sell_catalogue(world.uow, world.front_desk, world.patient(), "face-3")
    provider = FakeProvider(limit=Decimal("500"))
    with pytest.raises(RuleViolation, match="declined: insufficient funds") as declined:
        ledger.record_payment(world.uow, world.front_desk, sold["invoice_id"], amount="600.00",
                              method="card", provider=provider)  # fmt: skip
    assert declined.value.field == "amount" and provider.charges == []
    view = ledger.read_invoice(world.uow, world.front_desk, sold["invoice_id"])
    assert view["amounts"]["paid"] == "0.00"
    ledger.record_payment(world.uow, world.front_desk, sold["invoice_id"], amount="400.00",
                          method="card", provider=provider)  # fmt: skip
    # Cash never goes to the provider.
    ledger.record_payment(world.uow, world.front_desk, sold["invoice_id"], amount="200.00",
                          method="cash", provider=provider)  # fmt: skip
    view = ledger.read_invoice(world.uow, world.front_desk, sold["invoice_id"])
    assert provider.charges == [(Decimal("400.00"), "EUR", f"{view['display_number']}/40000")]
    assert [p["reference"] for p in view["payments"]] == ["FAKE-1", None]
    assert view["amounts"]["due"] == "0.00"
