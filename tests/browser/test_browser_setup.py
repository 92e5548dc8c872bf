"""A new installation in Chromium, as its owner meets it: `microneedling web` without `--demo` on
a fresh database opens on the first-run setup; the owner sets up the clinic (a weak password is
refused with advice first), signs in, invites a clinician, who chooses a password through the invitation's link and signs
in. No page of it
shows the demo banner."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.browser.browser_helpers import OWNER, LiveApp
from tests.browser.browser_helpers import sign_in as browser_sign_in
from tests.browser.invitations import invitation_link
from tests.shipped_web import (
    SCREENSHOTS,
    ShippedWeb,
    Tabs,
    screenshot_name,
    start_shipped_web,
    stop_shipped_web,
)

OWNER_PASSWORD = "velvet lantern orbit cascade"
CLINICIAN_PASSWORD = "harbor quartz meadow violin"


@pytest.fixture
def new_installation(tmp_path: Path) -> Iterator[ShippedWeb]:
    shipped = start_shipped_web(tmp_path / "new-installation", demo=False)
    try:
        yield shipped
    finally:
        stop_shipped_web(shipped)
    assert "Traceback" not in shipped.output()


@pytest.fixture
def tab(
    chromium: Browser, new_installation: ShippedWeb, request: pytest.FixtureRequest
) -> Iterator[tuple[Page, str, Tabs]]:
    tabs = Tabs(chromium, new_installation.url)
    yield tabs.open({"width": 1024, "height": 768}), new_installation.url, tabs
    tabs.close()
    assert tabs.elsewhere == [], f"the pages asked for other sites: {tabs.elsewhere}"
    assert tabs.failures == [], f"errors in the page: {tabs.failures}"


def shoot(page: Page, request: pytest.FixtureRequest, step: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / f"{screenshot_name(request.node)}-{step}.png"), full_page=True
    )


def sign_in(page: Page, url: str, email: str, password: str) -> None:
    page.goto(url + "/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url + "/")


def test_the_owner_sets_up_the_clinic_invites_a_clinician_who_signs_in(
    tab: tuple[Page, str, Tabs], new_installation: ShippedWeb, request: pytest.FixtureRequest
) -> None:
    page, url, _ = tab
    page.goto(url + "/")
    page.wait_for_url(url + "/setup")
    expect(page.get_by_role("heading", name="Set up the clinic")).to_be_visible()
    expect(page.get_by_text("Demo installation")).to_have_count(0)
    shoot(page, request, "1-setup")

    page.get_by_label("Clinic's name").fill("Sunrise Skin Clinic")
    page.get_by_label("Time zone").select_option("Europe/Amsterdam")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Your e-mail address").fill("ada@sunrise.example")
    page.get_by_label("Password", exact=True).fill("Password1234")
    page.get_by_label("Password again").fill("Password1234")
    page.get_by_role("button", name="Set up the clinic").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("too easy to guess")
    expect(summary).to_contain_text("Add another word or two")
    expect(page.get_by_label("Clinic's name")).to_have_value("Sunrise Skin Clinic")
    shoot(page, request, "2-weak-password")

    page.get_by_label("Password", exact=True).fill(OWNER_PASSWORD)
    page.get_by_label("Password again").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Set up the clinic").click()
    page.wait_for_url(url + "/sign-in")
    expect(page.get_by_text("Sunrise Skin Clinic is set up.")).to_be_visible()
    shoot(page, request, "3-set-up")

    page.goto(url + "/setup")  # the setup is gone
    page.wait_for_url(url + "/sign-in")

    sign_in(page, url, "ada@sunrise.example", OWNER_PASSWORD)
    expect(page.get_by_role("link", name="Sunrise Skin Clinic")).to_be_visible()
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Dr Clara Jansen")
    page.get_by_label("E-mail address").fill("clara@sunrise.example")
    page.get_by_label("Clinician").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent to clara@sunrise.example")).to_be_visible()
    expect(page.get_by_role("table", name="Invitations sent")).to_contain_text("Dr Clara Jansen")
    shoot(page, request, "4-clinician-invited")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(url + "/sign-in")

    # Clara opens the link in the e-mail and chooses her password.
    page.goto(url + invitation_link(new_installation.database, "clara@sunrise.example"))
    expect(
        page.get_by_role("heading", name="Join the staff of Sunrise Skin Clinic")
    ).to_be_visible()
    page.get_by_label("Password", exact=True).fill(CLINICIAN_PASSWORD)
    page.get_by_label("Password again").fill(CLINICIAN_PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    page.wait_for_url(url + "/sign-in")
    expect(page.get_by_text("Your account is ready")).to_be_visible()
    shoot(page, request, "4b-clinician-joined")

    sign_in(page, url, "clara@sunrise.example", CLINICIAN_PASSWORD)
    expect(page.get_by_text("Dr Clara Jansen")).to_be_visible()
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    expect(page.get_by_text("Demo installation")).to_have_count(0)
    shoot(page, request, "5-clinician-signed-in")


def test_every_page_of_the_demo_says_it_is_a_demo(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path]
) -> None:
    page.goto(live_app.url + "/sign-in")
    banner = page.get_by_role("note")
    expect(banner).to_contain_text("Demo installation")
    expect(banner).to_contain_text("published")
    shot("sign-in")
    browser_sign_in(page, live_app, OWNER)
    expect(page.get_by_role("note")).to_contain_text("Demo installation")
    shot("today")


def test_the_owner_changes_a_members_role_and_closes_their_account(
    page: Page, live_app: LiveApp, shot: Callable[[str], Path]
) -> None:
    from microneedling.services import clinics

    email = f"rosa-{uuid.uuid4().hex[:6]}@demo.example"
    clinics.add_staff_member(
        live_app.uow(), live_app.actor(OWNER),
        {"email": email, "display_name": "Rosa Rolwisselaar", "role": "front_desk",
         "password": CLINICIAN_PASSWORD},
        clock=live_app.clock,
    )  # fmt: skip
    browser_sign_in(page, live_app, OWNER)
    page.goto(live_app.url + "/admin/staff")
    expect(page.get_by_role("button", name="Change the role of Olivia Owens")).to_have_count(0)
    page.get_by_label("New role for Rosa Rolwisselaar").select_option("clinician")
    page.get_by_role("button", name="Change the role of Rosa Rolwisselaar").click()
    expect(page.get_by_text("Rosa Rolwisselaar is now clinician")).to_be_visible()
    expect(page.get_by_label("New role for Rosa Rolwisselaar")).to_have_value("clinician")
    shot("role-changed")
    page.get_by_role("button", name="Close the account of Rosa Rolwisselaar").click()
    expect(page.get_by_text("Rosa Rolwisselaar's account is closed")).to_be_visible()
    expect(page.get_by_role("button", name="Change the role of Rosa Rolwisselaar")).to_have_count(0)
    shot("closed")
