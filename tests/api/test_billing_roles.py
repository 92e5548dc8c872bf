"""The billing routes in the role matrix, endpoint by endpoint (the same check as
tests/api/test_api_roles.py, whose route table takes :data:`BILLING_TABLE` in): everyone sells,
takes payments, issues gift cards and redeems; only owners refund and change billing settings;
another clinic's owner finds none of this clinic's records. The reports' routes (owners) are in
the table too."""

from __future__ import annotations

from typing import Any

import pytest
from tests.api.conftest import API, Clinic
from tests.api.test_api_roles import ALL, CALLERS, OWNERS, Call, Case, Setup, expected
from tests.integration.test_billing import BILLING, PRICES

from microneedling.services import clinics
from microneedling.services.billing import ledger, packages, settings


def billed(s: Setup) -> None:
    """Billing set up in this clinic and the other one (a price list first: plans are quoted)."""

    def make() -> bool:
        for world in (s.world, s.here.other):
            clinics.set_price_list(world.uow, world.owner, PRICES, clock=world.clock)
            settings.configure_billing(world.uow, world.owner, BILLING, clock=world.clock)
        return True

    s.once("billed", make)


def sold_plan(s: Setup) -> int:
    billed(s)
    return s.plan()


def invoice(s: Setup, *, fresh: bool = False, paid: bool = False) -> int:
    billed(s)

    def make() -> int:
        world = s.world
        sold = packages.sell_catalogue(world.uow, world.front_desk, s.patient(), "face-3",
                                       clock=world.clock)  # fmt: skip
        if paid:
            ledger.record_payment(world.uow, world.front_desk, sold["invoice_id"],
                                  amount="600", method="cash", clock=world.clock)  # fmt: skip
        return int(sold["invoice_id"])

    return make() if fresh else int(s.once("invoice", make))


def package(s: Setup) -> int:
    billed(s)
    world = s.world
    sold = packages.sell_catalogue(world.uow, world.front_desk, s.fresh_patient(), "face-3",
                                   clock=world.clock)  # fmt: skip
    return int(sold["package_ids"][0])


def gift_card(s: Setup) -> str:
    billed(s)
    world = s.world
    return str(
        s.once("gift", lambda: ledger.issue_gift_card(world.uow, world.front_desk,
                                                      amount="50", clock=world.clock))["code"]
    )  # fmt: skip


BILLING_TABLE: dict[tuple[str, str], Case] = {
    ("GET", "/billing/settings"): Case(
        ALL, 200, lambda s, r: (billed(s), Call("/billing/settings"))[1], record=False
    ),
    ("PUT", "/billing/settings"): Case(
        OWNERS, 200, lambda s, r: (billed(s), Call("/billing/settings", json=BILLING))[1],
        record=False,
    ),
    ("POST", "/plans/{plan_id}/sale"): Case(
        ALL, 201, lambda s, r: Call(f"/plans/{sold_plan(s)}/sale", json={})
    ),
    ("POST", "/patients/{patient_id}/packages"): Case(
        ALL, 201,
        lambda s, r: (billed(s), Call(f"/patients/{s.patient()}/packages",
                                      json={"code": "face-3"}))[1],
    ),
    ("GET", "/patients/{patient_id}/billing"): Case(
        ALL, 200, lambda s, r: Call(f"/patients/{s.patient()}/billing")
    ),
    ("GET", "/invoices/{invoice_id}"): Case(
        ALL, 200, lambda s, r: Call(f"/invoices/{invoice(s)}")
    ),
    ("GET", "/invoices/{invoice_id}/pdf"): Case(
        ALL, 200, lambda s, r: Call(f"/invoices/{invoice(s)}/pdf")
    ),
    ("POST", "/invoices/{invoice_id}/payments"): Case(
        ALL, 201,
        lambda s, r: Call(f"/invoices/{invoice(s, fresh=True)}/payments",
                          json={"amount": "10", "method": "cash"}),
    ),
    ("POST", "/invoices/{invoice_id}/refund"): Case(
        OWNERS, 201,
        lambda s, r: Call(f"/invoices/{invoice(s, fresh=True, paid=True)}/refund",
                          json={"reason": "moving away"}),
    ),
    ("POST", "/appointments/{appointment_id}/redemption"): Case(
        ALL, 200, lambda s, r: Call(f"/appointments/{s.appointment()}/redemption", json={})
    ),
    ("POST", "/gift-cards"): Case(
        ALL, 201, lambda s, r: (billed(s), Call("/gift-cards", json={"amount": "25"}))[1],
        record=False,
    ),
    ("GET", "/billing/unredeemed"): Case(
        ALL, 200, lambda s, r: (billed(s), Call("/billing/unredeemed"))[1], record=False
    ),
    ("GET", "/invoices"): Case(
        OWNERS, 200, lambda s, r: (billed(s), Call("/invoices?first=2026-01-01"))[1],
        record=False,
    ),
    ("POST", "/packages/{package_id}/transfer"): Case(
        OWNERS, 204, lambda s, r: Call(f"/packages/{package(s)}/transfer",
                                       json={"to_patient_id": s.fresh_patient(), "reason": "gift"}),
    ),
    ("GET", "/gift-cards/{code}"): Case(
        ALL, 200, lambda s, r: Call(f"/gift-cards/{gift_card(s)}")
    ),
    # The reports (api/routes/reports.py): owners.
    ("GET", "/reports/{report}"): Case(
        OWNERS, 200, lambda s, r: Call("/reports/revenue?first=2026-01-01&last=2026-12-31"),
        record=False,
    ),
    ("GET", "/reports/{report}/csv"): Case(
        OWNERS, 200, lambda s, r: Call("/reports/safety/csv?first=2026-01-01&last=2026-12-31"),
        record=False,
    ),
}  # fmt: skip


def test_every_billing_route_is_in_the_table(app: Any) -> None:
    from tests.api.test_api_roles import api_routes

    billing = {(m, API + p) for m, p in BILLING_TABLE}
    assert billing <= api_routes(app)
    ours = ("billing", "invoice", "gift-card", "package", "/sale", "redemption", "/reports")
    assert {r for r in api_routes(app) if any(word in r[1] for word in ours)} <= billing


@pytest.mark.parametrize("route", sorted(BILLING_TABLE), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_caller_gets_the_answer_the_billing_table_gives(
    clinic: Clinic, route: tuple[str, str]
) -> None:
    method, _ = route
    case = BILLING_TABLE[route]
    setup = Setup(clinic)
    answers = {}
    for caller in CALLERS:
        call = case.build(setup, caller)
        token = clinic.tokens[caller] if caller is not None else None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = clinic.client.request(method, API + call.path, json=call.json, headers=headers)
        answers[caller] = (response.status_code, expected(case, caller), response.text[:200])
    wrong = {caller: got for caller, got in answers.items() if got[0] != got[1]}
    assert not wrong, f"(got, expected, body) per caller: {wrong}"
