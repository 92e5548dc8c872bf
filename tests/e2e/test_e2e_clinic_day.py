"""A whole day of a clinic, in Chromium, on the product exactly as the README starts it
(``microneedling web --demo --today 2026-12-08`` in a subprocess: tests/shipped_web.py), at a
desktop's and a tablet's width. Nothing is prepared behind the pages' back: every record is made
through the forms, as the people at the front desk, the clinician and the owner make them.

Screenshots of every step go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from icalendar import Calendar
from PIL import Image
from playwright.sync_api import Page, expect
from tests.shipped_web import DESKTOP, TABLET, ShippedWeb

PASSWORD = "microneedling-demo"
OWNER = "owner@demo.example"
CLINICIAN = "clinician@demo.example"
FRONT_DESK = "frontdesk@demo.example"

#: One patient per width, with a name no Latin-1 font can print.
PATIENTS = {
    "desktop": ("Lan", "Nguyễn 王芳", "1988-03-14"),
    "tablet": ("Mai", "Nguyễn 李娜", "1990-11-02"),
}

Shot = Callable[[Page, str], Path]


def sign_in(page: Page, web: ShippedWeb, email: str) -> None:
    page.goto(web.url + "/")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(web.url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def fits(page: Page) -> None:
    """Nothing on the page scrolls sideways."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px"


def open_record(page: Page, web: ShippedWeb, search: str, listed_as: str) -> None:
    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_role("searchbox").first.fill(search)
    page.get_by_role("searchbox").first.press("Enter")
    page.locator("#results").get_by_role("link", name=listed_as).first.click()


def jpeg(colour: str, path: Path) -> Path:
    Image.new("RGB", (320, 240), colour).save(path, "JPEG")
    return path


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


@pytest.mark.parametrize("width", ["desktop", "tablet"])
def test_a_clinic_day_from_the_front_desk_to_the_owner(
    open_tab: Callable[..., Page], shipped_web: ShippedWeb, shot: Shot, width: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    web = shipped_web
    page = open_tab(DESKTOP if width == "desktop" else TABLET)
    given, family, born = PATIENTS[width]
    full_name = f"{given} {family}"
    today = web.today

    # --- The front desk: sign in, register the patient, find her again. ---
    sign_in(page, web, FRONT_DESK)
    fits(page)
    shot(page, "today")
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("Given name").fill(given)
    page.get_by_label("Family name").fill(family)
    page.get_by_label("Date of birth").fill(born)
    page.get_by_label("Female").check()
    page.get_by_label("Fitzpatrick skin type").select_option("3")
    page.get_by_label("Phone number").fill("+31 6 5555 0101")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(full_name)
    record_url = page.url
    open_record(page, web, f"{given} Nguy", f"{family}, {given}")
    expect(page).to_have_url(record_url)
    shot(page, "found")

    # --- Intake with its screening, at once. ---
    page.get_by_role("link", name="New intake").click()
    page.locator("#f-zones").get_by_label("Cheeks").check()
    page.locator("#f-zones").get_by_label("Forehead").check()
    page.get_by_role("button", name="Record intake and screen").click()
    expect(page.locator("#decision-heading")).to_have_text("Eligible: treatment can go ahead")
    fits(page)
    shot(page, "screened")

    # --- Consents: each kind shows its own text, and the record keeps what was signed. ---
    page.goto(record_url)
    page.get_by_role("link", name="Record a consent").click()
    treatment_text = page.locator("#consent-text").inner_text()
    page.get_by_label("Signed by").fill(full_name)
    page.get_by_label("The patient signed this text in front of me").check()
    page.get_by_role("button", name="Record this consent").click()
    expect(page.get_by_text("Treatment consent: signed")).to_be_visible()
    page.get_by_role("link", name="Record a consent").click()
    page.get_by_role("navigation", name="Which consent").get_by_role("link").first.click()
    photo_text = page.locator("#consent-text").inner_text()
    assert photo_text != treatment_text
    page.get_by_label("Signed by").fill(full_name)
    page.get_by_label("The patient signed this text in front of me").check()
    page.get_by_role("button", name="Record this consent").click()
    signed = page.locator("blockquote.consent-text")
    expect(signed).to_have_count(2)
    texts = {signed.nth(0).text_content(), signed.nth(1).text_content()}
    assert {t.strip() for t in texts if t} == {treatment_text.strip(), photo_text.strip()}
    shot(page, "consents")
    sign_out(page)

    # --- The clinician plans on the zone map; the handout is a PDF that prints her name. ---
    sign_in(page, web, CLINICIAN)
    page.goto(record_url)
    page.get_by_role("link", name="Plan treatment").click()
    page.wait_for_load_state()
    page.locator("#map-cheeks ellipse").first.click()
    expect(page.locator("#treat-cheeks")).to_be_checked()
    page.get_by_label("Concern for cheeks").select_option("acne_scars")
    page.get_by_label("Type for cheeks (acne scars only)").select_option("rolling")
    expect(page.locator(".zone-map")).to_contain_text("1–1.5 mm")
    page.locator("#map-forehead").focus()
    page.keyboard.press("Space")
    page.get_by_label("Concern for forehead").select_option("fine_lines")
    expect(page.locator("#plan-preview")).to_contain_text("sessions")
    fits(page)
    shot(page, "plan-builder")
    page.get_by_role("button", name="Create plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Treatment plan")
    plan_url = page.url
    assert "collagen." not in page.locator("main").inner_text()  # no parameter names
    fits(page)
    shot(page, "plan")
    handout = page.get_by_role("link", name="Handout as PDF").get_attribute("href")
    proposed_pdf = page.request.get(web.url + str(handout))
    assert proposed_pdf.body().startswith(b"%PDF")
    text = pdf_text(proposed_pdf.body())
    assert full_name in text, text[:500]
    assert "Demo Skin Clinic" in text
    sign_out(page)

    # --- The front desk books the series, moves one session, cancels another. ---
    sign_in(page, web, FRONT_DESK)
    page.goto(record_url)
    page.get_by_role("link", name="Book the series").click()
    picks = page.locator(".session-pick")
    count = picks.count()
    assert count >= 3
    first = date.fromisoformat(page.locator(".session-pick input[type=date]").first.input_value())
    assert first >= today + timedelta(days=7)  # a week of pre-care first
    fits(page)
    shot(page, "proposal")
    page.get_by_role("button", name=f"Book {count} sessions").click()
    expect(page.get_by_text(f"Booked {count} sessions.")).to_be_visible()
    booked = page.locator("#booked-series")
    expect(booked.get_by_role("row")).to_have_count(count + 1)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the sessions for the patient's calendar").click()
    events = Calendar.from_ical(Path(download.value.path()).read_bytes()).walk("VEVENT")
    assert len(events) == count
    shot(page, "booked")

    page.get_by_text("Move or cancel session 2").click()
    new_time = page.get_by_label("New day and time for session 2")
    day = new_time.input_value()[:10]
    for at in ("11:15", "15:45", "10:15", "16:45", "09:15", "14:15", "12:15"):
        field = page.get_by_label("New day and time for session 2")  # on the record
        if not field.count():  # on the move page, after a time that was not free
            field = page.get_by_label("New day and time", exact=True)
        field.fill(f"{day}T{at}")
        page.get_by_role("button", name="Move session 2").click()
        page.wait_for_load_state()
        if page.get_by_text("Session 2 is now on").count():
            moved_at = at
            break
        expect(page.locator("#error-summary")).to_contain_text("session 2")
    else:
        pytest.fail(f"no time free on {day} to move session 2 to")
    expect(page.get_by_text("Session 2 is now on")).to_be_visible()

    page.get_by_text(f"Move or cancel session {count}").click()
    page.get_by_role("link", name=f"Cancel session {count}…").click()
    page.get_by_role("button", name=re.compile("Cancel")).first.click()  # no reason yet
    expect(page.locator("#error-summary")).to_be_visible()
    page.get_by_label("Why is it cancelled?").fill("Patient travels that week")
    page.get_by_role("button", name=re.compile("Cancel")).first.click()
    expect(page.get_by_text(re.compile("cancelled", re.IGNORECASE)).first).to_be_visible()
    fits(page)
    shot(page, "moved-and-cancelled")

    # The handout now follows the booked sessions, not the first proposal.
    sign_out(page)
    sign_in(page, web, CLINICIAN)
    page.goto(plan_url)
    handout = page.get_by_role("link", name="Handout as PDF").get_attribute("href")
    booked_text = pdf_text(page.request.get(web.url + str(handout)).body())
    assert moved_at in booked_text, booked_text[:1500]
    sign_out(page)

    # --- The front desk books a session for today and sees it in the calendar. ---
    sign_in(page, web, FRONT_DESK)
    page.goto(record_url)
    page.get_by_role("link", name="Book an appointment").click()
    page.get_by_label("Day", exact=True).fill(today.isoformat())
    booked = False
    for who in ("Dr Clara Jansen", "Dr Sami Haddad"):
        # From 09:00 on the 5-minute grid, jumping past each session the form names as taken.
        minutes = 9 * 60
        while not booked and minutes <= 17 * 60 + 40:
            start = f"{minutes // 60:02}:{minutes % 60:02}"
            page.get_by_label("Start time").fill(start)
            page.get_by_label("Length in minutes").fill("20")
            page.get_by_label(re.compile("^Practitioner")).select_option(label=who)
            page.get_by_role("button", name="Book").click()
            if page.get_by_role("heading", level=1).inner_text().strip() == full_name:
                booked = True
                break
            expect(page.locator("#error-summary")).to_contain_text("Day:")
            problem = page.locator("#error-summary").inner_text().replace("\n", " ")
            print(who, start, problem)
            free = re.search(r"free from (\d\d):(\d\d)", problem) or re.search(
                r"has a session from \d\d:\d\d to (\d\d):(\d\d)", problem
            )
            later = int(free.group(1)) * 60 + int(free.group(2)) if free else 0
            minutes = max(minutes + 5, later)
        if booked:
            break
    else:
        pytest.fail("no free half hour this afternoon")
    page.get_by_role("link", name="Calendar", exact=True).first.click()
    expect(page.locator(".cal-block", has_text=given).first).to_be_visible()
    fits(page)
    shot(page, "calendar")
    page.locator(".cal-block", has_text=given).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(given)
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_text(re.compile("[Cc]hecked in")).first).to_be_visible()
    sign_out(page)

    # --- The clinician charts it: an expired lot is refused, a good one signed. ---
    sign_in(page, web, CLINICIAN)
    page.goto(record_url)
    page.get_by_role("link", name="Chart this session").click()
    page.wait_for_load_state()
    page.get_by_label("Device").select_option(index=1)
    lot = page.get_by_label("Cartridge lot number")
    lot.fill(_lot(page, web, "expired"))
    lot.press("Enter")
    expect(page.locator("#lot-status")).to_contain_text("charting will be refused")
    page.get_by_label("Needles per cartridge").fill("12")
    page.get_by_label("Zone 1", exact=True).select_option("cheeks")
    page.get_by_label("Zone 1: depth in mm").fill("1.0")
    page.get_by_label("Zone 1: passes").fill("2")
    page.get_by_label("Clinical endpoint").fill("uniform erythema")
    shot(page, "chart")
    page.get_by_role("button", name="Sign and lock chart").click()
    expect(page.locator("#error-summary")).to_be_visible()
    page.get_by_label("Cartridge lot number").fill(_lot(page, web, "usable"))
    page.get_by_label("Cartridge lot number").press("Enter")
    expect(page.locator("#lot-status")).to_contain_text("usable until")
    page.get_by_role("button", name="Sign and lock chart").click()
    expect(page.get_by_text("Chart signed and locked.")).to_be_visible()
    shot(page, "charted")

    # --- An adverse event, an outcome, photos compared. ---
    page.goto(record_url)
    page.get_by_role("link", name="Record an adverse event").click()
    page.get_by_label("What happened").select_option(index=1)
    page.get_by_label("Severity").select_option(index=1)
    page.get_by_label("Started on").fill(today.isoformat())
    page.get_by_label("After the session of").select_option(index=1)
    page.get_by_label("Description").fill("Redness lasting longer than expected")
    page.get_by_role("button", name="Record adverse event").click()
    expect(page.get_by_text("Adverse event recorded.")).to_be_visible()

    page.goto(record_url)
    page.get_by_role("link", name="Outcomes and progress").click()
    page.wait_for_load_state()
    expect(page.get_by_label("Scale", exact=True)).to_have_value("gais")
    page.get_by_label("Improvement compared with before treatment").select_option("2")
    expect(page.locator("#live-band")).to_have_text("Much improved")
    page.get_by_role("button", name="Record outcome").click()
    expect(page.get_by_text("Outcome recorded.")).to_be_visible()
    expect(page.locator("svg.chart circle.point")).to_have_count(1)

    page.goto(record_url + "/photos")
    for colour, day in (("#b08060", today - timedelta(days=7)), ("#c09070", today)):
        page.get_by_label("Photo (JPEG or PNG)").set_input_files(
            jpeg(colour, tmp_path / f"{colour[1:]}.jpg")
        )
        page.get_by_label("View").select_option("front")
        page.get_by_label("Taken on").fill(day.isoformat())
        page.get_by_role("button", name="Add photo").click()
        expect(page.get_by_text("Photo added")).to_be_visible()
    page.get_by_role("link", name="compare first and latest").click()
    images = page.locator(".compare img")
    expect(images).to_have_count(2)
    for index in range(2):
        expect(images.nth(index)).to_have_js_property("complete", True)
    fits(page)
    shot(page, "photos-compared")
    sign_out(page)

    # --- The owner: staff, and the audit log as sentences, exported. ---
    sign_in(page, web, OWNER)
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Audit log").click()
    log = page.locator("main")
    expect(log).to_contain_text("Femke de Vries")
    expect(log).not_to_contain_text("staff_user:")
    page.get_by_role("button", name="Verify the chain").click()
    expect(
        page.get_by_role("status").filter(has_text="The clinic's audit chain is intact")
    ).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("CSV")).click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert len(rows) > 1
    fits(page)
    shot(page, "audit")
    sign_out(page)


def _lot(page: Page, web: ShippedWeb, state: str) -> str:
    """A lot the inventory page lists in ``state`` (read as a person would, from the page)."""
    inventory = page.context.new_page()
    inventory.goto(web.url + "/inventory")
    row = inventory.locator("tbody tr").filter(has=inventory.locator(".badge", has_text=state)).last
    number = row.locator("td").first.inner_text().strip()
    inventory.close()
    return number
