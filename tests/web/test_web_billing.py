"""The billing pages: the front desk sells a plan's quote, takes a payment and prints the
receipt; malformed payments come back as form errors; only owners see and use the refund."""

from __future__ import annotations

import pytest
from tests.web.web_helpers import Clinic, error_summary, new_patient, token

from microneedling.services import plans
from microneedling.services.billing import settings

ACNE = {"treatments": [{"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}]}
BILLING = {
    "currency": "EUR",
    "prices_include_tax": True,
    "tax_rates": {"standard": "21", "exempt": "0"},
    "tax_id": "NL000099998B57",
    "invoice_prefix": "WEB-",
    "catalogue": {"face-3": {"label": "3 sessions face", "sessions": 3, "price": "540.00"}},
}


@pytest.fixture
def billed(clinic: Clinic) -> Clinic:
    settings.configure_billing(clinic.uow(), clinic.owner, BILLING, clock=clinic.clock)
    return clinic


def sold_invoice(clinic: Clinic) -> tuple[int, str, object]:
    patient_id = new_patient(clinic)
    plan_id = plans.create_plan(clinic.uow(), clinic.clinician, patient_id, ACNE,
                                clock=clinic.clock)  # fmt: skip
    desk = clinic.signed_in("front_desk")
    page = desk.get(f"/patients/{patient_id}/billing")
    assert page.status_code == 200 and f"Sell plan {plan_id}" in page.text
    sold = desk.post(
        f"/patients/{patient_id}/billing/sell-plan",
        data={"csrf_token": token(desk, f"/patients/{patient_id}/billing"), "plan_id": plan_id},
    )
    assert sold.status_code == 200 and "Invoice WEB-" in sold.text, sold.text[-2000:]
    return patient_id, str(sold.url).rsplit("/", 1)[-1], desk


def test_the_front_desk_sells_a_plan_takes_a_payment_and_prints_the_receipt(
    billed: Clinic,
) -> None:
    _, invoice_id, desk = sold_invoice(billed)
    assert "Refund" not in desk.get(f"/invoices/{invoice_id}").text  # type: ignore[attr-defined]
    page = desk.get(f"/invoices/{invoice_id}").text  # type: ignore[attr-defined]
    total = page.split('id="invoice-total">')[1].split("<")[0]
    paid = desk.post(  # type: ignore[attr-defined]
        f"/invoices/{invoice_id}/payments",
        data={"csrf_token": token(desk, f"/invoices/{invoice_id}"), "amount": total,  # type: ignore[arg-type]
              "method": "card", "reference": "TERM-7"},
    )  # fmt: skip
    assert paid.status_code == 200 and "Paid in full" in paid.text
    receipt = desk.get(f"/invoices/{invoice_id}/receipt.pdf")  # type: ignore[attr-defined]
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("amount", "method", "words"),
    [("-5", "cash", "negative"), ("NaN", "cash", "number"), ("1e12", "cash", "at most"),
     ("5.001", "cash", "decimals"), ("", "cash", "required"), ("5", "bitcoin", "choose"),
     ("99999", "cash", "still due"), ("5", "gift_card", "gift card"), ("<script>", "cash",
     "number")],
)  # fmt: skip
def test_a_malformed_payment_comes_back_as_a_form_error(
    billed: Clinic, amount: str, method: str, words: str
) -> None:
    _, invoice_id, desk = sold_invoice(billed)
    response = desk.post(  # type: ignore[attr-defined]
        f"/invoices/{invoice_id}/payments",
        data={"csrf_token": token(desk, f"/invoices/{invoice_id}"), "amount": amount,  # type: ignore[arg-type]
              "method": method},
    )  # fmt: skip
    assert response.status_code == 422
    assert any(words in message for message in error_summary(response.text)), error_summary(
        response.text
    )
    assert "<script>" not in response.text.split("<main")[1]


def test_an_owner_refunds_with_a_reason_and_gets_a_credit_note(billed: Clinic) -> None:
    _, invoice_id, desk = sold_invoice(billed)
    page = desk.get(f"/invoices/{invoice_id}").text  # type: ignore[attr-defined]
    total = page.split('id="invoice-total">')[1].split("<")[0]
    desk.post(  # type: ignore[attr-defined]
        f"/invoices/{invoice_id}/payments",
        data={"csrf_token": token(desk, f"/invoices/{invoice_id}"), "amount": total,  # type: ignore[arg-type]
              "method": "cash"},
    )  # fmt: skip
    owner = billed.signed_in("owner")
    refused = desk.post(  # type: ignore[attr-defined]
        f"/invoices/{invoice_id}/refund",
        data={"csrf_token": token(desk, f"/invoices/{invoice_id}"), "reason": "x",  # type: ignore[arg-type]
              "refund_method": "cash"},
    )  # fmt: skip
    assert refused.status_code == 403
    empty = owner.post(
        f"/invoices/{invoice_id}/refund",
        data={"csrf_token": token(owner, f"/invoices/{invoice_id}"), "reason": "",
              "refund_method": "cash"},
    )  # fmt: skip
    assert empty.status_code == 422
    credit = owner.post(
        f"/invoices/{invoice_id}/refund",
        data={"csrf_token": token(owner, f"/invoices/{invoice_id}"), "reason": "moving away",
              "refund_method": "bank_transfer"},
    )  # fmt: skip
    assert credit.status_code == 200 and "Credit note WEB-" in credit.text
    assert "moving away" in credit.text


def test_another_clinics_invoice_is_not_found(billed: Clinic) -> None:
    _, invoice_id, _ = sold_invoice(billed)
    other = billed.signed_in("other_owner")
    assert other.get(f"/invoices/{invoice_id}").status_code == 404
    assert other.get(f"/invoices/{invoice_id}/receipt.pdf").status_code == 404


def test_an_owner_sets_billing_up_on_a_typed_form_and_mistakes_come_back_beside_the_field(
    billed: Clinic,
) -> None:
    owner = billed.signed_in("owner")
    page = owner.get("/billing/settings")
    assert page.status_code == 200 and 'value="standard"' in page.text
    form = {
        "csrf_token": token(owner, "/billing/settings"), "currency": "EUR",
        "prices_include_tax": "on", "tax_rates.0.code": "standard", "tax_rates.0.percent": "21",
        "tax_rates.1.code": "reduced", "tax_rates.1.percent": "abc",
        "catalogue.0.code": "face-3", "catalogue.0.label": "3 sessions face",
        "catalogue.0.sessions": "3", "catalogue.0.price": "-1",
    }  # fmt: skip
    wrong = owner.post("/billing/settings", data=form)
    assert wrong.status_code == 422
    assert 'id="f-tax_rates-1-percent-error"' in wrong.text, error_summary(wrong.text)
    form["tax_rates.1.percent"] = "9"
    still = owner.post("/billing/settings", data=form)
    assert still.status_code == 422 and 'id="f-catalogue-0-price-error"' in still.text
    form["catalogue.0.price"] = "540"
    form["fees.late_cancellation"] = "forty"
    late = owner.post("/billing/settings", data=form)
    assert late.status_code == 422 and 'id="f-fees-late_cancellation-error"' in late.text
    form["fees.late_cancellation"], form["fees.no_show"] = "40", "60.00"
    saved = owner.post("/billing/settings", data=form)
    assert saved.status_code == 200 and "Billing settings saved." in saved.text
    assert 'value="reduced"' in saved.text
    assert 'value="40.00"' in saved.text and 'value="24"' in saved.text
    desk = billed.signed_in("front_desk")
    assert desk.get("/billing/settings").status_code == 403
