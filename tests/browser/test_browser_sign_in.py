"""Signing in and out in Chromium, with the mouse and with the keyboard alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from tests.browser.browser_helpers import CLINICIAN, OWNER, PASSWORD, LiveApp, sign_in


def test_a_new_member_of_staff_signs_in_sees_today_and_signs_out(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path]
) -> None:
    page.goto(live_app.url)
    expect(page).to_have_url(live_app.url + "/sign-in?next=/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shot("sign-in")
    page.get_by_label("E-mail address").fill(CLINICIAN)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong e-mail address or password")
    expect(page.get_by_label("E-mail address")).to_have_value(CLINICIAN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    expect(page.get_by_role("heading", name="Due for maintenance")).to_be_visible()
    expect(page.get_by_role("heading", name="Open adverse events")).to_be_visible()
    expect(page.get_by_role("heading", name="Cartridge lots near expiry")).to_be_visible()
    shot("today")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto(live_app.url + "/patients")
    expect(page).to_have_url(live_app.url + "/sign-in?next=/patients")


def test_signing_in_with_the_keyboard_alone_with_the_focus_always_visible(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path]
) -> None:
    focus_shown = "getComputedStyle(document.activeElement).outlineStyle !== 'none'"
    page.goto(live_app.url + "/sign-in")
    expect(page.get_by_label("E-mail address")).to_be_focused()  # ready to type
    page.keyboard.type(CLINICIAN)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    assert page.evaluate(focus_shown)
    page.keyboard.type(PASSWORD)
    shot("focus")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert page.evaluate(focus_shown)
    assert skip.bounding_box()["x"] >= 0  # type: ignore[index]  # shown on focus
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # from the main content on: the day's first control
    assert page.evaluate("document.activeElement.closest('main') !== null")
    assert page.evaluate(focus_shown)
    shot("skip-link")


def test_pages_fit_a_tablet_1024_pixels_wide(page: Page, live_app: LiveApp) -> None:
    ids = live_app.patient(
        "Tabitha", "Tablet", screened=True, consent=True, plan=True, booked_now=True
    )
    sign_in(page, live_app, OWNER)
    p = ids["patient"]
    for path in (
        "/",
        "/patients",
        f"/patients/{p}",
        f"/patients/{p}/intakes/new",
        f"/patients/{p}/plans/new",
        f"/plans/{ids['plan']}",
        f"/plans/{ids['plan']}/book",
        f"/appointments/{ids['appointment']}/chart",
        f"/patients/{p}/outcomes",
        f"/patients/{p}/photos",
        "/inventory",
        "/admin/staff",
        "/admin/prices",
        "/admin/calendar",
        "/admin/audit",
    ):
        page.goto(live_app.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px"
