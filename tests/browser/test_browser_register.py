"""Registering a patient: a mistake is explained and what was typed is kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from tests.browser.browser_helpers import FRONT_DESK, LiveApp, sign_in


def test_front_desk_registers_a_patient_after_fixing_a_mistake(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path]
) -> None:
    sign_in(page, live_app, FRONT_DESK)
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("Given name").fill("Marta")
    page.get_by_label("Date of birth").fill("1991-07-23")
    page.get_by_label("Female").check()
    page.get_by_label("Fitzpatrick skin type").select_option("3")
    page.get_by_label("Phone number").fill("+31 6 1234 5678")
    page.get_by_role("button", name="Register patient").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Family name: is required")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Given name")).to_have_value("Marta")
    expect(page.get_by_label("Phone number")).to_have_value("+31 6 1234 5678")
    shot("mistake")
    summary.get_by_role("link", name="Family name: is required").click()
    expect(page.get_by_label("Family name")).to_be_focused()
    page.keyboard.type("Kowalczyk-Ruiz")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Marta Kowalczyk-Ruiz")
    expect(page.get_by_text("Registered Marta Kowalczyk-Ruiz.")).to_be_visible()
    expect(page.get_by_text("not screened yet")).to_be_visible()
    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Find a patient by name, phone number, e-mail address or date of birth").fill(
        "Kowal"
    )
    # The search waits 300 ms after typing, then asks the server (slow on a busy test machine).
    expect(page.locator("#results")).to_contain_text("Kowalczyk-Ruiz, Marta", timeout=15_000)
