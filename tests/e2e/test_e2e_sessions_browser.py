"""Passwords and sessions in Chromium, on the product as the README starts it (tests/shipped_web.py):
a clinician changes their password and their other browser is signed out; an owner sees where a
clinician is signed in, resets their password and hands over the one-time password; the clinician
signs in with it and can open nothing but the password page until they have chosen their own.

Everything is done through the forms, as people do it; the member of staff is added the quick way
(what the test is not about), with a password of their own, so the demo's accounts are untouched.
Screenshots of every step go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from tests.shipped_web import ShippedWeb

from microneedling.services import clinics
from microneedling.services.maintenance import unit_of_work

DEMO_PASSWORD = "microneedling-demo"
OWNER = "owner@demo.example"
FIRST_PASSWORD = "harbor quartz meadow violin"
OWN_PASSWORD = "copper willow nebula tandem"
LATER_PASSWORD = "saffron glacier pocket hymn"

Shot = Callable[[Page, str], Path]


def _new_clinician(web: ShippedWeb) -> tuple[str, str]:
    uow = unit_of_work(web.database, web.settings)
    owner = clinics.local_operator(uow, OWNER)
    email = f"pia-{uuid.uuid4().hex[:8]}@demo.example"
    name = f"Pia Walker {email[4:8]}"
    clinics.add_staff_member(
        unit_of_work(web.database, web.settings),
        owner,
        {"email": email, "display_name": name, "role": "clinician", "password": FIRST_PASSWORD},
        clock=web.clock,
    )
    return email, name


def _sign_in(page: Page, web: ShippedWeb, email: str, password: str) -> None:
    page.goto(web.url + "/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _choose_password(page: Page, current: str, new: str) -> None:
    page.get_by_label("Current password").fill(current)
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("New password again").fill(new)
    page.get_by_role("button", name="Change password").click()


def test_changing_a_password_signs_the_other_browser_out(
    shipped_web: ShippedWeb, open_tab: Callable[..., Page], shot: Shot
) -> None:
    email, name = _new_clinician(shipped_web)
    desk, tablet = open_tab(), open_tab()
    for page in (desk, tablet):
        _sign_in(page, shipped_web, email, FIRST_PASSWORD)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    desk.get_by_role("link", name=re.compile(name)).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Your account")
    shot(desk, "account")
    desk.get_by_role("link", name="Change your password").click()
    # A weak one first: the page says why, and keeps nothing typed.
    _choose_password(desk, FIRST_PASSWORD, "password1234")
    expect(desk.get_by_role("alert").first).to_contain_text("too easy to guess")
    expect(desk.get_by_label("Current password")).to_have_value("")
    shot(desk, "weak")
    _choose_password(desk, FIRST_PASSWORD, OWN_PASSWORD)
    expect(desk.get_by_role("status")).to_contain_text(
        "Your password was changed. You were signed out everywhere else (1 other sign-in)."
    )
    shot(desk, "changed")
    tablet.get_by_role("link", name="Patients", exact=True).click()
    expect(tablet).to_have_url(re.compile(r"/sign-in"))
    expect(tablet.get_by_role("alert")).to_contain_text("the password of this account was changed")
    shot(tablet, "other-browser-signed-out")
    _sign_in(tablet, shipped_web, email, OWN_PASSWORD)
    expect(tablet.get_by_role("heading", level=1)).to_contain_text("Today")


def test_an_owner_resets_a_password_and_the_clinician_must_change_it_at_sign_in(
    shipped_web: ShippedWeb, open_tab: Callable[..., Page], shot: Shot
) -> None:
    email, name = _new_clinician(shipped_web)
    clinician, owner = open_tab(), open_tab()
    _sign_in(clinician, shipped_web, email, FIRST_PASSWORD)
    expect(clinician.get_by_role("heading", level=1)).to_contain_text("Today")
    _sign_in(owner, shipped_web, OWNER, DEMO_PASSWORD)
    owner.get_by_role("link", name="Admin").click()
    owner.get_by_role("link", name=f"Sign-ins and password of {name}").click()
    expect(owner.get_by_role("heading", name="Where they are signed in")).to_be_visible()
    expect(owner.get_by_role("cell", name="127.0.0.1", exact=True)).to_be_visible()
    expect(owner.get_by_text("HeadlessChrome").first).to_be_visible()
    shot(owner, "sign-ins")
    owner.get_by_role("button", name=f"Reset the password of {name}").click()
    one_time = owner.locator("#one-time-password").inner_text().strip()
    assert re.fullmatch(r"([a-z2-9]{5}-){3}[a-z2-9]{5}", one_time)
    expect(owner.get_by_text("it is shown only this once")).to_be_visible()
    expect(owner.get_by_text("Not signed in to the pages anywhere.")).to_be_visible()
    shot(owner, "one-time-password")
    # Shown once: gone when the page is opened again.
    owner.get_by_role("link", name="All staff").click()
    owner.get_by_role("link", name=f"Sign-ins and password of {name}").click()
    expect(owner.locator("#one-time-password")).to_have_count(0)

    clinician.get_by_role("link", name="Patients", exact=True).click()
    expect(clinician).to_have_url(re.compile(r"/sign-in"))
    expect(clinician.get_by_role("alert")).to_contain_text("password of this account was changed")
    _sign_in(clinician, shipped_web, email, one_time)
    expect(clinician).to_have_url(shipped_web.url + "/account/password")
    expect(clinician.get_by_role("alert")).to_contain_text("An owner of the clinic reset your")
    shot(clinician, "must-change")
    clinician.get_by_role("link", name="Patients", exact=True).click()  # nothing else opens
    expect(clinician).to_have_url(shipped_web.url + "/account/password")
    _choose_password(clinician, one_time, LATER_PASSWORD)
    expect(clinician.get_by_role("status")).to_contain_text("Your password was changed.")
    clinician.get_by_role("link", name="Patients", exact=True).click()
    expect(clinician).to_have_url(re.compile(r"/patients"))
    shot(clinician, "free-again")
