"""Billing pages: a patient's packages and invoices, selling a plan's quote or a catalogue
package, an invoice with its payments (take a payment, refund as an owner), and its PDF receipt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.errors import PermissionDenied, UserError
from microneedling.services import clinics, patients
from microneedling.services.billing import ledger, packages, settings
from microneedling.services.billing.access import BillingRoleRefused, billing_allowed
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


# Billing settings (owners) ---------------------------------------------------------------------

RATE_ROWS = 4
ITEM_ROWS = 4
SETTINGS_LABELS: dict[str, str] = {
    "currency": "Currency",
    "prices_include_tax": "Prices include tax",
    "treatment_tax": "Tax rate on treatments (its code)",
    "tax_id": "Tax identifier (VAT number)",
    "invoice_address": "Address on invoices",
    "invoice_prefix": "Invoice number prefix",
    "package_valid_months": "Packages valid for (months)",
    "fees.late_cancel_hours": "Late if cancelled less than (hours) before",
    "fees.late_cancellation": "Late-cancellation fee",
    "fees.no_show": "No-show fee",
    **{f"tax_rates.{n}.code": f"Tax rate {n + 1}: code" for n in range(RATE_ROWS)},
    **{f"tax_rates.{n}.percent": f"Tax rate {n + 1}: percent" for n in range(RATE_ROWS)},
    **{f"catalogue.{n}.{key}": f"Catalogue item {n + 1}: {key}" for n in range(ITEM_ROWS)
       for key in ("code", "label", "sessions", "price")},
}  # fmt: skip


def settings_form(found: dict[str, Any] | None, currency: str | None) -> Form:
    values: dict[str, Any] = {"currency": currency or "EUR", "prices_include_tax": "on",
                              "invoice_prefix": "INV-", "tax_rates.0.code": "standard"}  # fmt: skip
    if found:
        values = {
            "currency": found["currency"],
            "prices_include_tax": "on" if found["prices_include_tax"] else None,
            "treatment_tax": found["treatment_tax"],
            "tax_id": found["tax_id"],
            "invoice_address": found["invoice_address"],
            "invoice_prefix": found["invoice_prefix"],
            "package_valid_months": found["package_valid_months"],
        }
        for key, value in (found.get("fees") or {}).items():
            values[f"fees.{key}"] = value
        for n, (code, rate) in enumerate(found["tax_rates"].items()):
            values[f"tax_rates.{n}.code"], values[f"tax_rates.{n}.percent"] = code, rate
        for n, (code, item) in enumerate(found["catalogue"].items()):
            values[f"catalogue.{n}.code"] = code
            for key in ("label", "sessions", "price"):
                values[f"catalogue.{n}.{key}"] = item[key]
    return Form.blank(SETTINGS_LABELS, **values)


def _settings_page(page: Page, form: Form, status: int = 200) -> Response:
    return page.render(
        "billing_settings.html.j2",
        status,
        title="Billing settings",
        section="admin",
        form=form,
        rates=range(RATE_ROWS),
        items=range(ITEM_ROWS),
    )


def _refuse_unless_owner(page: Page) -> None:
    if not billing_allowed(page.actor.role, "billing.configure"):
        raise BillingRoleRefused(page.actor.role, "billing.configure")


@router.get("/billing/settings")
def settings_page(page: Page = Depends(staff_page)) -> Response:
    _refuse_unless_owner(page)
    found = page.run(settings.read_billing)
    currency = (page.run(clinics.clinic_settings) or {}).get("price_list") or {}
    return _settings_page(page, settings_form(found, currency.get("currency")))


@router.post("/billing/settings")
def save_settings(page: Page = Depends(staff_page), form: Form = Depends(posted_form)) -> Response:
    _refuse_unless_owner(page)
    form.labels = SETTINGS_LABELS
    data: dict[str, Any] = {
        "currency": (form.text("currency", required=True, max_length=3) or "").upper(),
        "prices_include_tax": form.checked("prices_include_tax"),
        "tax_id": form.text("tax_id", max_length=64),
        "invoice_address": form.text("invoice_address", max_length=300),
        "invoice_prefix": form.text("invoice_prefix", max_length=12) or "",
        "package_valid_months": form.integer("package_valid_months", low=1, high=120),
    }
    rates: dict[str, str] = {}
    for n in range(RATE_ROWS):
        code = form.text(f"tax_rates.{n}.code", max_length=32)
        percent = form.text(f"tax_rates.{n}.percent", max_length=10)
        if code and percent is None:
            form.add(f"tax_rates.{n}.percent", "give the rate, such as 21")
        elif percent and code is None:
            form.add(f"tax_rates.{n}.code", "give the rate a code, such as standard")
        elif code and percent:
            rates[code] = percent
    data["tax_rates"] = rates
    treatment = form.text("treatment_tax", max_length=32)
    if treatment:
        data["treatment_tax"] = treatment
    catalogue: dict[str, Any] = {}
    for n in range(ITEM_ROWS):
        code = form.text(f"catalogue.{n}.code", max_length=32)
        label = form.text(f"catalogue.{n}.label", max_length=200)
        sessions = form.integer(f"catalogue.{n}.sessions", low=1, high=52)
        price = form.text(f"catalogue.{n}.price", max_length=30)
        if code or label or sessions or price:
            if not (code and label and sessions and price):
                form.add(
                    f"catalogue.{n}.code", "an item needs a code, a label, sessions and a price"
                )
            else:
                catalogue[code] = {"label": label, "sessions": sessions, "price": price}
    data["catalogue"] = catalogue
    fees = {
        "late_cancel_hours": form.integer("fees.late_cancel_hours", low=1, high=168),
        "late_cancellation": form.text("fees.late_cancellation", max_length=30),
        "no_show": form.text("fees.no_show", max_length=30),
    }
    if fees["late_cancellation"] or fees["no_show"]:
        data["fees"] = {key: value for key, value in fees.items() if value is not None}
    if data["package_valid_months"] is None:
        del data["package_valid_months"]
    if form.ok:
        try:
            page.run(settings.configure_billing, data)
        except PermissionDenied:
            raise
        except UserError as error:
            form.add_user_error(error, _settings_field(rates, catalogue))
        else:
            page.flash("Billing settings saved.")
            return page.redirect("/billing/settings")
    return _settings_page(page, form, 422)


def _settings_field(
    rates: dict[str, str], catalogue: dict[str, Any]
) -> Callable[[str], str | None]:
    """A settings path (``tax_rates.standard``, ``catalogue.face-3.price``) → the form's field."""
    rate_rows = {code: n for n, code in enumerate(rates)}
    item_rows = {code: n for n, code in enumerate(catalogue)}

    def where(path: str) -> str | None:
        parts = path.split(".")
        if parts[0] == "tax_rates":
            row = rate_rows.get(parts[1]) if len(parts) > 1 else 0
            return f"tax_rates.{row or 0}.{'percent' if len(parts) > 1 else 'code'}"
        if parts[0] == "catalogue" and len(parts) > 1:
            row = item_rows.get(parts[1], 0)
            return f"catalogue.{row}.{parts[2] if len(parts) > 2 else 'code'}"
        return path if path in SETTINGS_LABELS else None

    return where
