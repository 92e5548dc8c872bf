"""End to end in Chromium against the shipped ``microneedling web`` (demo, 8 December 2026): a
patient signs in to the portal with a one-time code on a phone (390×844), e-signs the treatment
consent, sees the pre-care countdown for her next session, the aftercare of day 1 after
yesterday's session, asks "Can I use this?", and reports a reaction with a photo; a clinician
at a desk sees it among the reported reactions and confirms it as an adverse event.

What the walk is not about (the patient's record, plan and booked sessions, her portal account)
is prepared through the use cases, dated before the server's day.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests.browser.browser_helpers import CLINICIAN, FRONT_DESK, PASSWORD, LiveApp
from tests.shipped_web import DESKTOP, ShippedWeb

from microneedling.errors import UserError
from microneedling.services import intakes, patients, plans, scheduling
from microneedling.services.clock import fixed_clock
from microneedling.services.demo_clinic import TIME_ZONE
from microneedling.services.portal import accounts
from microneedling.store.message_models import OutboxMessage
from microneedling.store.models import AdverseEvent

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect

PHONE = {"width": 390, "height": 844}
EMAIL = "mila.jansen@example.com"
CODE = re.compile(r"sign-in code is (\d{6})")


def prepared_patient(app: LiveApp) -> int:
    """Mila: screened, an acne-scar plan, session 1 yesterday (Monday 7 December) and the next
    ones booked, invited to the portal. Prepared on 30 November."""
    before = fixed_clock(datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo(TIME_ZONE)))
    desk, clinician = app.actor(FRONT_DESK), app.actor(CLINICIAN)
    patient_id = patients.register_patient(
        app.uow(), desk,
        {"given_name": "Mila", "family_name": "Jansen", "birth_date": "1991-04-02",
         "sex": "female", "fitzpatrick": 2, "email": EMAIL},
        clock=before,
    )  # fmt: skip
    intakes.record_intake(app.uow(), desk, patient_id, {"zones": ["cheeks"]}, clock=before)
    plan_id = plans.create_plan(
        app.uow(), clinician, patient_id,
        {"treatments": [{"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}]},
        clock=before,
    )  # fmt: skip
    first = datetime(2026, 12, 7)
    refusals = []
    for hour, minute in ((h, m) for h in (9, 10, 11, 13, 14, 15, 16) for m in (0, 30)):
        start = first.replace(hour=hour, minute=minute)
        slots = [
            {"session": n, "start": (start + timedelta(weeks=w)).strftime("%Y-%m-%dT%H:%M")}
            for n, w in ((1, 0), (2, 5), (3, 11))
        ]
        try:
            scheduling.book_plan(app.uow(), desk, plan_id, slots=slots, clock=before)
            break
        except UserError as error:
            refusals.append(f"{start:%H:%M}: {error}")
    else:
        raise AssertionError("no free time on 7 December: " + "; ".join(refusals))
    accounts.invite_patient(app.uow(), desk, patient_id, "email", clock=before)
    return patient_id


def code_sent(app: LiveApp) -> str:
    """The newest code e-mailed to Mila (as she reads it in her mailbox)."""
    with app.uow() as uow:
        row = uow.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "portal_code", OutboxMessage.recipient == EMAIL)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ).scalar_one()
        found = CODE.search(row.subject or "")
    assert found, "no code in the message"
    return found.group(1)


def jpeg(path: Path) -> Path:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (210, 90, 90)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def app(shipped_web: ShippedWeb) -> LiveApp:
    return LiveApp(shipped_web.url, shipped_web.database, shipped_web.settings, "", "",
                   shipped_web.clock, shipped_web.today)  # fmt: skip


def test_a_patient_signs_consent_follows_her_care_and_reports_a_reaction_a_clinician_confirms(
    app: LiveApp,
    open_tab: Callable[..., Page],
    shot: Callable[[Page, str], Path],
    tmp_path: Path,
) -> None:
    patient_id = prepared_patient(app)
    phone = open_tab(PHONE)

    # Sign in with a one-time code.
    phone.goto(app.url + "/my/sign-in?clinic=demo")
    phone.get_by_label("E-mail address or mobile number").fill(EMAIL)
    phone.get_by_role("button", name="Send me a code").click()
    phone.get_by_label("Code").fill(code_sent(app))
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url(app.url + "/my")

    # Consent, e-signed: read in full, type the name, tick.
    phone.get_by_role("link", name="Consent forms").click()
    shot(phone, "1-consent-forms")
    phone.locator("a[href='/my/consent/treatment']").click()
    expect(phone.locator("blockquote.consent-text")).to_contain_text("I consent to microneedling")
    phone.get_by_role("button", name="Sign").click()  # nothing typed: refused, nothing signed
    expect(phone.get_by_role("alert")).to_contain_text("type your full name to sign")
    phone.get_by_label("Type your full name to sign").fill("Mila Jansen")
    phone.get_by_label("I have read all of this text and I agree to it").check()
    shot(phone, "2-consent-signing")
    phone.get_by_role("button", name="Sign").click()
    expect(phone.get_by_text("Signed. You can download a copy")).to_be_visible()
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download a copy (PDF)").first.click()
    assert download.value.suggested_filename == "consent-treatment-2026-12-08.pdf"

    # The care companion: day 1 after yesterday's session, and the next session's pre-care.
    phone.get_by_role("link", name="Your care").click()
    expect(phone.get_by_role("heading", name="Day 1 after your session")).to_be_visible()
    expect(phone.get_by_text("Session of Monday 7 December 2026")).to_be_visible()
    expect(phone.get_by_role("heading", name="What is normal")).to_be_visible()
    expect(phone.get_by_role("heading", name="What is not normal")).to_be_visible()
    expect(phone.get_by_role("heading", name="Before your next session")).to_be_visible()
    expect(phone.get_by_text("Monday 11 January 2027")).to_be_visible()
    expect(phone.get_by_text(re.compile(r"From Monday 4 January \(in 27 days\):"))).to_be_visible()
    phone.get_by_text("Why?").first.click()
    shot(phone, "3-care-day-1")

    # "Can I use this?": a retinol serum, a day after the session.
    phone.get_by_role("link", name="Can I use this?").first.click()
    phone.get_by_label("Ingredients from the label").fill("Aqua, Glycerin, Retinol, Tocopherol")
    phone.get_by_role("button", name="Check").click()
    answer = phone.locator("#check-result")
    expect(answer).to_contain_text("Not yet: you can use it from Monday")
    expect(answer).to_contain_text("a retinoid (vitamin A, such as retinol)")
    expect(answer).to_contain_text("hours after your session of Monday 7 December 2026")
    shot(phone, "4-can-i-use-this")

    # Report a reaction, with a photo.
    phone.goto(app.url + "/my/care")
    phone.get_by_role("link", name="Report a reaction").first.click()
    phone.get_by_label("Swelling").check()
    phone.get_by_label("The skin feels hot").check()
    phone.get_by_label("Tell us in your own words").fill("My left cheek is swollen and warm.")
    phone.get_by_label(re.compile("Photos")).set_input_files(str(jpeg(tmp_path / "cheek.jpg")))
    shot(phone, "5-report-a-reaction")
    phone.get_by_role("button", name="Send to the clinic").click()
    expect(phone.get_by_text("Sent. The clinic will look at it")).to_be_visible()
    expect(phone.get_by_text("waiting for the clinic")).to_be_visible()
    shot(phone, "6-reaction-sent")

    # A clinician at a desk sees it and confirms it as an adverse event.
    desk = open_tab(DESKTOP)
    desk.goto(app.url + "/sign-in")
    desk.get_by_label("E-mail address").fill(CLINICIAN)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.wait_for_url(app.url + "/")
    desk.get_by_role("link", name="Reactions reported by patients").click()
    row = desk.locator("tr", has_text="Mila Jansen")
    expect(row).to_contain_text("Swelling")
    row.get_by_role("link", name="Open").click()
    expect(desk.get_by_text("My left cheek is swollen and warm.")).to_be_visible()
    expect(desk.locator("img[alt^='Photo 1']")).to_be_visible()
    expect(desk.get_by_label("Kind of adverse event")).to_have_value("infection")
    desk.get_by_label("Kind of adverse event").select_option("oedema")
    desk.get_by_label("Severity").select_option("moderate")
    shot(desk, "7-staff-confirms")
    desk.get_by_role("button", name="Confirm as an adverse event").click()
    expect(desk.get_by_text("the adverse event is recorded")).to_be_visible()
    with app.uow() as uow:
        event = uow.session.execute(
            select(AdverseEvent).where(AdverseEvent.patient_id == patient_id)
        ).scalar_one()
        assert (event.kind, event.severity) == ("oedema", "moderate")
        assert event.onset_on.isoformat() == "2026-12-08"
    desk.goto(f"{app.url}/patients/{patient_id}/e-signed")
    expect(desk.get_by_text("Consent to microneedling treatment")).to_be_visible()
    shot(desk, "8-staff-sees-e-signed-consent")
