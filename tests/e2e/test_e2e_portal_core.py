"""End to end in Chromium against the shipped ``microneedling web`` (demo, 8 December 2026): front
desk invites a patient to the portal from her page; the invitation and a one-time code go
through the outbox; she signs in on a phone (390×844), fills in the questionnaire (areas on the
map, a retinoid she stopped yesterday), saves it, sends it and reads what it means; a clinician
at a desk reviews it and confirms it as the intake of record.

Only the patient's registration (not what the walk is about) is prepared through a use case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests.browser.browser_helpers import CLINICIAN, FRONT_DESK, LiveApp, sign_in
from tests.shipped_web import (
    DESKTOP,
    ShippedWeb,
    start_shipped_web,
    stop_shipped_web,
    why_no_browser,
)

from microneedling.services import patients
from microneedling.services.clock import fixed_clock
from microneedling.services.demo_clinic import TIME_ZONE
from microneedling.store.message_models import OutboxMessage
from microneedling.store.models import Intake
from microneedling.store.portal_models import PortalIntake

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect

PHONE = {"width": 390, "height": 844}
EMAIL = "noor.bakker@example.com"
CODE = re.compile(r"sign-in code is (\d{6})")


@pytest.fixture(scope="module")
def shipped_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShippedWeb]:
    """The shipped process for this walk, given longer to build its demo than the shared one
    (on a busy machine, building the demo clinics takes minutes); errors it logs fail it."""
    reason = why_no_browser()
    if reason:
        pytest.skip(reason)
    shipped = start_shipped_web(tmp_path_factory.mktemp("portal-core"), timeout=900)
    try:
        yield shipped
    finally:
        stop_shipped_web(shipped)
        problems = [line for line in shipped.output().splitlines()
                    if re.search(r"Traceback|ERROR", line)]  # fmt: skip
        assert problems == [], "the server logged errors:\n" + shipped.output()[-5000:]


@pytest.fixture
def app(shipped_web: ShippedWeb) -> LiveApp:
    return LiveApp(shipped_web.url, shipped_web.database, shipped_web.settings, "", "",
                   shipped_web.clock, shipped_web.today)  # fmt: skip


def messages_to(app: LiveApp, kind: str) -> list[tuple[str, str]]:
    """The (subject, text) of each message of ``kind`` to the patient, oldest first."""
    with app.uow() as uow:
        rows = uow.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.kind == kind, OutboxMessage.recipient == EMAIL)
            .order_by(OutboxMessage.id)
        ).scalars()
        return [(row.subject or "", row.body_text or "") for row in rows]


def test_invited_signs_in_with_a_code_sends_the_questionnaire_a_clinician_confirms_it(
    app: LiveApp, open_tab: Callable[..., Page], shot: Callable[[Page, str], Path]
) -> None:
    before = fixed_clock(datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo(TIME_ZONE)))
    patient_id = patients.register_patient(
        app.uow(), app.actor(FRONT_DESK),
        {"given_name": "Noor", "family_name": "Bakker", "birth_date": "1988-03-14",
         "sex": "female", "fitzpatrick": 3, "email": EMAIL},
        clock=before,
    )  # fmt: skip

    # Front desk invites her from her page.
    desk = open_tab(DESKTOP)
    sign_in(desk, app, FRONT_DESK)
    desk.goto(f"{app.url}/patients/{patient_id}")
    portal = desk.locator("#portal-access")
    expect(portal).to_contain_text("Not invited yet")
    portal.get_by_role("button", name="Invite by e-mail").click()
    expect(desk.get_by_text("Invitation to the patient portal sent by e-mail.")).to_be_visible()
    expect(desk.locator("#portal-access")).to_contain_text("not signed in yet")
    shot(desk, "1-invited")
    invitation = messages_to(app, "portal_invitation")
    assert len(invitation) == 1
    assert "/my/sign-in?clinic=demo" in invitation[0][1]

    # She signs in on her phone with the code sent to her.
    phone = open_tab(PHONE)
    phone.goto(app.url + "/my/sign-in?clinic=demo")
    shot(phone, "2-sign-in")
    phone.get_by_label("E-mail address or mobile number").fill(EMAIL)
    phone.get_by_role("button", name="Send me a code").click()
    expect(phone.get_by_text("we have sent an e-mail with a 6-digit code")).to_be_visible()
    codes = messages_to(app, "portal_code")
    found = CODE.search(codes[-1][0])
    assert found, "no code in the message"
    phone.get_by_label("Code").fill("000000" if found.group(1) != "000000" else "111111")
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("alert")).to_contain_text("that code is not right")
    phone.get_by_label("Code").fill(found.group(1))
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url(app.url + "/my")
    expect(phone.get_by_role("heading", name="Hello Noor")).to_be_visible()
    shot(phone, "3-home")

    # The questionnaire: the cheeks on the map, a retinoid stopped yesterday; saved, then sent.
    phone.get_by_role("link", name="Fill in the questionnaire").click()
    expect(phone.get_by_text("Have you taken isotretinoin (Roaccutane, Accutane)")).to_be_visible()
    phone.locator("#map-cheeks ellipse").first.click()
    expect(phone.locator("#treat-cheeks")).to_be_checked()
    expect(phone.locator("#map-cheeks")).to_have_attribute("aria-checked", "true")
    phone.locator("#f-topical_retinoid").check()
    phone.locator("#f-topical_retinoid-stopped_on").fill("yesterday")
    shot(phone, "4-questionnaire")
    phone.get_by_role("button", name="Save and finish later").click()
    expect(phone.get_by_text("Saved. You can come back")).to_be_visible()
    expect(phone.locator("#f-topical_retinoid-stopped_on")).to_have_value("yesterday")
    phone.get_by_role("button", name="Send my questionnaire").click()
    meaning = phone.locator(".meaning")
    expect(meaning).to_contain_text("Treatment can start from 14 December 2026.")
    expect(meaning).to_contain_text(
        "We will need to wait until 14 December 2026 because of your retinoid."
    )
    expect(phone.get_by_text("A clinician will read it and confirm")).to_be_visible()
    shot(phone, "5-what-it-means")
    phone.set_viewport_size(DESKTOP)
    shot(phone, "5-what-it-means-desktop")
    with app.uow() as uow:
        assert (
            uow.session.execute(select(Intake).where(Intake.patient_id == patient_id))
            .scalars()
            .all()
            == []
        )

    # A clinician reviews it and confirms it: now the intake of record.
    clinician = open_tab(DESKTOP)
    sign_in(clinician, app, CLINICIAN)
    clinician.get_by_role("link", name="From patients").click()
    row = clinician.locator("tr", has_text="Noor Bakker")
    expect(row).to_contain_text("Deferred")
    row.get_by_role("link", name="Review").click()
    expect(clinician.get_by_text("We will need to wait until 14 December 2026")).to_be_visible()
    expect(clinician.locator("#f-topical_retinoid-stopped_on")).to_have_value("2026-12-07")
    shot(clinician, "6-review")
    clinician.get_by_role("button", name="Confirm as the intake of record").click()
    expect(
        clinician.get_by_text("Confirmed: this is now the patient's intake of record.")
    ).to_be_visible()
    shot(clinician, "7-confirmed")
    with app.uow() as uow:
        intake = uow.session.execute(
            select(Intake).where(Intake.patient_id == patient_id)
        ).scalar_one()
        assert intake.decision == "defer" and intake.earliest_date.isoformat() == "2026-12-14"
        sent = uow.session.execute(
            select(PortalIntake).where(PortalIntake.patient_id == patient_id)
        ).scalar_one()
        assert (sent.status, sent.intake_id) == ("confirmed", intake.id)

    phone.set_viewport_size(PHONE)
    phone.goto(app.url + "/my/intake")
    expect(
        phone.get_by_text("A clinician has read and confirmed your questionnaire.")
    ).to_be_visible()
