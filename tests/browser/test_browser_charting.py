"""Charting a session: the cartridge lot entered (or scanned), an expired lot refused, the chart
signed and locked, then amended with its history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from tests.browser.browser_helpers import CLINICIAN, LiveApp, sign_in


def test_a_clinician_is_refused_an_expired_lot_then_signs_the_chart(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path]
) -> None:
    ids = live_app.patient(
        "Carla", "Charted", screened=True, consent=True, plan=True, booked_now=True
    )
    sign_in(page, live_app, CLINICIAN)
    page.goto(f"{live_app.url}/patients/{ids['patient']}")
    page.get_by_role("link", name="Chart this session").click()
    page.wait_for_load_state()  # the page's scripts are ready
    expect(page.get_by_role("heading", level=1)).to_contain_text("Chart the session")
    expect(page.get_by_text("Copied forward from plan")).to_be_visible()
    expect(page.get_by_label("Zone 1", exact=True)).to_have_value("cheeks")  # from the plan

    page.get_by_label("Device").select_option(index=1)
    lot = page.get_by_label("Cartridge lot number")
    lot.fill(live_app.expired_lot)
    lot.press("Enter")  # what a barcode scanner does: checked at once, not submitted
    expect(page.locator("#lot-status")).to_contain_text("expired on")
    expect(page.locator("#lot-status")).to_contain_text("charting will be refused")
    expect(page.get_by_label("Needles per cartridge")).to_be_focused()
    page.get_by_label("Needles per cartridge").fill("12")
    page.get_by_label("Clinical endpoint").fill("uniform erythema")
    page.get_by_label("Product 1", exact=True).fill("Hyaluronic glide")
    page.get_by_label("Product 1: purpose").select_option("glide")
    shot("expired-lot")
    page.get_by_role("button", name="Sign and lock chart").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text(f"lot {live_app.expired_lot} expired on")
    expect(page.get_by_label("Product 1", exact=True)).to_have_value("Hyaluronic glide")
    shot("refused")

    page.get_by_label("Cartridge lot number").fill(live_app.good_lot)
    page.get_by_label("Cartridge lot number").press("Enter")
    expect(page.locator("#lot-status")).to_contain_text("usable until")
    page.get_by_role("button", name="Sign and lock chart").click()
    expect(page.get_by_text("Chart signed and locked.")).to_be_visible()
    expect(page.locator("main")).to_contain_text(live_app.good_lot)

    page.get_by_role("link", name="Amend the chart").click()
    page.get_by_label("Why the chart is amended").fill("Depth on the cheeks was 1.5 mm")
    page.get_by_label("Zone 1: depth in mm").fill("1.5")
    page.get_by_role("button", name="Sign the amendment").click()
    expect(page.get_by_role("heading", name="Amendments")).to_be_visible()
    expect(page.locator("main")).to_contain_text("→ Cheeks 1.5 mm")
    shot("amended")
