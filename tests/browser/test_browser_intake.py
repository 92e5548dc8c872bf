"""The intake questionnaire with its follow-up questions, and the screening decision shown at
once with its reasons, sources and earliest date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect
from tests.browser.browser_helpers import FRONT_DESK, LiveApp, sign_in


def test_a_retinoid_stopped_three_days_ago_defers_treatment_with_its_date(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path]
) -> None:
    ids = live_app.patient("Rita", "Retinoid")
    sign_in(page, live_app, FRONT_DESK)
    page.goto(f"{live_app.url}/patients/{ids['patient']}")
    page.get_by_role("link", name="New intake").click()
    page.locator("#f-zones").get_by_label("Cheeks").check()
    page.locator("#f-zones").get_by_label("Forehead").check()
    stop_date = page.locator("#follow-topical_retinoid").get_by_label("Stopped on")
    expect(stop_date).to_be_hidden()
    page.get_by_label("Topical retinoid").check()
    expect(stop_date).to_be_visible()  # the follow-up question opens
    stopped = live_app.today - timedelta(days=3)
    stop_date.fill(stopped.isoformat())
    shot("questionnaire")
    page.get_by_role("button", name="Record intake and screen").click()
    earliest = live_app.today + timedelta(days=4)
    expect(page.locator("#decision-heading")).to_contain_text("Deferred until")
    expect(page.locator("#earliest-date")).to_have_text(earliest.isoformat())
    expect(page.locator("#decision")).to_contain_text("(4 days from today)")
    reasons = page.locator(".reasons")
    expect(reasons).to_contain_text("Topical retinoid")
    expect(reasons).to_contain_text(f"first possible day {earliest.isoformat()}")
    expect(reasons).to_contain_text("Sources: A1 (The Science Behind Microneedling")


def test_an_eligible_intake_with_acne_elsewhere_is_eligible(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path]
) -> None:
    ids = live_app.patient("Emma", "Eligible")
    sign_in(page, live_app, FRONT_DESK)
    page.goto(f"{live_app.url}/patients/{ids['patient']}/intakes/new")
    page.locator("#f-zones").get_by_label("Cheeks").check()
    page.get_by_label("Active acne").check()
    where = page.locator("#follow-acne_active")
    expect(where).to_be_visible()
    where.get_by_label("Back").check()  # acne on the back, treatment on the cheeks
    page.get_by_role("button", name="Record intake and screen").click()
    expect(page.locator("#decision-heading")).to_have_text("Eligible: treatment can go ahead")
    expect(page.locator("#earliest-date")).to_have_text(live_app.today.isoformat())
    expect(page.get_by_text("No finding limits treatment.")).to_be_visible()
    shot("eligible")
