"""The front desk sells a plan's quote as a package, takes the payment on the clinic's card
terminal and prints the receipt, in Chromium against the shipped `microneedling web`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from tests.browser.browser_helpers import FRONT_DESK, OWNER, LiveApp, sign_in

from microneedling.services.billing import settings

BILLING = {
    "currency": "EUR",
    "prices_include_tax": True,
    "tax_rates": {"standard": "21", "exempt": "0"},
    "tax_id": "NL000099998B57",
    "invoice_address": "Demo street 1, Leiden",
    "invoice_prefix": "DEMO-",
    "package_valid_months": 12,
}


def test_the_front_desk_sells_a_plan_takes_a_card_payment_and_prints_the_receipt(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path]
) -> None:
    owner = live_app.actor(OWNER)
    if settings.read_billing(live_app.uow(), owner, clock=live_app.clock) is None:
        settings.configure_billing(live_app.uow(), owner, BILLING, clock=live_app.clock)
    ids = live_app.patient("Bella", "Buyer", screened=True, consent=True, plan=True)
    sign_in(page, live_app, FRONT_DESK)
    page.goto(f"{live_app.url}/patients/{ids['patient']}/billing")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Packages and invoices")
    expect(page.get_by_text("No package yet.")).to_be_visible()
    shot("before")

    page.get_by_role("button", name=f"Sell plan {ids['plan']}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invoice DEMO-")
    total = page.locator("#invoice-total").inner_text()
    expect(page.locator("#invoice-status")).to_contain_text("Still due")

    # A typing mistake first: the form says what is wrong, beside the field.
    page.get_by_label("Amount").fill("12.345")
    page.get_by_label("Paid by").select_option("card")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator(".error-summary")).to_contain_text("at most 2 decimals")
    page.get_by_label("Amount").fill(total)
    page.get_by_label("Terminal or bank reference").fill("TERM-0042")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator("#invoice-status")).to_contain_text("Paid in full")
    expect(page.get_by_text("TERM-0042")).to_be_visible()
    shot("paid")

    receipt = page.get_by_role("link", name="Print receipt (PDF)")
    pdf = page.request.get(live_app.url + str(receipt.get_attribute("href")))
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    page.goto(f"{live_app.url}/patients/{ids['patient']}/billing")
    expect(page.locator("#packages-heading + .table-wrap")).to_contain_text("of")
    expect(page.get_by_role("link", name="PDF")).to_be_visible()
