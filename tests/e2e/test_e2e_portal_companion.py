"""End to end in Chromium against the shipped ``microneedling web`` (demo, 8 December 2026): a
patient signs in to the portal with a one-time code on a phone (390×844), e-signs the treatment
consent, sees the pre-care countdown for her next session, the aftercare of day 1 after
yesterday's session, asks "Can I use this?", and reports a reaction with a photo; a clinician
at a desk sees it among the reported reactions and confirms it as an adverse event.

The patient is one of the demo's, whose series had a session yesterday and has more to come;
what the walk is not about (her portal invitation) is prepared through the use case.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests.browser.browser_helpers import CLINICIAN, FRONT_DESK, PASSWORD, LiveApp
from tests.shipped_web import (
    DESKTOP,
    ShippedWeb,
    start_shipped_web,
    stop_shipped_web,
    why_no_browser,
)

from microneedling.documents.handout import long_date
from microneedling.services.demo_clinic import TIME_ZONE
from microneedling.services.portal import accounts
from microneedling.store.message_models import OutboxMessage
from microneedling.store.models import AdverseEvent, Appointment, Patient, TreatmentPlan
from microneedling.store.scheduling_models import AppointmentBooking, BookedSeries

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect

PHONE = {"width": 390, "height": 844}
CODE = re.compile(r"sign-in code is (\d{6})")


@dataclass(frozen=True)
class Prepared:
    patient_id: int
    name: str
    email: str
    yesterday: str
    next_session: str


def prepared_patient(app: LiveApp) -> Prepared:
    """A patient of the demo whose series had a session yesterday (Monday 7 December) and has
    more to come, the plan being her latest, invited to the portal (prepared the quick way)."""
    yesterday = app.today - timedelta(days=1)
    zone = ZoneInfo(TIME_ZONE)
    with app.uow() as uow:
        rows = uow.session.execute(
            select(BookedSeries.id, BookedSeries.patient_id, BookedSeries.plan_id,
                   Appointment.starts_at, Appointment.status)
            .join(AppointmentBooking, AppointmentBooking.series_id == BookedSeries.id)
            .join(Appointment, Appointment.id == AppointmentBooking.appointment_id)
            .order_by(BookedSeries.id, Appointment.starts_at)
        ).all()  # fmt: skip
        by_series: dict[int, list[Any]] = {}
        for row in rows:
            by_series.setdefault(row.id, []).append(row)
        for sessions in by_series.values():
            days = [(r.starts_at.astimezone(zone).date(), r.status) for r in sessions]
            had = any(d == yesterday and st in ("completed", "checked_in") for d, st in days)
            coming = [d for d, st in days if d > app.today and st == "scheduled"]
            patient = uow.session.get(Patient, sessions[0].patient_id)
            assert patient is not None
            plans_of = uow.session.execute(
                select(TreatmentPlan.id).where(
                    TreatmentPlan.patient_id == patient.id, TreatmentPlan.status != "cancelled"
                )
            ).all()
            if had and coming and patient.email and len(plans_of) == 1:
                found = Prepared(
                    patient.id,
                    f"{patient.given_name} {patient.family_name}",
                    patient.email,
                    long_date(yesterday),
                    long_date(min(coming)),
                )
                break
        else:
            raise AssertionError("the demo has no patient with a session yesterday and more")
    accounts.invite_patient(app.uow(), app.actor(FRONT_DESK), found.patient_id, "email",
                            clock=app.clock)  # fmt: skip
    return found


def code_sent(app: LiveApp, email: str) -> str:
    """The newest code e-mailed to the patient (as she reads it in her mailbox)."""
    with app.uow() as uow:
        row = uow.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "portal_code", OutboxMessage.recipient == email.lower())
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


@pytest.fixture(scope="module")
def shipped_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShippedWeb]:
    """The shipped process for this walk alone (building the demo takes minutes on a busy
    machine: it is given ten); it must log no error."""
    reason = why_no_browser()
    if reason:
        pytest.skip(reason)
    shipped = start_shipped_web(tmp_path_factory.mktemp("shipped-web-portal"), timeout=600)
    try:
        yield shipped
    finally:
        stop_shipped_web(shipped)
        problems = [
            line for line in shipped.output().splitlines() if re.search(r"Traceback|ERROR", line)
        ]
        assert problems == [], "the server logged errors:\n" + shipped.output()[-5000:]


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
    mila = prepared_patient(app)
    patient_id = mila.patient_id
    phone = open_tab(PHONE)

    # Sign in with a one-time code.
    phone.goto(app.url + "/my/sign-in?clinic=demo")
    phone.get_by_label("E-mail address or mobile number").fill(mila.email)
    phone.get_by_role("button", name="Send me a code").click()
    phone.get_by_label("Code").fill(code_sent(app, mila.email))
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url(app.url + "/my")

    # Consent, e-signed: read in full, type the name, tick (the clinic's e-mail links the page).
    phone.goto(app.url + "/my/consent")
    shot(phone, "1-consent-forms")
    phone.locator("a[href='/my/consent/treatment']").click()
    expect(phone.locator("blockquote.consent-text")).to_contain_text("I consent to microneedling")
    phone.get_by_role(
        "button", name="Sign", exact=True
    ).click()  # nothing typed: refused, nothing signed
    expect(phone.get_by_role("alert")).to_contain_text("type your full name to sign")
    phone.get_by_label("Type your full name to sign").fill(mila.name)
    phone.get_by_label("I have read all of this text and I agree to it").check()
    shot(phone, "2-consent-signing")
    phone.get_by_role("button", name="Sign", exact=True).click()
    expect(phone.get_by_text("Signed. You can download a copy")).to_be_visible()
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download a copy (PDF)").first.click()
    assert download.value.suggested_filename == "consent-treatment-2026-12-08.pdf"

    # The care companion: day 1 after yesterday's session, and the next session's pre-care.
    phone.get_by_role("link", name="Your care").click()
    expect(phone.get_by_role("heading", name="Day 1 after your session")).to_be_visible()
    expect(phone.get_by_text(f"Session of {mila.yesterday}").first).to_be_visible()
    expect(phone.get_by_role("heading", name="What is normal")).to_be_visible()
    expect(phone.get_by_role("heading", name="What is not normal")).to_be_visible()
    expect(phone.get_by_role("heading", name="Before your next session")).to_be_visible()
    expect(phone.get_by_text(mila.next_session).first).to_be_visible()
    expect(
        phone.get_by_text(re.compile(r"From \w+ \d+ \w+ \(in \d+ days\):")).first
    ).to_be_visible()
    phone.get_by_text("Why?").first.click()
    shot(phone, "3-care-day-1")

    # "Can I use this?": a retinol serum, a day after the session.
    phone.get_by_role("link", name="Can I use this?").first.click()
    phone.get_by_label("Ingredients from the label").fill("Aqua, Glycerin, Retinol, Tocopherol")
    phone.get_by_role("button", name="Check", exact=True).click()
    answer = phone.locator("#check-result")
    expect(answer).to_contain_text("Not yet: you can use it from Monday 14 December")  # day 7
    expect(answer).to_contain_text("a retinoid (vitamin A, such as retinol)")
    expect(answer).to_contain_text(f"hours after your session of {mila.yesterday}")
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
    # The same pages at desktop width.
    phone.set_viewport_size(DESKTOP)
    phone.goto(app.url + "/my/care")
    expect(phone.get_by_role("heading", name="Day 1 after your session")).to_be_visible()
    shot(phone, "6b-care-desktop")

    # A clinician at a desk sees it and confirms it as an adverse event.
    desk = open_tab(DESKTOP)
    desk.goto(app.url + "/sign-in")
    desk.get_by_label("E-mail address").fill(CLINICIAN)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.wait_for_url(app.url + "/")
    desk.get_by_role("link", name="Reactions reported by patients").click()
    row = desk.locator("tr", has_text=mila.name)
    expect(row).to_contain_text("Swelling")
    row.get_by_role("link", name="Open").click()
    expect(desk.locator("dd", has_text="My left cheek is swollen and warm.")).to_be_visible()
    expect(desk.locator("img[alt^='Photo 1']")).to_be_visible()
    expect(desk.get_by_label("Kind of adverse event")).to_have_value("oedema")  # from "Swelling"
    desk.get_by_label("Severity").select_option("moderate")
    shot(desk, "7-staff-confirms")
    desk.get_by_role("button", name="Confirm as an adverse event").click()
    expect(desk.get_by_text("the adverse event is recorded")).to_be_visible()
    with app.uow() as uow:
        event = uow.session.execute(
            select(AdverseEvent)
            .where(AdverseEvent.patient_id == patient_id)
            .order_by(AdverseEvent.id.desc())
            .limit(1)
        ).scalar_one()
        assert (event.kind, event.severity) == ("oedema", "moderate")
        assert event.onset_on.isoformat() == "2026-12-08"
    desk.goto(f"{app.url}/patients/{patient_id}/e-signed")
    expect(desk.get_by_role("heading", name="Consent to microneedling treatment")).to_be_visible()
    shot(desk, "8-staff-sees-e-signed-consent")
