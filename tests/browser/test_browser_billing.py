"""The front desk sells a plan's quote as a package, the clinician charts a session (which
redeems one session of the package), the front desk takes the payment on the clinic's card
terminal and prints the receipt, in Chromium against the shipped `microneedling web`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from tests.browser.browser_helpers import CLINICIAN, FRONT_DESK, OWNER, LiveApp, sign_in, sign_out

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


def test_the_front_desk_sells_a_plan_charting_redeems_a_session_and_the_receipt_prints(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path]
) -> None:
    owner = live_app.actor(OWNER)
    if settings.read_billing(live_app.uow(), owner, clock=live_app.clock) is None:
        settings.configure_billing(live_app.uow(), owner, BILLING, clock=live_app.clock)
    ids = live_app.patient(
        "Bella", "Buyer", screened=True, consent=True, plan=True, booked_now=True
    )
    sign_in(page, live_app, FRONT_DESK)
    page.goto(f"{live_app.url}/patients/{ids['patient']}/billing")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Packages and invoices")
    expect(page.get_by_text("No package yet.")).to_be_visible()
    shot("before")

    page.get_by_role("button", name=f"Sell plan {ids['plan']}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invoice DEMO-")
    total = page.locator("#invoice-total").inner_text()
    expect(page.locator("#invoice-status")).to_contain_text("Still due")

    invoice_url = page.url

    # The clinician charts today's session: it redeems one session of the package.
    page.goto(f"{live_app.url}/patients/{ids['patient']}/billing")
    sessions_left = page.locator("#packages-heading + .table-wrap tbody td.num").first
    before = sessions_left.inner_text()  # "3 of 3"
    left, _, held = before.partition(" of ")
    sign_out(page)
    sign_in(page, live_app, CLINICIAN)
    page.goto(f"{live_app.url}/patients/{ids['patient']}")
    page.get_by_role("link", name="Chart this session").click()
    page.wait_for_load_state()
    page.get_by_label("Device").select_option(index=1)
    page.get_by_label("Cartridge lot number").fill(live_app.good_lot)
    page.get_by_label("Cartridge lot number").press("Enter")
    expect(page.locator("#lot-status")).to_contain_text("usable until")
    page.get_by_label("Needles per cartridge").fill("12")
    page.get_by_label("Clinical endpoint").fill("uniform erythema")
    page.get_by_role("button", name="Sign and lock chart").click()
    expect(page.get_by_text("Chart signed and locked.")).to_be_visible()
    sign_out(page)
    sign_in(page, live_app, FRONT_DESK)
    page.goto(f"{live_app.url}/patients/{ids['patient']}/billing")
    expect(sessions_left).to_have_text(f"{int(left) - 1} of {held}")
    expect(page.locator(".redemptions")).to_contain_text(f"appointment {ids['appointment']}")
    shot("redeemed")
    page.goto(invoice_url)

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
