"""Helpers for the web tests: the clinic they run against, signing in, CSRF tokens."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from microneedling.config import Settings
from microneedling.services.access import Actor
from microneedling.services.maintenance import unit_of_work
from microneedling.store import Database, UnitOfWork

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

#: 11:00 in Amsterdam on 1 December 2026.
START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class MovableClock:
    """The application's "now": moved by the tests."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Clinic:
    database: Database
    settings: Settings
    clock: MovableClock
    app: Any
    owner: Actor
    clinician: Actor
    front_desk: Actor
    other_owner: Actor
    device_id: int
    good_lot: str = "GOOD-1"
    expired_lot: str = "OLD-1"
    emails: dict[str, str] = field(default_factory=dict)

    def uow(self) -> UnitOfWork:
        return unit_of_work(self.database, self.settings)

    def client(self, address: str = "testclient") -> TestClient:
        """A browser; ``address``: where it connects from (failed sign-ins count per address)."""
        return TestClient(self.app, follow_redirects=True, client=(address, 50000))

    def signed_in(self, role: str) -> TestClient:
        client = self.client()
        sign_in(client, self.emails[role])
        return client


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"csrf_token": csrf_of(page.text), "email": email, "password": password, "next": "/"},
    )
    return response


def token(client: TestClient, path: str = "/") -> str:
    return csrf_of(client.get(path).text)


def new_patient(
    clinic: Clinic, *, screened: bool = True, consent: bool = True, **details: Any
) -> int:
    """A patient registered by front desk; screened eligible for the cheeks and with a signed
    treatment consent unless told otherwise."""
    from microneedling.services import consents, intakes, patients

    values = {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "birth_date": "1990-05-17",
        "sex": "female",
        "fitzpatrick": 2,
        **details,
    }
    patient_id = patients.register_patient(
        clinic.uow(), clinic.front_desk, values, clock=clinic.clock
    )
    if screened:
        intakes.record_intake(
            clinic.uow(), clinic.front_desk, patient_id, {"zones": ["cheeks"]}, clock=clinic.clock
        )
    if consent:
        consents.sign_consent(
            clinic.uow(),
            clinic.front_desk,
            patient_id,
            {"kind": "treatment", "signed_by_name": "Ada"},
            clock=clinic.clock,
        )
    return patient_id


def weekday_calendar(clinic: Clinic) -> dict[str, Any]:
    """Open Monday to Friday 09:00-18:00 and Saturday 09:00-13:00 (Amsterdam); the clinician
    (the only practitioner: one patient at a time) treats Monday to Friday 09:00-17:00; two
    rooms; the pen."""
    from microneedling.services import calendar_settings

    return calendar_settings.configure_calendar(
        clinic.uow(),
        clinic.owner,
        {
            "name": "Web Test Clinic",
            "opening_hours": {"monday-friday": "09:00-18:00", "saturday": "09:00-13:00"},
            "lengths": {"anaesthetic_minutes": 30, "turnover_minutes": 10},
            "slot_minutes": 15,
            "practitioners": [
                {"id": clinic.emails["clinician"], "hours": {"monday-friday": "09:00-17:00"}}
            ],
            "rooms": [{"id": "room-1", "name": "Room one"}, {"id": "room-2", "name": "Room two"}],
            "devices": [{"id": "SN-1"}],
        },
        clock=clinic.clock,
    )


def all_day_calendar(clinic: Clinic) -> None:
    """Give the clinic a calendar unless it has one (one-off appointments are booked against
    it): open every day around the clock, the clinician working then, four rooms."""
    from microneedling.errors import NotFound
    from microneedling.services import calendar_settings

    try:
        calendar_settings.read_calendar(clinic.uow(), clinic.owner, clock=clinic.clock)
    except NotFound:
        every_day = {"monday-sunday": "00:00-24:00"}
        calendar_settings.configure_calendar(
            clinic.uow(),
            clinic.owner,
            {
                "name": "Web Test Clinic",
                "opening_hours": every_day,
                "lengths": {"turnover_minutes": 10},
                "slot_minutes": 5,
                "practitioners": [{"id": clinic.emails["clinician"], "hours": every_day}],
                "rooms": [{"id": f"room-{n}", "name": f"Room {n}"} for n in range(1, 5)],
                "devices": [],
            },
            clock=clinic.clock,
        )


def appointment_now(clinic: Clinic, patient_id: int) -> int:
    """A session with the clinician that started earlier today (so it can be charted): an hour
    before now, or the hour before that when the clinician or the patient is taken, and so on.
    Booked as the front desk would have: the day before it."""
    from microneedling.errors import Conflict
    from microneedling.services import appointments
    from microneedling.services.clock import fixed_clock

    all_day_calendar(clinic)
    now = clinic.clock()
    starts = [now - timedelta(hours=h) for h in range(1, 10)]
    for start in starts:
        try:
            return appointments.book_appointment(
                clinic.uow(),
                clinic.front_desk,
                patient_id,
                starts_at=start.replace(second=0, microsecond=0, minute=start.minute // 5 * 5),
                duration_minutes=50,
                practitioner_id=clinic.clinician.staff_user_id,
                clock=fixed_clock(start - timedelta(days=1)),
            )
        except Conflict:
            if start == starts[-1]:
                raise
    raise AssertionError("unreachable")


def chart_form(clinic: Clinic, html: str, **overrides: str) -> dict[str, str]:
    """A complete chart form for the cheeks, with the page's CSRF token."""
    data = {
        "csrf_token": csrf_of(html),
        "device_id": str(clinic.device_id),
        "cartridge_lot": clinic.good_lot,
        "needle_count": "12",
        "zone.0.zone": "cheeks",
        "zone.0.depth_mm": "1.0",
        "zone.0.passes": "2",
        "clinical_endpoint": "uniform erythema",
        "duration_minutes": "30",
        "_zone_rows": "3",
        "_product_rows": "2",
    }
    data.update(overrides)
    return data


def error_summary(html: str) -> list[str]:
    """The messages of the page's error summary."""
    start = html.find('id="error-summary"')
    if start < 0:
        return []
    end = html.find("</div>", start)
    return [
        re.sub(r"<[^>]+>", "", item).strip()
        for item in re.findall(r"<li>(.*?)</li>", html[start:end], re.S)
    ]


class _Forms(HTMLParser):
    """Every form of a page with the values a browser would send (buttons left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append((found.get("action", ""), []))
        elif not self.forms:
            return
        fields = self.forms[-1][1]
        name = found.get("name")
        if tag == "input" and name and found.get("type") not in ("submit", "button"):
            if found.get("type") in ("checkbox", "radio") and "checked" not in found:
                return
            fields.append((name, found.get("value", "")))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((found.get("value", ""), "selected" in found))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            value = chosen[0] if chosen else (self._options[0][0] if self._options else "")
            self.forms[-1][1].append((self._select, value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.forms[-1][1].append((self._textarea, self._text))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data


def form_fields(html: str, action: str, *, having: str | None = None) -> list[tuple[str, str]]:
    """The fields of the page's form posting to ``action`` (the first one with a field named
    ``having``, when given), as a browser would send them."""
    parser = _Forms()
    parser.feed(html)
    for target, fields in parser.forms:
        if target == action and (having is None or any(name == having for name, _ in fields)):
            return fields
    raise AssertionError(f"no form posting to {action} on the page")


def as_data(fields: list[tuple[str, str]], **changes: Any) -> dict[str, list[str]]:
    """Form fields as the test client posts them (a name may repeat); ``changes`` replace whole
    fields (``changes`` given as a dict for names with dots: ``as_data(f, **{"day.0-2": ...})``)."""
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = list(value) if isinstance(value, list | tuple) else [str(value)]
    return data
