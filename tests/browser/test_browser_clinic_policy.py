"""The owner's clinic policy form (REFERENCE.md A.7) in a browser: a value outside its bounds is
named beside its field and in the summary, a good one is saved and shown with its reset button,
and resetting restores the default."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from tests.browser.browser_helpers import OWNER, LiveApp, sign_in

from microneedling.services import clinics


def test_the_owner_sets_and_resets_the_minimum_age(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path]
) -> None:
    owner = live_app.actor(OWNER)
    try:
        sign_in(page, live_app, OWNER)
        page.goto(live_app.url + "/admin/policy")
        age = page.get_by_label("Minimum age (years)")
        expect(age).to_have_value("")
        expect(page.get_by_text("Default 18 years; from 18 to 25.")).to_be_visible()
        age.fill("12")
        page.get_by_role("button", name="Save clinic policy").click()
        expect(page.get_by_role("alert")).to_contain_text(
            "Minimum age (years): Enter a whole number from 18 to 25"
        )
        shot("refused")
        page.get_by_label("Minimum age (years)").fill("21")
        page.get_by_role("button", name="Save clinic policy").click()
        expect(page.get_by_text("Clinic policy saved")).to_be_visible()
        expect(page.get_by_label("Minimum age (years)")).to_have_value("21")
        shot("saved")
        page.get_by_role("button", name="Reset Minimum age to its default").click()
        expect(page.get_by_text("Restored the shipped default")).to_be_visible()
        expect(page.get_by_label("Minimum age (years)")).to_have_value("")
    finally:
        clinics.reset_policy_values(live_app.uow(), owner, [])
