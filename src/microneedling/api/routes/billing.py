"""Billing: the clinic's billing settings, selling packages (from a plan's quote or the
catalogue), invoices and their PDF, payments, refunds, redeeming a session, gift cards.

Amounts are JSON strings with the currency's decimals (``"120.50"``): a JSON number such as
``0.1`` is not exact, so it is refused.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from microneedling.api.context import IdInPath, Now, Uow
from microneedling.api.routing import ApiRouter
from microneedling.api.security import CurrentActor
from microneedling.clinical.dates import IsoDate
from microneedling.services.billing import balances, ledger, packages, settings

router = ApiRouter(tags=["billing"])

Amount = Annotated[
    str, Field(min_length=1, max_length=30, examples=["120.50"], description="A decimal string")
]
Method = Literal["cash", "card", "bank_transfer", "gift_card"]
ShortText = Annotated[str, Field(min_length=1, max_length=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CatalogueItemIn(_Strict):
    label: Annotated[str, Field(min_length=1, max_length=200)]
    sessions: Annotated[int, Field(ge=1, le=52)]
    price: Amount


class FeesIn(_Strict):
    late_cancel_hours: Annotated[int, Field(ge=1, le=168)] = 24
    late_cancellation: Amount | None = None
    no_show: Amount | None = None


class BillingSettingsIn(_Strict):
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
    prices_include_tax: bool = True
    tax_rates: Annotated[dict[str, Annotated[str, Field(max_length=10)]], Field(max_length=20)]
    treatment_tax: Annotated[str, Field(max_length=32)] | None = None
    tax_id: Annotated[str, Field(max_length=64)] | None = None
    invoice_address: Annotated[str, Field(max_length=300)] | None = None
    invoice_prefix: Annotated[str, Field(max_length=12)] = "INV-"
    package_valid_months: Annotated[int, Field(ge=1, le=120)] | None = None
    catalogue: Annotated[dict[str, CatalogueItemIn], Field(max_length=100)] = {}
    fees: FeesIn | None = None


class BillingSettingsOut(BaseModel):
    currency: str
    prices_include_tax: bool
    tax_rates: dict[str, str]
    treatment_tax: str
    tax_id: str | None
    invoice_address: str | None
    invoice_prefix: str
    package_valid_months: int | None
    catalogue: dict[str, dict[str, Any]]
    fees: dict[str, Any] | None = None


class PlanSaleIn(_Strict):
    series: (
        Annotated[list[Annotated[int, Field(ge=0, le=19)]], Field(min_length=1, max_length=20)]
        | None
    ) = None


class CatalogueSaleIn(_Strict):
    code: Annotated[str, Field(min_length=1, max_length=32)]


class SaleOut(BaseModel):
    invoice_id: int
    package_ids: list[int]


class PaymentIn(_Strict):
    amount: Amount
    method: Method
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    reference: ShortText | None = None
    gift_card_code: Annotated[str, Field(max_length=32)] | None = None


class RefundIn(_Strict):
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    amount: Amount | None = None
    method: Method = "cash"
    reference: ShortText | None = None
    gift_card_code: Annotated[str, Field(max_length=32)] | None = None


class RedeemIn(_Strict):
    package_id: Annotated[int, Field(ge=1, le=2_147_483_647)] | None = None


class RedeemOut(BaseModel):
    redemption_id: int | None = Field(description="None: the patient has no package to redeem")


class GiftCardIn(_Strict):
    amount: Amount


class GiftCardOut(BaseModel):
    id: int
    code: str
    invoice_id: int


class GiftCardBalanceOut(BaseModel):
    id: int
    code: str
    currency: str
    initial: str
    balance: str


class InvoiceLineOut(BaseModel):
    position: int
    description: str
    quantity: int
    tax_code: str
    tax_percent: str
    net: str
    tax: str
    total: str
    package_id: int | None


class PaymentOut(BaseModel):
    id: int
    method: str
    amount: str
    reference: str | None
    received_at: str


class InvoiceOut(BaseModel):
    id: int
    kind: Literal["invoice", "credit_note"]
    number: int
    display_number: str
    patient_id: int | None
    credits_invoice_id: int | None
    issued_on: str
    currency: str
    net: str
    tax: str
    total: str
    reason: str | None
    seller: dict[str, Any]
    lines: list[InvoiceLineOut]
    payments: list[PaymentOut]
    amounts: dict[str, str] | None = Field(description="total, paid, credited, refunded, due…")


class PackageOut(BaseModel):
    id: int
    label: str
    sessions: int
    redeemed: int
    left: int
    status: str
    plan_id: int | None
    series_index: int | None
    catalogue_code: str | None
    currency: str
    price: str
    unredeemed_value: str
    sold_on: str
    expires_on: str | None
    invoice_id: int
    price_list_sha256: str | None
    redemptions: list[dict[str, Any]]


class PatientBillingOut(BaseModel):
    patient_id: int
    patient: str
    today: str
    packages: list[PackageOut]
    invoices: list[InvoiceOut]


@router.get(
    "/billing/settings", response_model=BillingSettingsOut | None, summary="Billing settings"
)
def read_settings(actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any] | None:
    return settings.read_billing(uow, actor, clock=clock)


@router.put("/billing/settings", response_model=BillingSettingsOut, summary="Set billing")
def configure(body: BillingSettingsIn, actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    """Owners: currency (the price list's), tax rates, invoice details, package validity and
    the catalogue."""
    data = body.model_dump(exclude_none=True)
    return settings.configure_billing(uow, actor, data, clock=clock)


@router.post(
    "/plans/{plan_id}/sale", status_code=201, response_model=SaleOut, summary="Sell a plan"
)
def sell_plan(
    plan_id: IdInPath, body: PlanSaleIn, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    """One package per series of the plan's quote, on one numbered invoice."""
    return packages.sell_plan(uow, actor, plan_id, series=body.series, clock=clock)


@router.post(
    "/patients/{patient_id}/packages",
    status_code=201,
    response_model=SaleOut,
    summary="Sell a catalogue package",
)
def sell_catalogue(
    patient_id: IdInPath, body: CatalogueSaleIn, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    return packages.sell_catalogue(uow, actor, patient_id, body.code, clock=clock)


@router.get(
    "/patients/{patient_id}/billing",
    response_model=PatientBillingOut,
    summary="A patient's packages and invoices",
)
def patient_billing(
    patient_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    return packages.patient_billing(uow, actor, patient_id, clock=clock)


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, summary="An invoice")
def read_invoice(invoice_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    return ledger.read_invoice(uow, actor, invoice_id, clock=clock)


@router.get(
    "/invoices/{invoice_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
    summary="An invoice or receipt as PDF",
)
def invoice_pdf(invoice_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now) -> Response:
    from microneedling.documents.receipt import render_receipt  # fpdf: when first asked

    view = ledger.read_invoice(uow, actor, invoice_id, clock=clock)
    return Response(
        render_receipt(view),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{view["display_number"]}.pdf"'},
    )


@router.post(
    "/invoices/{invoice_id}/payments",
    status_code=201,
    response_model=InvoiceOut,
    summary="Record a payment",
)
def record_payment(
    invoice_id: IdInPath, body: PaymentIn, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    """At most what is still due; a gift card's balance pays at most what it holds."""
    ledger.record_payment(uow, actor, invoice_id, clock=clock, **body.model_dump())
    return ledger.read_invoice(uow, actor, invoice_id, clock=clock)


@router.post(
    "/invoices/{invoice_id}/refund",
    status_code=201,
    response_model=InvoiceOut,
    summary="Refund (owners): a credit note",
)
def refund(
    invoice_id: IdInPath, body: RefundIn, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    """Without an amount: the unredeemed sessions' value. Returns the credit note."""
    credit_id = ledger.refund(uow, actor, invoice_id, clock=clock, **body.model_dump())
    return ledger.read_invoice(uow, actor, credit_id, clock=clock)


@router.post(
    "/appointments/{appointment_id}/redemption",
    response_model=RedeemOut,
    summary="Redeem a session of the patient's package",
)
def redeem(
    appointment_id: IdInPath, body: RedeemIn, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    found = packages.redeem_for_appointment(
        uow, actor, appointment_id, package_id=body.package_id, clock=clock
    )
    return {"redemption_id": found}


@router.post("/gift-cards", status_code=201, response_model=GiftCardOut, summary="Gift card")
def issue_gift_card(body: GiftCardIn, actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    """A new card with a random code, sold on an invoice of its own."""
    return ledger.issue_gift_card(uow, actor, amount=body.amount, clock=clock)


@router.get(
    "/gift-cards/{code}", response_model=GiftCardBalanceOut, summary="A gift card's balance"
)
def gift_card_balance(
    code: Annotated[str, Path(min_length=1, max_length=32)],
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
) -> dict[str, Any]:
    return ledger.gift_card_balance(uow, actor, code, clock=clock)


class TransferIn(_Strict):
    to_patient_id: Annotated[int, Field(ge=1, le=2_147_483_647)]
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class UnredeemedOut(BaseModel):
    on: str
    packages: list[dict[str, Any]]
    expired: list[dict[str, Any]]
    totals: dict[str, str]


class BookEntryOut(BaseModel):
    id: int
    number: int
    display_number: str
    kind: str
    issued_on: str
    patient_id: int | None
    currency: str
    net: str
    tax: str
    total: str
    due: str | None


@router.get(
    "/billing/unredeemed",
    response_model=UnredeemedOut,
    summary="Prepaid sessions not yet redeemed, and their value",
)
def unredeemed(
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    on: Annotated[IsoDate | None, Query(description="The day (default: today)")] = None,
) -> dict[str, Any]:
    return balances.unredeemed_value(uow, actor, on=on, clock=clock)


@router.get("/invoices", response_model=list[BookEntryOut], summary="The clinic's invoices")
def list_invoices(
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    first: Annotated[IsoDate | None, Query(description="Issued on or after")] = None,
    last: Annotated[IsoDate | None, Query(description="Issued on or before")] = None,
) -> list[dict[str, Any]]:
    """Owners: invoices and credit notes by number, with what is still due."""
    return balances.list_invoices(uow, actor, first=first, last=last, clock=clock)


@router.post(
    "/packages/{package_id}/transfer",
    status_code=204,
    response_class=Response,
    summary="Move a package to another patient (owners)",
)
def transfer(
    package_id: IdInPath, body: TransferIn, actor: CurrentActor, uow: Uow, clock: Now
) -> Response:
    balances.transfer_package(
        uow, actor, package_id, body.to_patient_id, reason=body.reason, clock=clock
    )
    return Response(status_code=204)
