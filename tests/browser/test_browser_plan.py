"""The plan builder: zones clicked on the map (and chosen with the keyboard), a concern per zone,
the depth range drawn on the map; the plan. (Booking its series: test_browser_booking.py.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from tests.browser.browser_helpers import CLINICIAN, LiveApp, sign_in


def test_a_clinician_builds_a_plan_on_the_zone_map(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path]
) -> None:
    ids = live_app.patient("Paula", "Planner", screened=True, consent=True)
    sign_in(page, live_app, CLINICIAN)
    page.goto(f"{live_app.url}/patients/{ids['patient']}")
    page.get_by_role("link", name="Plan treatment").click()
    page.wait_for_load_state()  # the page's scripts are ready
    expect(page.get_by_role("heading", level=1)).to_contain_text("Plan treatment")

    # A click on the cheeks on the map ticks them; the concern is chosen beside the map.
    page.locator("#map-cheeks ellipse").first.click()
    expect(page.locator("#treat-cheeks")).to_be_checked()
    expect(page.locator("#map-cheeks")).to_have_attribute("aria-checked", "true")
    page.get_by_label("Concern for cheeks").select_option("acne_scars")
    page.get_by_label("Type for cheeks (acne scars only)").select_option("rolling")
    expect(page.locator("#map-cheeks")).to_have_attribute(
        "aria-label", "Cheeks: acne scars, depth 1–1.5 mm"
    )
    expect(page.locator(".zone-map")).to_contain_text("1–1.5 mm")

    # The forehead with the keyboard: focus it on the map and press Space.
    expect(page.locator("#plan-form")).not_to_have_class(re.compile("htmx-request"))
    page.locator("#map-forehead").focus()
    page.keyboard.press("Space")
    expect(page.locator("#treat-forehead")).to_be_checked()
    page.get_by_label("Concern for forehead").select_option("fine_lines")
    expect(page.locator(".zone-map")).to_contain_text("0.25–0.5 mm")
    expect(page.locator("#plan-preview")).to_contain_text("sessions")
    shot("builder")

    page.get_by_role("button", name="Create plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Treatment plan")
    expect(page.get_by_role("heading", name="Quote")).to_be_visible()
    expect(page.get_by_text("Total: EUR")).to_be_visible()
    expect(page.get_by_role("heading", name="Before each session")).to_be_visible()
    expect(page.get_by_role("heading", name="What to expect")).to_be_visible()
    figure = page.get_by_role("img", name="Predicted collagen over the series")
    figure.scroll_into_view_if_needed()
    expect(figure).to_have_js_property("complete", True)
    assert figure.evaluate("img => img.naturalWidth") > 0
    handout = page.get_by_role("link", name="Handout as PDF")
    pdf = page.request.get(live_app.url + str(handout.get_attribute("href")))
    assert pdf.body().startswith(b"%PDF")
    shot("plan")

    expect(page.get_by_role("link", name="Book the series")).to_be_visible()
