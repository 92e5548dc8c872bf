"""The role matrix, endpoint by endpoint: every route of the application, called anonymously, as
each role, and as another clinic's owner, answers as the table below says.

The table is written out here, independently of ``services/access.py``: front desk works with
patients, contact details, intakes, appointments and consents; clinicians add acknowledging a
caution, plans, charting, adverse events, outcomes, photos, devices, lots and recalls; owners do
everything, plus staff, the price list, policy overrides and the audit log. A route missing from
the table (or a table entry without a route) fails the test.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from PIL import Image
from tests.api.conftest import API, Clinic, token_for
from tests.integration.conftest import NOW, World

from microneedling import demo
from microneedling.services import adverse_events, calendar_settings, photos, plans, scheduling
from microneedling.store.models import StaffUser

OWNER, CLINICIAN, DESK = "owner", "clinician", "front_desk"
ALL = frozenset({OWNER, CLINICIAN, DESK})
CLINICAL = frozenset({OWNER, CLINICIAN})
OWNERS = frozenset({OWNER})
CALLERS = (None, DESK, CLINICIAN, OWNER, "other_owner")


@dataclass
class Call:
    """One request: path (under /api/v1), and what httpx needs."""

    path: str
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, Any] | None = None
    token: str | None = None  # a token of its own (signing out must not end the role's token)


@dataclass(frozen=True)
class Case:
    roles: frozenset[str]
    success: int
    build: Callable[[Setup, str | None], Call]
    #: Addresses a record of the clinic (another clinic's owner gets 404, as for a missing one).
    record: bool = True
    #: Answers without signing in (the sign-in itself).
    public: bool = False


def tiny_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 150, 120)).save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class Setup:
    """Fresh records in the clinic of the test, made through the use cases."""

    here: Clinic
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def world(self) -> World:
        return self.here.world

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def patient(self) -> int:
        return self.once("patient", self.fresh_patient)

    def fresh_patient(self) -> int:
        return self.world.patient(given_name="Matrix", family_name=uuid.uuid4().hex[:8])

    def screened(self) -> int:
        def make() -> int:
            patient_id = self.fresh_patient()
            self.world.intake(patient_id)
            return patient_id

        return self.once("screened", make)

    def intake(self) -> int:
        return self.once("intake", lambda: self.world.intake(self.screened()))

    def caution_intake(self) -> int:
        return self.world.intake(
            self.fresh_patient(),
            medications=[{"code": "isotretinoin", "stopped_on": "2026-10-01"}],
        )

    def plan(self) -> int:
        return plans.create_plan(
            self.world.uow,
            self.world.clinician,
            self.screened(),
            {"treatments": [{"zone": "cheeks", "concern": "fine_lines"}]},
            clock=self.world.clock,
        )

    def some_plan(self) -> int:
        return self.once("plan", self.plan)

    def consent(self) -> int:
        return self.world.consent(self.patient())

    def appointment(self) -> int:
        """A session of a patient of its own, an hour after the one made before it."""
        count = self.cache["appointments"] = self.cache.get("appointments", 0) + 1
        return self.world.appointment(
            self.fresh_patient(), starts_at=NOW + timedelta(days=3, hours=count)
        )

    def booking_time(self) -> str:
        """A free time for a booking through the API, an hour after the one given before it."""
        self.world.calendar()
        count = self.cache["bookings"] = self.cache.get("bookings", 0) + 1
        return f"2026-12-08T{8 + count:02d}:00:00+01:00"

    def some_appointment(self) -> int:
        return self.once("appointment", self.appointment)

    def ready(self) -> Any:
        return self.world.ready_session()

    def charted(self) -> int:
        def make() -> int:
            session = self.ready()
            self.world.chart(session)
            return session.appointment_id

        return self.once("charted", make)

    def adverse_event(self) -> int:
        return adverse_events.record_adverse_event(
            self.world.uow,
            self.world.clinician,
            self.patient(),
            {"kind": "oedema", "severity": "mild", "onset_on": "2026-11-30"},
            clock=self.world.clock,
        )

    def photo(self) -> int:
        def make() -> int:
            patient_id = self.patient()
            self.world.consent(patient_id, "marketing_photos")
            return photos.add_photo(
                self.world.uow,
                self.world.clinician,
                patient_id,
                tiny_jpeg(),
                view="front",
                clock=self.world.clock,
            )

        return self.once("photo", make)

    def lot(self) -> str:
        return self.world.lot()

    def staff_member(self) -> int:
        from microneedling.services import clinics

        member = clinics.add_staff_member(
            self.world.uow,
            self.world.owner,
            {"email": f"{uuid.uuid4().hex[:10]}@matrix.example", "display_name": "Temp",
             "role": "front_desk"},
            clock=self.world.clock,
        )  # fmt: skip
        return member.staff_user_id

    def signed_in_member(self) -> str:
        """The e-mail of a member with a password (for the sign-in route)."""

        def make() -> str:
            from microneedling.services import clinics

            email = f"{uuid.uuid4().hex[:10]}@signin.example"
            clinics.add_staff_member(
                self.world.uow,
                self.world.owner,
                {"email": email, "display_name": "Signs In", "role": "front_desk",
                 "password": "a long enough password"},
                clock=self.world.clock,
            )  # fmt: skip
            return email

        return self.once("signin", make)

    def calendar(self) -> None:
        """Both clinics' calendars, configured once: the clinician works whenever it is open."""

        def configure(world: World) -> None:
            with world.database.sessions() as session:
                staff = session.get(StaffUser, world.clinician.staff_user_id)
                assert staff is not None
                email = staff.email
            calendar_settings.configure_calendar(
                world.uow, world.owner,
                {**CALENDAR, "practitioners": [{"id": email, "hours": CALENDAR["opening_hours"]}]},
                clock=world.clock,
            )  # fmt: skip

        self.once("calendar", lambda: [configure(self.world), configure(self.here.other)])

    def schedulable_plan(self) -> int:
        """A fresh plan (of a fresh patient) in a clinic whose calendar is configured."""
        self.calendar()
        patient_id = self.fresh_patient()
        self.world.intake(patient_id)
        return plans.create_plan(
            self.world.uow, self.world.clinician, patient_id,
            {"treatments": [{"zone": "cheeks", "concern": "fine_lines"}]}, clock=self.world.clock,
        )  # fmt: skip

    def booked_series(self) -> dict[str, Any]:
        """A fresh plan's series, booked as proposed (the booking's answer)."""
        booked: dict[str, Any] = scheduling.book_plan(
            self.world.uow, self.world.front_desk, self.schedulable_plan(), clock=self.world.clock
        )
        return booked

    def some_booked_series(self) -> dict[str, Any]:
        return self.once("booked", self.booked_series)

    def move_last(self) -> Call:
        """Moving a fresh series' last session an hour later on the same day."""
        last = self.booked_series()["series"][0]["sessions"][-1]
        later = datetime.fromisoformat(last["start"]) + timedelta(hours=1)
        return Call(f"/scheduling/appointments/{last['appointment_id']}/move",
                    json={"to": later.isoformat()})  # fmt: skip

    def own_token(self, role: str | None) -> str | None:
        if role is None:
            return None
        actor = self.here.other.owner if role == "other_owner" else getattr(self.world, role)
        return token_for(self.world.database, actor)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


INTAKE = {"zones": ["cheeks"]}
CONSENT = {"kind": "treatment", "signed_by_name": "the patient"}
SCREEN = {"on": "2026-12-01", "patient": {"birth_date": "1990-05-17", "fitzpatrick": 3},
          "zones": ["cheeks"]}  # fmt: skip
CALENDAR: dict[str, Any] = {
    "name": "Role matrix clinic",
    "opening_hours": {"monday-friday": "08:00-18:00", "saturday": "09:00-13:00"},
    "closures": [],
    "rooms": [{"id": "room-1", "name": "Room 1"}],
    "devices": [],
}
PLAN = {"on": "2026-12-01", "fitzpatrick": 3,
        "treatments": [{"zone": "cheeks", "concern": "fine_lines"}]}  # fmt: skip


def chart_entry(s: Setup) -> Call:
    session = s.ready()
    return Call(
        f"/appointments/{session.appointment_id}/chart",
        json=s.world.entry(session.device_id, session.lot_number),
    )


#: (method, path) → who may call it and what a success answers.
TABLE: dict[tuple[str, str], Case] = {
    # Accounts
    ("POST", "/auth/token"): Case(
        ALL, 200,
        lambda s, r: Call("/auth/token", data={"username": s.signed_in_member(),
                                               "password": "a long enough password"}),
        record=False, public=True,
    ),
    ("POST", "/auth/logout"): Case(
        ALL, 204, lambda s, r: Call("/auth/logout", token=s.own_token(r)), record=False
    ),
    ("GET", "/auth/me"): Case(ALL, 200, lambda s, r: Call("/auth/me"), record=False),
    ("GET", "/messages"): Case(ALL, 200, lambda s, r: Call("/messages"), record=False),
    # Messages: the clinic's settings and wording are the owners'; a patient's preferences are
    # read by anyone who reads the patient and recorded by any member of staff.
    ("GET", "/messages/settings"): Case(
        OWNERS, 200, lambda s, r: Call("/messages/settings"), record=False
    ),
    ("PUT", "/messages/settings"): Case(
        OWNERS, 200, lambda s, r: Call("/messages/settings", json={"quiet_hours": "21:00-08:00"}),
        record=False,
    ),
    ("PUT", "/messages/templates/{kind}"): Case(
        OWNERS, 200,
        lambda s, r: Call("/messages/templates/reminder_48h",
                          json={"subject": "Your visit to {{ clinic }}",
                                "body": "See you {{ when }}."}),
        record=False,
    ),
    ("DELETE", "/messages/templates/{kind}"): Case(
        OWNERS, 200, lambda s, r: Call("/messages/templates/reminder_48h"), record=False
    ),
    ("POST", "/messages/templates/{kind}/preview"): Case(
        OWNERS, 200, lambda s, r: Call("/messages/templates/reminder_2h/preview", json={}),
        record=False,
    ),
    ("GET", "/patients/{patient_id}/message-preferences"): Case(
        ALL, 200, lambda s, r: Call(f"/patients/{s.patient()}/message-preferences")
    ),
    ("PUT", "/patients/{patient_id}/message-preferences"): Case(
        ALL, 200,
        lambda s, r: Call(f"/patients/{s.patient()}/message-preferences",
                          json={"email": True, "sms": False, "reminders": True,
                                "aftercare": True, "recalls": False, "marketing": False}),
    ),
    # Everyone may change their own password (an empty one is refused: nothing changes here;
    # tests/api/test_api_password.py changes them).
    ("POST", "/auth/password"): Case(
        ALL, 422, lambda s, r: Call("/auth/password", json={"current_password": ""}),
        record=False,
    ),
    # Patients
    ("GET", "/patients"): Case(ALL, 200, lambda s, r: Call("/patients?q=Matrix"), record=False),
    ("POST", "/patients"): Case(
        ALL, 201,
        lambda s, r: Call("/patients", json={"given_name": "New", "family_name": "Patient",
                                             "birth_date": "1985-03-02", "fitzpatrick": 3,
                                             "confirm_duplicate": True}),
        record=False,
    ),
    ("GET", "/patients/{patient_id}"): Case(
        ALL, 200, lambda s, r: Call(f"/patients/{s.patient()}")
    ),
    ("PATCH", "/patients/{patient_id}"): Case(
        ALL, 200, lambda s, r: Call(f"/patients/{s.patient()}", json={"phone": "+31 6 1234 5678"})
    ),
    ("GET", "/patients/{patient_id}/record"): Case(
        CLINICAL, 200, lambda s, r: Call(f"/patients/{s.patient()}/record")
    ),
    # Intakes
    ("POST", "/patients/{patient_id}/intakes"): Case(
        ALL, 201, lambda s, r: Call(f"/patients/{s.patient()}/intakes", json=INTAKE)
    ),
    ("GET", "/patients/{patient_id}/intakes"): Case(
        ALL, 200, lambda s, r: Call(f"/patients/{s.screened()}/intakes")
    ),
    ("GET", "/patients/{patient_id}/screening"): Case(
        ALL, 200, lambda s, r: Call(f"/patients/{s.screened()}/screening")
    ),
    ("GET", "/intakes/{intake_id}"): Case(ALL, 200, lambda s, r: Call(f"/intakes/{s.intake()}")),
    ("POST", "/intakes/{intake_id}/acknowledge-caution"): Case(
        CLINICAL, 204,
        lambda s, r: Call(f"/intakes/{s.caution_intake()}/acknowledge-caution",
                          json={"note": "discussed"}),
    ),
    # Plans
    ("POST", "/patients/{patient_id}/plans"): Case(
        CLINICAL, 201,
        lambda s, r: Call(f"/patients/{s.screened()}/plans",
                          json={"treatments": [{"zone": "cheeks", "concern": "fine_lines"}]}),
    ),
    ("GET", "/patients/{patient_id}/plans"): Case(
        CLINICAL, 200, lambda s, r: Call(f"/patients/{s.screened()}/plans")
    ),
    ("GET", "/plans/{plan_id}"): Case(CLINICAL, 200, lambda s, r: Call(f"/plans/{s.some_plan()}")),
    ("POST", "/plans/{plan_id}/status"): Case(
        CLINICAL, 204, lambda s, r: Call(f"/plans/{s.plan()}/status", json={"status": "accepted"})
    ),
    # Consents
    ("POST", "/patients/{patient_id}/consents"): Case(
        ALL, 201, lambda s, r: Call(f"/patients/{s.patient()}/consents", json=CONSENT)
    ),
    ("GET", "/patients/{patient_id}/consents"): Case(
        ALL, 200, lambda s, r: Call(f"/patients/{s.patient()}/consents")
    ),
    ("POST", "/consents/{consent_id}/withdraw"): Case(
        ALL, 204, lambda s, r: Call(f"/consents/{s.consent()}/withdraw")
    ),
    # Appointments
    ("GET", "/appointments"): Case(
        ALL, 200, lambda s, r: Call("/appointments?from=2026-12-01&to=2026-12-31"), record=False
    ),
    ("POST", "/appointments"): Case(
        ALL, 201,
        lambda s, r: Call("/appointments", json={"patient_id": s.patient(),
                                                 "starts_at": s.booking_time()}),
    ),
    ("GET", "/appointments/{appointment_id}"): Case(
        ALL, 200, lambda s, r: Call(f"/appointments/{s.some_appointment()}")
    ),
    ("POST", "/appointments/{appointment_id}/status"): Case(
        ALL, 204,
        lambda s, r: Call(f"/appointments/{s.appointment()}/status",
                          json={"status": "cancelled", "reason": "Patient is ill"}),
    ),
    # Sessions and charts
    ("GET", "/sessions"): Case(
        CLINICAL, 200, lambda s, r: Call("/sessions?from=2026-11-01&to=2026-12-31"), record=False
    ),
    ("POST", "/appointments/{appointment_id}/chart"): Case(CLINICAL, 201, lambda s, r: chart_entry(s)),
    ("GET", "/appointments/{appointment_id}/chart"): Case(
        CLINICAL, 200, lambda s, r: Call(f"/appointments/{s.charted()}/chart")
    ),
    ("POST", "/appointments/{appointment_id}/chart/amendments"): Case(
        CLINICAL, 201,
        lambda s, r: Call(f"/appointments/{s.charted()}/chart/amendments",
                          json={"changes": {"notes": unique("corrected")}, "reason": "typo"}),
    ),
    # Adverse events and outcomes
    ("POST", "/patients/{patient_id}/adverse-events"): Case(
        CLINICAL, 201,
        lambda s, r: Call(f"/patients/{s.patient()}/adverse-events",
                          json={"kind": "oedema", "severity": "mild", "onset_on": "2026-11-30"}),
    ),
    ("GET", "/patients/{patient_id}/adverse-events"): Case(
        CLINICAL, 200, lambda s, r: Call(f"/patients/{s.patient()}/adverse-events")
    ),
    ("POST", "/adverse-events/{event_id}/resolve"): Case(
        CLINICAL, 204,
        lambda s, r: Call(f"/adverse-events/{s.adverse_event()}/resolve",
                          json={"resolved_on": "2026-12-01", "resolution": "settled"}),
    ),
    ("POST", "/patients/{patient_id}/outcomes"): Case(
        CLINICAL, 201,
        lambda s, r: Call(f"/patients/{s.patient()}/outcomes",
                          json={"scale": "gais", "inputs": {"grade": 2}}),
    ),
    ("GET", "/patients/{patient_id}/outcomes"): Case(
        CLINICAL, 200, lambda s, r: Call(f"/patients/{s.patient()}/outcomes")
    ),
    # Photos
    ("POST", "/patients/{patient_id}/photos"): Case(
        CLINICAL, 201,
        lambda s, r: Call(f"/patients/{s.patient()}/photos", data={"view": "front"},
                          files={"file": ("face.jpg", tiny_jpeg(), "image/jpeg")}),
    ),
    ("GET", "/patients/{patient_id}/photos"): Case(
        CLINICAL, 200, lambda s, r: Call(f"/patients/{s.patient()}/photos")
    ),
    ("GET", "/photos/{photo_id}"): Case(CLINICAL, 200, lambda s, r: Call(f"/photos/{s.photo()}")),
    ("GET", "/photos/{photo_id}/file"): Case(
        CLINICAL, 200, lambda s, r: Call(f"/photos/{s.photo()}/file")
    ),
    ("POST", "/photos/{photo_id}/marketing"): Case(
        CLINICAL, 204, lambda s, r: Call(f"/photos/{s.photo()}/marketing")
    ),
    ("GET", "/marketing-photos"): Case(
        CLINICAL, 200, lambda s, r: Call("/marketing-photos"), record=False
    ),
    # Devices and lots
    ("GET", "/devices"): Case(CLINICAL, 200, lambda s, r: Call("/devices"), record=False),
    ("POST", "/devices"): Case(
        CLINICAL, 201,
        lambda s, r: Call("/devices", json={"kind": "pen", "manufacturer": "Acme", "model": "P1",
                                            "serial_number": unique("SN")}),
        record=False,
    ),
    ("GET", "/lots"): Case(CLINICAL, 200, lambda s, r: Call("/lots"), record=False),
    ("POST", "/lots"): Case(
        CLINICAL, 201,
        lambda s, r: Call("/lots", json={"manufacturer": "Acme", "product": "12-pin",
                                         "lot_number": unique("LOT"), "expires_on": "2027-06-30",
                                         "quantity_received": 50}),
        record=False,
    ),
    ("POST", "/lots/{lot_number}/recall"): Case(
        CLINICAL, 200, lambda s, r: Call(f"/lots/{s.lot()}/recall", json={"reason": "sterility"})
    ),
    # The clinic: owners
    ("GET", "/staff"): Case(OWNERS, 200, lambda s, r: Call("/staff"), record=False),
    ("POST", "/staff"): Case(
        OWNERS, 202,
        lambda s, r: Call("/staff", json={"email": f"{unique('new')}@staff.example",
                                          "display_name": "New", "role": "clinician"}),
        record=False,
    ),
    ("POST", "/staff/{staff_id}/role"): Case(
        OWNERS, 200, lambda s, r: Call(f"/staff/{s.staff_member()}/role", json={"role": "owner"})
    ),
    ("POST", "/staff/{staff_id}/deactivate"): Case(
        OWNERS, 200, lambda s, r: Call(f"/staff/{s.staff_member()}/deactivate")
    ),
    ("POST", "/staff/{staff_id}/password-reset"): Case(
        OWNERS, 200, lambda s, r: Call(f"/staff/{s.staff_member()}/password-reset")
    ),
    ("GET", "/staff/{staff_id}/sessions"): Case(
        OWNERS, 200, lambda s, r: Call(f"/staff/{s.staff_member()}/sessions")
    ),
    ("POST", "/staff/{staff_id}/sessions/end"): Case(
        OWNERS, 200, lambda s, r: Call(f"/staff/{s.staff_member()}/sessions/end", json={})
    ),
    ("GET", "/clinic/price-list"): Case(
        OWNERS, 200, lambda s, r: Call("/clinic/price-list"), record=False
    ),
    ("PUT", "/clinic/price-list"): Case(
        OWNERS, 204, lambda s, r: Call("/clinic/price-list", json=demo.load("price_list.yaml")),
        record=False,
    ),
    ("GET", "/clinic/policy-overrides"): Case(
        OWNERS, 200, lambda s, r: Call("/clinic/policy-overrides"), record=False
    ),
    ("PUT", "/clinic/policy-overrides"): Case(
        OWNERS, 204, lambda s, r: Call("/clinic/policy-overrides", json={"minimum_age": 21}),
        record=False,
    ),
    ("GET", "/clinic/policy"): Case(OWNERS, 200, lambda s, r: Call("/clinic/policy"), record=False),
    ("DELETE", "/clinic/policy-overrides/{key}"): Case(
        OWNERS, 200, lambda s, r: Call("/clinic/policy-overrides/minimum_age"), record=False
    ),
    ("PUT", "/clinic/contact"): Case(
        OWNERS, 200, lambda s, r: Call("/clinic/contact", json={"phone": "+31 71 123 4567"}),
        record=False,
    ),
    ("GET", "/audit"): Case(OWNERS, 200, lambda s, r: Call("/audit?limit=5"), record=False),
    ("GET", "/audit/verify"): Case(OWNERS, 200, lambda s, r: Call("/audit/verify"), record=False),
    # Scheduling
    ("GET", "/scheduling/calendar"): Case(
        ALL, 200, lambda s, r: (s.calendar(), Call("/scheduling/calendar"))[1], record=False
    ),
    ("PUT", "/scheduling/calendar"): Case(
        OWNERS, 200, lambda s, r: Call("/scheduling/calendar", json=CALENDAR), record=False
    ),
    ("POST", "/scheduling/plans/{plan_id}/proposal"): Case(
        ALL, 200, lambda s, r: Call(f"/scheduling/plans/{s.schedulable_plan()}/proposal", json={})
    ),
    ("POST", "/scheduling/plans/{plan_id}/booking"): Case(
        ALL, 201,
        lambda s, r: Call(f"/scheduling/plans/{s.schedulable_plan()}/booking",
                          json={"accept": True}),
    ),
    ("POST", "/scheduling/appointments/{appointment_id}/move"): Case(
        ALL, 200, lambda s, r: s.move_last()
    ),
    ("POST", "/scheduling/appointments/{appointment_id}/cancel"): Case(
        ALL, 200,
        lambda s, r: Call("/scheduling/appointments/"
                          f"{s.booked_series()['series'][0]['sessions'][-1]['appointment_id']}"
                          "/cancel", json={"reason": "Patient is ill"}),
    ),
    ("POST", "/scheduling/series/{series_id}/stop"): Case(
        ALL, 200,
        lambda s, r: Call(f"/scheduling/series/{s.booked_series()['series'][0]['series_id']}"
                          "/stop", json={"reason": "Patient moved away"}),
    ),
    ("GET", "/scheduling/patients/{patient_id}/series"): Case(
        ALL, 200,
        lambda s, r: Call(f"/scheduling/patients/{s.some_booked_series()['patient_id']}/series"),
    ),
    ("GET", "/scheduling/patients/{patient_id}/calendar.ics"): Case(
        ALL, 200,
        lambda s, r: Call(
            f"/scheduling/patients/{s.some_booked_series()['patient_id']}/calendar.ics"
        ),
    ),
    ("GET", "/scheduling/practitioners/{staff_user_id}/calendar.ics"): Case(
        ALL, 200,
        lambda s, r: (s.calendar(), Call(
            f"/scheduling/practitioners/{s.world.clinician.staff_user_id}/calendar.ics"
        ))[1],
    ),
    ("GET", "/scheduling/maintenance-due"): Case(
        ALL, 200, lambda s, r: Call("/scheduling/maintenance-due"), record=False
    ),
    ("POST", "/scheduling/optimise"): Case(
        CLINICAL, 200,
        lambda s, r: (s.calendar(),
                      Call("/scheduling/optimise", json={"method": "greedy",
                                                         "horizon_days": 30}))[1],
        record=False,
    ),
    ("POST", "/scheduling/optimise/accept"): Case(
        ALL, 200,
        lambda s, r: (s.calendar(),
                      Call("/scheduling/optimise/accept", json={"result": {"series": []}}))[1],
        record=False,
    ),
    # Computations
    ("POST", "/screen"): Case(ALL, 200, lambda s, r: Call("/screen", json=SCREEN), record=False),
    ("POST", "/plan"): Case(CLINICAL, 200, lambda s, r: Call("/plan", json=PLAN), record=False),
    ("POST", "/product-check"): Case(
        ALL, 200,
        lambda s, r: Call("/product-check", json={"ingredients": "aqua, glycerin",
                                                  "hours_since_session": 30}),
        record=False,
    ),
    ("POST", "/scores/{scale}"): Case(
        CLINICAL, 200, lambda s, r: Call("/scores/gais", json={"grade": 2}), record=False
    ),
}  # fmt: skip

#: Routes outside /api/v1 that anyone may read.
PUBLIC = {("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect")}
#: The SMS provider's webhooks carry no token: each request is signed with the provider's auth
#: token (X-Twilio-Signature), tested in tests/integration/test_messages_webhooks.py.
PUBLIC |= {("POST", "/api/v1/messages/sms/inbound"), ("POST", "/api/v1/messages/sms/status")}


def api_routes(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the application answers (FastAPI keeps included routers nested in
    ``app.routes``; ``iter_route_contexts`` flattens them)."""
    found = set()
    for route in iter_route_contexts(app.routes):
        if route.path is None:
            continue
        for method in route.methods or ():
            if method in ("HEAD", "OPTIONS"):
                continue
            found.add((method, getattr(route, "path_format", route.path)))
    return found


def test_every_route_of_the_application_is_in_the_table(app: Any) -> None:
    # Billing's routes have their table beside their module (imported here: that module
    # imports this one).
    from tests.api.test_billing_roles import BILLING_TABLE

    routes = api_routes(app)
    table = {(method, API + path) for method, path in (*TABLE, *BILLING_TABLE)} | PUBLIC
    assert routes - table == set(), "routes without an entry in the role table"
    assert table - routes == set(), "table entries without a route"


def expected(case: Case, caller: str | None) -> int:
    if caller is None:
        return case.success if case.public else 401
    if caller == "other_owner":
        return 404 if case.record else case.success
    return case.success if caller in case.roles else 403


@pytest.mark.parametrize("route", sorted(TABLE), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_caller_gets_the_answer_the_table_gives(
    clinic: Clinic, route: tuple[str, str]
) -> None:
    method, _ = route
    case = TABLE[route]
    setup = Setup(clinic)
    answers = {}
    for caller in CALLERS:
        call = case.build(setup, caller)
        token = (
            call.token
            if call.token is not None
            else (clinic.tokens[caller] if caller is not None else None)
        )
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = clinic.client.request(
            method, API + call.path, json=call.json, data=call.data, files=call.files,
            headers=headers,
        )  # fmt: skip
        answers[caller] = (response.status_code, expected(case, caller), response.text[:200])
    wrong = {caller: got for caller, got in answers.items() if got[0] != got[1]}
    assert not wrong, f"(got, expected, body) per caller: {wrong}"


def test_the_public_pages_answer_without_signing_in(clinic: Clinic) -> None:
    assert clinic.client.get("/openapi.json").status_code == 200
    assert clinic.client.get("/docs").status_code == 200
