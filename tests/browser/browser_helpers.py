"""Helpers for the browser tests: the running application, signing in, seeding records through
the use cases (what a test is not about is prepared the quick way), and screenshots."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.shipped_web import SCREENSHOTS  # noqa: F401 (kept for the test modules)

from microneedling.config import Settings
from microneedling.errors import UserError
from microneedling.services import (
    appointments,
    clinics,
    consents,
    intakes,
    outcomes,
    patients,
    plans,
    scheduling,
)
from microneedling.services.access import Actor
from microneedling.services.clock import Clock, utc_now
from microneedling.services.demo_clinic import DEFAULT_PASSWORD, TIME_ZONE
from microneedling.services.maintenance import unit_of_work
from microneedling.store import Database, UnitOfWork

PASSWORD = DEFAULT_PASSWORD

OWNER = "owner@demo.example"
CLINICIAN = "clinician@demo.example"
FRONT_DESK = "frontdesk@demo.example"


@dataclass
class LiveApp:
    """The web application on localhost, on its own database with the demo clinic."""

    url: str
    database: Database
    settings: Settings
    expired_lot: str
    good_lot: str
    #: The application's clock (``microneedling web --today``), for what tests prepare.
    clock: Clock = utc_now
    #: The day the application believes it is.
    today: date = date(2026, 12, 8)

    def uow(self) -> UnitOfWork:
        return unit_of_work(self.database, self.settings)

    def actor(self, email: str) -> Actor:
        return clinics.local_operator(self.uow(), email)

    def patient(
        self,
        given: str,
        family: str,
        *,
        screened: bool = False,
        consent: bool = False,
        plan: bool = False,
        booked_now: bool = False,
    ) -> dict[str, int]:
        """A patient registered the quick way, with what a test needs before its own step."""
        desk = self.actor(FRONT_DESK)
        clinician = self.actor(CLINICIAN)
        found: dict[str, int] = {}
        found["patient"] = patients.register_patient(
            self.uow(),
            desk,
            {"given_name": given, "family_name": family, "birth_date": "1988-03-14",
             "sex": "female", "fitzpatrick": 2},
            clock=self.clock,
        )  # fmt: skip
        if screened:
            found["intake"] = intakes.record_intake(
                self.uow(), desk, found["patient"], {"zones": ["cheeks", "forehead"]},
                clock=self.clock,
            )  # fmt: skip
        if consent:
            consents.sign_consent(
                self.uow(),
                desk,
                found["patient"],
                {"kind": "treatment", "signed_by_name": f"{given} {family}"},
                clock=self.clock,
            )  # fmt: skip
        if plan:
            found["plan"] = plans.create_plan(
                self.uow(),
                clinician,
                found["patient"],
                {"treatments": [{"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}]},
                clock=self.clock,
            )
        if booked_now:
            found["appointment"] = self._book_later_today(desk, clinician, found)
        return found

    def _book_later_today(self, desk: Actor, clinician: Actor, found: dict[str, int]) -> int:
        """A session later today at the first time free, with the demo's clinician if she has
        one, else with her colleague (the demo's day is full)."""
        day = self.today
        colleague = self.actor("clinician2@demo.example")
        for who in (clinician, colleague):
            # Every 5 minutes (the slot grid), latest first: the demo's day is busy.
            for hour, minute in ((h, m) for h in range(17, 8, -1) for m in range(55, -1, -5)):
                starts_at = datetime.combine(day, time(hour, minute), ZoneInfo(TIME_ZONE))
                try:
                    return appointments.book_appointment(
                        self.uow(),
                        desk,
                        found["patient"],
                        starts_at=starts_at,
                        duration_minutes=20,
                        plan_id=found.get("plan"),
                        practitioner_id=who.staff_user_id,
                        clock=self.clock,
                    )
                except UserError:  # taken, or outside someone's hours: try another time
                    continue
        raise AssertionError(f"no free time for a clinician on {day}")

    def series(self, patient_id: int) -> list[dict[str, Any]]:
        """The sessions of the patient's (first) booked series, as the records have them."""
        found = scheduling.list_series(self.uow(), self.actor(OWNER), patient_id)
        return list(found[0]["sessions"]) if found else []

    def outcome(self, patient_id: int, scale: str, inputs: dict[str, Any], days_ago: int) -> None:
        outcomes.record_outcome(
            self.uow(),
            self.actor(CLINICIAN),
            patient_id,
            scale=scale,
            inputs=inputs,
            assessed_on=self.today - timedelta(days=days_ago),
            clock=self.clock,
        )


def sign_in(page: Any, app: LiveApp, email: str) -> None:
    """Sign in through the form, as a person would."""
    page.goto(app.url + "/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(app.url + "/")


def jpeg(colour: str, path: Path) -> Path:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()


def build_plan_on_map(page: Any, app: LiveApp, patient_id: int) -> None:
    """As a clinician on the patient's record: plan acne scars (rolling) on the cheeks, clicked
    on the zone map, and fine lines on the forehead, chosen with the keyboard; create the plan."""
    from playwright.sync_api import expect

    page.goto(f"{app.url}/patients/{patient_id}")
    page.get_by_role("link", name="Plan treatment").click()
    page.wait_for_load_state()  # the page's scripts are ready
    page.locator("#map-cheeks ellipse").first.click()
    expect(page.locator("#treat-cheeks")).to_be_checked()
    page.get_by_label("Concern for cheeks").select_option("acne_scars")
    page.get_by_label("Type for cheeks (acne scars only)").select_option("rolling")
    expect(page.locator(".zone-map")).to_contain_text("1–1.5 mm")
    page.locator("#map-forehead").focus()
    page.keyboard.press("Space")
    expect(page.locator("#treat-forehead")).to_be_checked()
    page.get_by_label("Concern for forehead").select_option("fine_lines")
    expect(page.locator(".zone-map")).to_contain_text("0.25–0.5 mm")
    page.get_by_role("button", name="Create plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Treatment plan")
