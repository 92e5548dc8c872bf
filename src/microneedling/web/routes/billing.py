"""Billing pages: a patient's packages and invoices, selling a plan's quote or a catalogue
package, an invoice with its payments (take a payment, refund as an owner), and its PDF receipt."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.errors import PermissionDenied, UserError
from microneedling.services import patients
from microneedling.services.billing import ledger, packages, settings
from microneedling.services.billing.access import billing_allowed
from microneedling.store.billing_models import PAYMENT_METHODS
from microneedling.web.context import Page, RecordId, posted_form, staff_page
from microneedling.web.forms import Form
from microneedling.web.routes.patients import full_name

router = APIRouter()

METHOD_LABELS = {
    "cash": "Cash",
    "card": "Card (the clinic's terminal)",
    "bank_transfer": "Bank transfer",
    "gift_card": "Gift card",
}
assert set(METHOD_LABELS) == set(PAYMENT_METHODS)
SALE_LABELS = {"plan_id": "Plan", "code": "Package"}
PAYMENT_LABELS = {
    "amount": "Amount",
    "method": "Paid by",
    "reference": "Terminal or bank reference",
    "gift_card_code": "Gift card code",
}
REFUND_LABELS = {
    "reason": "Reason",
    "refund_amount": "Amount to refund",
    "refund_method": "Paid back by",
}


def _catalogue(configured: dict[str, Any] | None) -> list[tuple[str, str]]:
    if configured is None:
        return []
    currency = configured["currency"]
    return [
        (code, f"{item['label']} ({item['sessions']} sessions, {item['price']} {currency})")
        for code, item in configured["catalogue"].items()
    ]


def _billing_page(page: Page, patient_id: int, form: Form, status: int = 200) -> Response:
    patient = page.run(patients.read_patient, patient_id)
    view = page.run(packages.patient_billing, patient_id)
    configured = page.run(settings.read_billing)
    return page.render(
        "billing.html.j2",
        status,
        title=f"Packages and invoices: {full_name(patient)}",
        section="patients",
        patient=patient,
        name=full_name(patient),
        billing=view,
        plans=page.run(packages.sellable_plans, patient_id),
        catalogue=_catalogue(configured),
        configured=configured is not None,
        form=form,
    )


@router.get("/patients/{patient_id}/billing")
def billing_page(patient_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    return _billing_page(page, patient_id, Form.blank(SALE_LABELS))


@router.post("/patients/{patient_id}/billing/sell-plan")
def sell_plan(
    patient_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    form.labels = SALE_LABELS
    plan_id = form.integer("plan_id", required=True, low=1, high=2**31 - 1)
    if form.ok and plan_id is not None:
        try:
            sold = page.run(packages.sell_plan, plan_id)
        except PermissionDenied:
            raise  # the refusal page (403), not a form error
        except UserError as error:
            form.add_user_error(error, {"series": "plan_id"})
        else:
            page.flash("Package sold: take the payment now or later.")
            return page.redirect(f"/invoices/{sold['invoice_id']}")
    return _billing_page(page, patient_id, form, 422)


@router.post("/patients/{patient_id}/billing/sell")
def sell_catalogue(
    patient_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    form.labels = SALE_LABELS
    code = form.text("code", required=True, max_length=32)
    if form.ok and code is not None:
        try:
            sold = page.run(packages.sell_catalogue, patient_id, code)
        except PermissionDenied:
            raise  # the refusal page (403), not a form error
        except UserError as error:
            form.add_user_error(error)
        else:
            page.flash("Package sold: take the payment now or later.")
            return page.redirect(f"/invoices/{sold['invoice_id']}")
    return _billing_page(page, patient_id, form, 422)


def _invoice_page(page: Page, invoice_id: int, form: Form, status: int = 200) -> Response:
    invoice = page.run(ledger.read_invoice, invoice_id)
    return page.render(
        "billing_invoice.html.j2",
        status,
        title=f"{'Credit note' if invoice['kind'] == 'credit_note' else 'Invoice'} "
        f"{invoice['display_number']}",
        section="patients",
        invoice=invoice,
        methods=list(METHOD_LABELS.items()),
        can_refund=billing_allowed(page.actor.role, "billing.refund"),
        form=form,
    )


@router.get("/invoices/{invoice_id}")
def invoice_page(invoice_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    return _invoice_page(page, invoice_id, Form.blank({**PAYMENT_LABELS, **REFUND_LABELS}))


@router.post("/invoices/{invoice_id}/payments")
def take_payment(
    invoice_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    form.labels = {**PAYMENT_LABELS, **REFUND_LABELS}
    amount = form.text("amount", required=True, max_length=30)
    method = form.choice("method", METHOD_LABELS, required=True)
    reference = form.text("reference", max_length=100)
    code = form.text("gift_card_code", max_length=32)
    if method == "gift_card" and not code:
        form.add("gift_card_code", "give the gift card's code")
    if form.ok:
        try:
            page.run(ledger.record_payment, invoice_id, amount=amount, method=method,
                     reference=reference, gift_card_code=code)  # fmt: skip
        except PermissionDenied:
            raise  # the refusal page (403), not a form error
        except UserError as error:
            form.add_user_error(error)
        else:
            page.flash("Payment recorded.")
            return page.redirect(f"/invoices/{invoice_id}")
    return _invoice_page(page, invoice_id, form, 422)


@router.post("/invoices/{invoice_id}/refund")
def refund(
    invoice_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    form.labels = {**PAYMENT_LABELS, **REFUND_LABELS}
    reason = form.text("reason", required=True, max_length=500)
    amount = form.text("refund_amount", max_length=30)
    method = form.choice("refund_method", METHOD_LABELS, required=True)
    if method == "gift_card":
        form.add("refund_method", "pay a refund back by cash, card or bank transfer here")
    if form.ok:
        try:
            credit_id = page.run(ledger.refund, invoice_id, reason=reason, amount=amount,
                                 method=method)  # fmt: skip
        except PermissionDenied:
            raise  # the refusal page (403), not a form error
        except UserError as error:
            form.add_user_error(error, {"amount": "refund_amount", "method": "refund_method"})
        else:
            page.flash("Refunded: the credit note is below.")
            return page.redirect(f"/invoices/{credit_id}")
    return _invoice_page(page, invoice_id, form, 422)


@router.get("/invoices/{invoice_id}/receipt.pdf")
def receipt_pdf(invoice_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    from microneedling.documents.receipt import render_receipt  # fpdf: when first asked

    invoice: dict[str, Any] = page.run(ledger.read_invoice, invoice_id)
    return Response(
        render_receipt(invoice),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{invoice["display_number"]}.pdf"'},
    )
