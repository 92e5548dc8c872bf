"""The billing API: settings, selling a plan, paying, the receipt PDF, refunds, redemption and
gift cards, with hostile input refused in plain words and other clinics' ids not found."""

from __future__ import annotations

from typing import Any

import pytest
from tests.api.conftest import Clinic
from tests.integration.test_billing import BILLING, PRICES, planned_patient

from microneedling.services import clinics


def billed(clinic: Clinic) -> None:
    world = clinic.world
    clinics.set_price_list(world.uow, world.owner, PRICES, clock=world.clock)
    response = clinic.call("PUT", "/billing/settings", json=BILLING)
    assert response.status_code == 200, response.text


def test_a_plan_is_sold_paid_printed_and_refunded_through_the_api(clinic: Clinic) -> None:
    billed(clinic)
    patient_id, plan_id = planned_patient(clinic.world)
    sold = clinic.post(f"/plans/{plan_id}/sale", "front_desk", json={})
    assert sold.status_code == 201, sold.text
    invoice_id = sold.json()["invoice_id"]
    invoice = clinic.get(f"/invoices/{invoice_id}", "front_desk").json()
    paid = clinic.post(
        f"/invoices/{invoice_id}/payments",
        "front_desk",
        json={"amount": invoice["total"], "method": "card", "reference": "T-1"},
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["amounts"]["due"] == "0.00"
    pdf = clinic.get(f"/invoices/{invoice_id}/pdf", "front_desk")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    refused = clinic.post(f"/invoices/{invoice_id}/refund", "front_desk", json={"reason": "x"})
    assert refused.status_code == 403
    credit = clinic.post(f"/invoices/{invoice_id}/refund", json={"reason": "moving away"})
    assert credit.status_code == 201, credit.text
    assert credit.json()["kind"] == "credit_note"
    assert credit.json()["number"] == invoice["number"] + 1
    view = clinic.get(f"/patients/{patient_id}/billing", "front_desk").json()
    assert view["packages"][0]["status"] == "refunded"


@pytest.mark.parametrize(
    "body",
    [{"amount": 0.1, "method": "cash"}, {"amount": "NaN", "method": "cash"},
     {"amount": "-5", "method": "cash"}, {"amount": "1e12", "method": "cash"},
     {"amount": "5", "method": "crypto"}, {"amount": "5", "method": "cash", "currency": "USD"},
     {"amount": "5.001", "method": "cash"}, {"amount": "5", "method": "cash", "extra": 1},
     {"amount": "9" * 40, "method": "cash"}, {}, {"amount": "5", "method": "cash",
     "reference": "x" * 101}],
)  # fmt: skip
def test_malformed_payments_are_refused_without_a_server_error(
    clinic: Clinic, body: dict[str, Any]
) -> None:
    billed(clinic)
    sold = clinic.post(f"/patients/{clinic.world.patient()}/packages", "front_desk",
                       json={"code": "face-3"})  # fmt: skip
    invoice_id = sold.json()["invoice_id"]
    response = clinic.post(f"/invoices/{invoice_id}/payments", "front_desk", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert clinic.get(f"/invoices/{invoice_id}").json()["payments"] == []


def test_another_clinics_invoice_is_not_found_and_ids_out_of_range_are_refused(
    clinic: Clinic,
) -> None:
    billed(clinic)
    sold = clinic.post(f"/patients/{clinic.world.patient()}/packages", json={"code": "face-3"})
    invoice_id = sold.json()["invoice_id"]
    assert clinic.get(f"/invoices/{invoice_id}", "other_owner").status_code == 404
    assert clinic.get(f"/invoices/{invoice_id}/pdf", "other_owner").status_code == 404
    for bad in ("0", "-1", "99999999999", "abc"):
        assert clinic.get(f"/invoices/{bad}").status_code == 422
    assert clinic.get(f"/invoices/{invoice_id}", None).status_code == 401


def test_a_gift_card_is_issued_and_its_balance_read(clinic: Clinic) -> None:
    billed(clinic)
    card = clinic.post("/gift-cards", "front_desk", json={"amount": "50"})
    assert card.status_code == 201, card.text
    balance = clinic.get(f"/gift-cards/{card.json()['code']}", "front_desk").json()
    assert balance["balance"] == "50.00"
    assert clinic.get("/gift-cards/NOPE", "front_desk").status_code == 404


def test_a_session_is_redeemed_once_through_the_api(clinic: Clinic) -> None:
    billed(clinic)
    session = clinic.world.ready_session()
    clinic.post(f"/patients/{session.patient_id}/packages", json={"code": "face-3"})
    path = f"/appointments/{session.appointment_id}/redemption"
    first = clinic.post(path, "clinician", json={})
    assert first.status_code == 200 and first.json()["redemption_id"]
    again = clinic.post(path, "clinician", json={})
    assert again.status_code in (409, 422) and "redeemed already" in again.text
