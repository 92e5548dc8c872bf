"""The demo clinic: a year of a clinic's records, made through the real use cases.

Deterministic from the seed and the day it is built for (``today``): the same two give the same
records. Everything is done the way staff would do it, in time order on a simulated clock, so the
audit log reads like a real one and every rule is respected: front desk registers patients and
records their intakes (screened for real across all four decisions); clinicians acknowledge
``caution`` screenings, plan (the real planner, priced with the demo price list), chart sessions
with devices and cartridge lots from the inventory, amend a few charts, record outcomes and
adverse events; deferred patients are screened again once their wait is over, and anyone whose
screening is more than 90 days old is screened again before a session. One lot expires in ten
days and is in use; one older lot has expired; one lot was recalled.

A second clinic (``owner@second.example``) with a few patients shows that clinics are kept apart.

Building takes tens of seconds; on SQLite a build is kept and a fresh database asking for the same
demo (same code, day, seed, patients and password) gets a copy of it instead
(:mod:`~microneedling.services.demo_cache`).
"""

from __future__ import annotations

import heapq
import io
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from microneedling import demo
from microneedling.clinical.intake import parse_intake
from microneedling.clinical.screening import screen
from microneedling.errors import PlanRequestError, RuleViolation, UserError
from microneedling.knowledge import KnowledgeBase, shipped_knowledge_base
from microneedling.services import (
    adverse_events,
    appointments,
    calendar_settings,
    charts,
    clinics,
    consents,
    intakes,
    inventory,
    outcomes,
    patients,
    photos,
    plans,
    scheduling,
)
from microneedling.services.access import Actor, Role
from microneedling.services.clock import Clock, fixed_clock
from microneedling.services.demo_cache import DemoCache, fresh_sqlite
from microneedling.store import UnitOfWork
from microneedling.store.models import Appointment, TreatmentPlan

DEMO_SLUG = "demo"
SECOND_SLUG = "second"
DEFAULT_SEED = 2026
DEFAULT_PATIENTS = 300
DEFAULT_PASSWORD = "microneedling-demo"
TIME_ZONE = "Europe/Amsterdam"
#: How far back the demo's history goes.
HISTORY_DAYS = 330

STAFF = (
    ("owner@demo.example", "Olivia Owens", Role.OWNER),
    ("clinician@demo.example", "Dr Clara Jansen", Role.CLINICIAN),
    ("clinician2@demo.example", "Dr Sami Haddad", Role.CLINICIAN),
    ("frontdesk@demo.example", "Femke de Vries", Role.FRONT_DESK),
)
SECOND_STAFF = (
    ("owner@second.example", "Oscar Second", Role.OWNER),
    ("clinician@second.example", "Dr Nina Second", Role.CLINICIAN),
)
#: Share of new patients aimed at each screening decision.
DECISION_MIX = (("eligible", 0.50), ("caution", 0.20), ("defer", 0.18), ("not_eligible", 0.12))
TREATMENTS = (
    ({"concern": "acne_scars", "subtype": "rolling"}, ("cheeks",)),
    ({"concern": "acne_scars", "subtype": "boxcar"}, ("cheeks", "chin")),
    ({"concern": "fine_lines"}, ("periorbital",)),
    ({"concern": "fine_lines"}, ("forehead", "perioral")),
    ({"concern": "texture"}, ("cheeks", "nose")),
    ({"concern": "enlarged_pores"}, ("nose",)),
    ({"concern": "hyperpigmentation"}, ("cheeks",)),
    ({"concern": "skin_laxity"}, ("neck", "jawline")),
    ({"concern": "stretch_marks"}, ("abdomen",)),
    ({"concern": "stretch_marks"}, ("thighs",)),
    ({"concern": "alopecia"}, ("scalp",)),
)
GIVEN_NAMES = (
    "Anna",
    "Sophie",
    "Emma",
    "Julia",
    "Lotte",
    "Noor",
    "Sara",
    "Fatima",
    "Yara",
    "Mila",
    "Eva",
    "Lina",
    "Ines",
    "Chloe",
    "Aisha",
    "Mei",
    "Priya",
    "Olga",
    "Maria",
    "Zeynep",
    "Daan",
    "Liam",
    "Noah",
    "Omar",
    "Lucas",
    "Mateo",
    "Ravi",
    "Jonas",
    "Kenji",
    "Tomas",
)
FAMILY_NAMES = (
    "de Jong",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Mulder",
    "de Boer",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Dekker",
    "Brouwer",
    "Yilmaz",
    "El Amrani",
    "Nguyen",
    "Kowalski",
    "Garcia",
    "Rossi",
    "Okafor",
    "Singh",
    "Chen",
    "Novak",
    "Silva",
    "Haddad",
    "Ahmed",
    "Kaya",
)
#: Patients' scheduling wishes (most have none).
PREFERENCES: tuple[dict[str, Any], ...] = (
    {},
    {},
    {},
    {"weekdays": ["tuesday", "thursday"]},
    {"times": ["08:30-12:30"]},
    {"times": ["14:00-18:00"]},
    {"practitioner": "clinician@demo.example"},
    {"practitioner": "clinician2@demo.example", "weekdays": ["monday-wednesday"]},
)
ENDPOINTS = ("uniform erythema", "pinpoint bleeding", "erythema with pinpoint bleeding")
AE_KINDS = (
    ("prolonged_erythema", "mild"),
    ("oedema", "mild"),
    ("acneiform_eruption", "mild"),
    ("herpes_reactivation", "moderate"),
    ("hyperpigmentation", "moderate"),
)


@dataclass
class DemoSummary:
    """What the demo built (or found already built), with the sign-ins."""

    already_loaded: bool
    today: date
    seed: int
    password: str | None
    staff: list[dict[str, str]]
    counts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "already_loaded": self.already_loaded,
            "today": self.today.isoformat(),
            "seed": self.seed,
            "password": self.password,
            "staff": self.staff,
            "counts": self.counts,
        }


def _staff_list() -> list[dict[str, str]]:
    rows = []
    for slug, members in ((DEMO_SLUG, STAFF), (SECOND_SLUG, SECOND_STAFF)):
        for email, name, role in members:
            rows.append({"clinic": slug, "email": email, "name": name, "role": str(role)})
    return rows


def demo_loaded(uow: UnitOfWork) -> bool:
    with uow:
        return uow.clinics.by_slug(DEMO_SLUG) is not None


def build_demo_clinic(
    uow: UnitOfWork,
    *,
    today: date,
    seed: int = DEFAULT_SEED,
    patient_count: int = DEFAULT_PATIENTS,
    password: str = DEFAULT_PASSWORD,
    kb: KnowledgeBase | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache: DemoCache | Literal["configured"] | None = "configured",
) -> DemoSummary:
    """Create both demo clinics, unless the demo clinic exists (then report it as loaded).

    With ``cache`` (by default the one the environment configures, see
    :mod:`~microneedling.services.demo_cache`) a fresh SQLite database gets a copy of the same
    demo built before, or built now and kept; ``None`` always builds in place. A ``kb`` other
    than the shipped knowledge base is always built in place.
    """
    if demo_loaded(uow):
        return DemoSummary(True, today, seed, None, _staff_list())
    if cache == "configured":
        cache = DemoCache.configured()
    if cache is not None and kb is None and uow.photos is not None and fresh_sqlite(uow):
        key = cache.key(
            uow.photos, today=today, seed=seed, patient_count=patient_count, password=password
        )

        def build(into: UnitOfWork) -> dict[str, Any]:
            return _build(into, today, seed, patient_count, password, None, progress)

        copied = cache.demo(key, uow, build)
        if copied is not None:
            return DemoSummary(False, today, seed, password, _staff_list(), copied)
    counts = _build(uow, today, seed, patient_count, password, kb, progress)
    return DemoSummary(False, today, seed, password, _staff_list(), counts)


def _build(
    uow: UnitOfWork,
    today: date,
    seed: int,
    patient_count: int,
    password: str,
    kb: KnowledgeBase | None,
    progress: Callable[[int, int], None] | None,
) -> dict[str, Any]:
    builder = _Builder(uow, today, seed, password, kb or shipped_knowledge_base())
    builder.build(patient_count, progress)
    from microneedling.services.messages.demo import seed_demo_messages

    seed_demo_messages(uow, today)
    from microneedling.services.portal.demo import open_demo_portal

    return {**builder.summary(), "portal": open_demo_portal(uow, today)}


@dataclass
class _Patient:
    id: int
    answers: dict[str, Any]
    fitzpatrick: int
    treatments: list[dict[str, Any]]
    decision: str = ""
    intake_on: date | None = None
    intake_id: int = 0
    plan_id: int | None = None
    consent_ids: dict[str, int] = field(default_factory=dict)
    charted: int = 0
    photographed: bool = False
    rescreens: int = 0


class _Builder:
    def __init__(
        self, uow: UnitOfWork, today: date, seed: int, password: str, kb: KnowledgeBase
    ) -> None:
        self.uow = uow
        self.today = today
        self.rng = random.Random(seed)
        self.password = password
        self.kb = kb
        self.zone = ZoneInfo(TIME_ZONE)
        self.queue: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self.counter = 0
        self.counts: Counter[str] = Counter()
        self.lots: list[dict[str, Any]] = []
        self.devices: list[int] = []
        self.photos_left = 12
        self.cutoff = self.local(today, 8)

    # Scheduling ------------------------------------------------------------------------------

    def at(self, moment: datetime, action: Callable[[datetime], None]) -> None:
        """Do ``action`` at ``moment`` if that is before the demo's "now" (today, 08:00)."""
        if moment < self.cutoff:
            self.counter += 1
            heapq.heappush(self.queue, (moment, self.counter, action))

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), self.zone).astimezone(UTC)

    def run(self, progress: Callable[[int, int], None] | None) -> None:
        """Do everything scheduled, in time order (actions schedule what follows them)."""
        done = 0
        while self.queue:
            moment, _, action = heapq.heappop(self.queue)
            action(moment)
            done += 1
            if progress is not None and done % 50 == 0:
                progress(done, done + len(self.queue))
        if progress is not None:
            progress(done, done)

    def clock(self, moment: datetime) -> Clock:
        return fixed_clock(moment)

    # The clinics ---------------------------------------------------------------------------------

    def build(self, patient_count: int, progress: Callable[[int, int], None] | None) -> None:
        start = self.today - timedelta(days=HISTORY_DAYS)
        opened = self.local(start - timedelta(days=7), 8)
        self.staff = self._clinic(DEMO_SLUG, "Demo Skin Clinic", STAFF, opened, prices=True)
        self.second = self._clinic(SECOND_SLUG, "Second Street Clinic", SECOND_STAFF, opened)
        self.owner = self.staff["owner@demo.example"]
        self.clinicians = [
            self.staff["clinician@demo.example"],
            self.staff["clinician2@demo.example"],
        ]
        self.front_desk = self.staff["frontdesk@demo.example"]
        self._inventory(start)
        self._calendar(start)
        self._second_calendar(start)
        for index in range(patient_count):
            day = start + timedelta(days=self.rng.randrange(HISTORY_DAYS))
            moment = self.local(day, 9 + self.rng.randrange(8), 5 * self.rng.randrange(12))
            self.at(moment, partial(self.register, index=index, actor=self.front_desk))
        for index in range(10):
            day = self.today - timedelta(days=self.rng.randrange(60))
            actor = self.second["clinician@second.example"]
            self.at(
                self.local(day, 11, index),
                partial(self.register, index=10_000 + index, actor=actor, follow_up=False),
            )
        self.at(self.local(self.today - timedelta(days=20), 16), self.recall)
        from microneedling.services.billing.demo import schedule_demo_billing

        schedule_demo_billing(self, start)  # packages, invoices, payments on the timeline
        self.run(progress)
        self._leave_time_free_today()

    def _leave_time_free_today(self) -> None:
        """A visitor tries booking on the demo's day: each clinician's last session that
        afternoon is cancelled (the patient asked to move it) just before the demo's "now", so
        neither clinician's day is full whatever the seed."""
        afternoon, evening = self.local(self.today, 13), self.local(self.today, 23)
        with self.uow:
            last = [
                self.uow.session.execute(
                    select(Appointment.id)
                    .where(
                        Appointment.practitioner_id == clinician.staff_user_id,
                        Appointment.status == "scheduled",
                        Appointment.starts_at >= afternoon,
                        Appointment.starts_at < evening,
                    )
                    .order_by(Appointment.starts_at.desc())
                    .limit(1)
                ).scalar_one_or_none()
                for clinician in self.clinicians
            ]
        for appointment in last:
            if appointment is not None:
                self.status(self.cutoff - timedelta(minutes=1), appointment, "cancelled")

    def _clinic(
        self,
        slug: str,
        name: str,
        members: tuple[tuple[str, str, Role], ...],
        opened: datetime,
        *,
        prices: bool = False,
    ) -> dict[str, Actor]:
        email, display, _ = members[0]
        owner = clinics.create_clinic(
            self.uow,
            slug=slug,
            name=name,
            time_zone=TIME_ZONE,
            owner={
                "email": email,
                "display_name": display,
                "role": "owner",
                "password": self.password,
            },
            price_list=demo.load("price_list.yaml") if prices else None,
            clock=self.clock(opened),
            demo=True,  # the published password: this is not a real installation
        )
        actors = {email: owner}
        for email, display, role in members[1:]:
            actors[email] = clinics.add_staff_member(
                self.uow,
                owner,
                {
                    "email": email,
                    "display_name": display,
                    "role": str(role),
                    "password": self.password,
                },
                clock=self.clock(opened + timedelta(minutes=10)),
                demo=True,
            )
        return actors

    def _inventory(self, start: date) -> None:
        clinician = self.clinicians[0]
        moment = self.local(start - timedelta(days=3), 9)
        for serial, model in (("MP-1001", "MicroPen Pro"), ("MP-1002", "MicroPen Pro")):
            self.devices.append(
                inventory.register_device(
                    self.uow,
                    clinician,
                    {
                        "kind": "pen",
                        "manufacturer": "Acme Medical",
                        "model": model,
                        "serial_number": serial,
                    },
                    clock=self.clock(moment),
                )
            )
        plan = (
            ("A-2025-117", -HISTORY_DAYS - 3, -40),  # expired forty days ago
            ("B-2025-342", -300, 10),  # expires in ten days, in use
            ("C-2026-051", -200, 400),  # recalled twenty days ago
            ("D-2026-133", -100, 500),
        )
        for lot_number, received, expires in plan:
            received_on = self.today + timedelta(days=received)
            expires_on = self.today + timedelta(days=expires)
            self.at(
                self.local(received_on, 8, 30),
                partial(self.receive, number=lot_number, received=received_on, expires=expires_on),
            )
            self.lots.append(
                {
                    "number": lot_number,
                    "received_on": received_on,
                    "expires_on": self.today + timedelta(days=expires),
                    "recalled_on": None,
                }
            )

    def _calendar(self, start: date) -> None:
        """The clinic calendar, so that a new user can book a series at once: open Monday to
        Friday 09:00-18:00 and Saturday 09:00-13:00 (the clinic's time zone), holidays, both
        clinicians' hours (and a week of training for one of them, three weeks from today), the
        owner treating patients on Fridays and Saturdays, two rooms, both pens."""
        year = self.today.year
        holidays = [
            (date(y, 12, 24), date(y, 12, 26), "Christmas") for y in (year - 1, year, year + 1)
        ] + [(date(y, 4, 27), date(y, 4, 27), "King's Day") for y in (year, year + 1)]
        training = self.today + timedelta(days=21)
        calendar_settings.configure_calendar(
            self.uow,
            self.owner,
            {
                "name": "Demo Skin Clinic",
                "opening_hours": {"monday-friday": "09:00-18:00", "saturday": "09:00-13:00"},
                "closures": [
                    {"from": a.isoformat(), "to": b.isoformat(), "reason": why}
                    for a, b, why in holidays
                ],
                "lengths": {"anaesthetic_minutes": 30, "turnover_minutes": 10},
                "slot_minutes": 15,
                "practitioners": [
                    {
                        "id": "clinician@demo.example",
                        "hours": {"monday-thursday": "09:00-12:30, 13:00-17:00"},
                    },
                    {
                        "id": "owner@demo.example",
                        "hours": {"friday": "09:00-13:00, 14:00-18:00", "saturday": "09:00-13:00"},
                    },
                    {
                        "id": "clinician2@demo.example",
                        "hours": {
                            "tuesday-friday": "10:00-13:00, 13:30-18:00",
                            "saturday": "09:00-13:00",
                        },
                        "absences": [
                            {
                                "from": training.isoformat(),
                                "to": (training + timedelta(days=4)).isoformat(),
                                "reason": "training",
                            }
                        ],
                    },
                ],
                "rooms": [
                    {"id": "room-1", "name": "Treatment room 1"},
                    {"id": "room-2", "name": "Treatment room 2"},
                ],
                "devices": [{"id": "MP-1001", "rooms": ["room-1"]}, {"id": "MP-1002"}],
            },
            clock=self.clock(self.local(start - timedelta(days=3), 9, 30)),
        )

    def _second_calendar(self, start: date) -> None:
        """The second clinic's calendar (one clinician, one room, no device booked with
        appointments), so that its owner can book too."""
        calendar_settings.configure_calendar(
            self.uow,
            self.second["owner@second.example"],
            {
                "name": "Second Street Clinic",
                "opening_hours": {"monday-friday": "09:00-17:00"},
                "closures": [],
                "practitioners": [
                    {"id": "clinician@second.example", "hours": {"monday-friday": "09:00-17:00"}}
                ],
                "rooms": [{"id": "room-1", "name": "Treatment room"}],
                "devices": [],
            },
            clock=self.clock(self.local(start - timedelta(days=3), 10)),
        )

    def receive(self, now: datetime, number: str, received: date, expires: date) -> None:
        inventory.receive_cartridge_lot(
            self.uow,
            self.clinicians[0],
            {
                "manufacturer": "Acme Medical",
                "product": "12-needle sterile cartridge",
                "lot_number": number,
                "needle_count": 12,
                "expires_on": expires.isoformat(),
                "received_on": received.isoformat(),
                "quantity_received": 500,
            },
            clock=self.clock(now),
        )

    def recall(self, now: datetime) -> None:
        inventory.recall_cartridge_lot(
            self.uow,
            self.owner,
            "C-2026-051",
            reason="Manufacturer notice: sterility of the lot cannot be assured.",
            clock=self.clock(now),
        )
        self.lots[2]["recalled_on"] = now.date()
        self.counts["lots recalled"] += 1

    # One patient -------------------------------------------------------------------------------

    def register(self, now: datetime, index: int, actor: Actor, follow_up: bool = True) -> None:
        rng = random.Random(f"{self.rng.random()}-{index}")
        fitzpatrick = rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6))
        day = now.astimezone(self.zone).date()
        target = self._target(rng)
        treatments, zones = self._treatments(rng)
        answers = self._answers(rng, day, zones, target)
        birth = date.fromisoformat(answers["patient"]["birth_date"])
        given = rng.choice(GIVEN_NAMES)
        family = rng.choice(FAMILY_NAMES)
        patient_id = patients.register_patient(
            self.uow,
            actor,
            {
                "given_name": given,
                "family_name": family,
                "birth_date": birth.isoformat(),
                "sex": answers["patient"]["sex"],
                "fitzpatrick": fitzpatrick,
                "email": f"{given}.{family}.{index}@example.com".lower().replace(" ", ""),
                "phone": f"+31 6 {rng.randrange(10_000_000, 99_999_999)}",
            },
            clock=self.clock(now),
        )
        answers["patient"]["fitzpatrick"] = fitzpatrick
        self.counts["patients"] += 1
        patient = _Patient(patient_id, answers, fitzpatrick, treatments)
        self.at(
            now + timedelta(minutes=10), lambda t: self.intake(t, patient, rng, actor, follow_up)
        )

    def _target(self, rng: random.Random) -> str:
        roll = rng.random()
        for decision, share in DECISION_MIX:
            if roll < share:
                return decision
            roll -= share
        return "eligible"

    def _treatments(self, rng: random.Random) -> tuple[list[dict[str, Any]], list[str]]:
        chosen = rng.sample(TREATMENTS, rng.choice((1, 1, 1, 2)))
        treatments: list[dict[str, Any]] = []
        zones: list[str] = []
        for concern, where in chosen:
            for zone in where:
                if zone not in zones:
                    zones.append(zone)
                    treatments.append({"zone": zone, **concern})
        return treatments, zones

    def _answers(
        self, rng: random.Random, day: date, zones: list[str], target: str
    ) -> dict[str, Any]:
        """Intake answers whose screening gives ``target`` (tries a few random ones)."""
        best: dict[str, Any] = {}
        for _ in range(200):
            answers = self._random_answers(rng, day, zones, target)
            result = screen(parse_intake(answers), self.kb)
            if result.decision == target and (target != "defer" or result.earliest_date):
                return answers
            if result.decision == "eligible" and not best:
                best = answers
        return best or self._random_answers(rng, day, zones, "eligible")

    def _random_answers(
        self, rng: random.Random, day: date, zones: list[str], target: str
    ) -> dict[str, Any]:
        age_days = rng.randrange(20 * 365, 65 * 365)
        if target == "not_eligible" and rng.random() < 0.15:
            age_days = rng.randrange(15 * 365, 17 * 365)
        answers: dict[str, Any] = {
            "on": day.isoformat(),
            "patient": {
                "birth_date": (day - timedelta(days=age_days)).isoformat(),
                "sex": rng.choice(("female", "female", "female", "male")),
                "fitzpatrick": 3,
            },
            "zones": zones,
            "conditions": [],
            "medications": [],
            "procedures": [],
            "allergies": [],
        }
        if target == "eligible" and rng.random() < 0.6:
            return answers
        lists = {
            "condition": "conditions",
            "medication": "medications",
            "procedure": "procedures",
            "allergy": "allergies",
        }
        kinds = {kind: [c for c, f in self.kb.findings.items() if f.kind == kind] for kind in lists}
        for _ in range(rng.choice((1, 1, 2))):
            kind = rng.choice(("condition", "condition", "medication", "procedure", "allergy"))
            item: dict[str, Any] = {"code": rng.choice(kinds[kind])}
            if rng.random() < 0.5:
                item["zones"] = [rng.choice(zones)]
            if kind in ("procedure", "condition"):
                item["on"] = (day - timedelta(days=rng.randrange(1, 40))).isoformat()
            if kind == "medication" and rng.random() < 0.7:
                item["stopped_on"] = (day - timedelta(days=rng.randrange(1, 200))).isoformat()
            answers[lists[kind]].append(item)
        return answers

    def intake(
        self,
        now: datetime,
        patient: _Patient,
        rng: random.Random,
        actor: Actor,
        follow_up: bool = True,
        then: Callable[[datetime], None] | None = None,
        refused: Callable[[datetime], None] | None = None,
    ) -> None:
        """Record an intake; ``then`` continues once it allows treatment, else ``refused``."""
        day = now.astimezone(self.zone).date()
        answers = {**patient.answers, "on": day.isoformat()}
        patient.intake_id = intakes.record_intake(
            self.uow, actor, patient.id, answers, kb=self.kb, clock=self.clock(now)
        )
        result = screen(parse_intake(answers), self.kb)
        patient.decision, patient.intake_on = result.decision, day
        self.counts[f"screenings {result.decision}"] += 1
        if not follow_up:
            return
        if result.decision == "caution":
            if then is not None or rng.random() < 0.85:
                self.at(
                    now + timedelta(minutes=5), lambda t: self.acknowledge(t, patient, rng, then)
                )
        elif result.decision == "eligible":
            self.at(now + timedelta(minutes=5), then or (lambda t: self.make_plan(t, patient, rng)))
        elif refused is not None:
            self.counts["sessions cancelled after screening"] += 1
            refused(now + timedelta(minutes=5))
        elif result.decision == "defer" and result.earliest_date is not None:
            patient.rescreens += 1
            if patient.rescreens > 2:
                return
            # As advised, the patient stops what they were still taking.
            for item in patient.answers["medications"]:
                item.setdefault("stopped_on", day.isoformat())
            again = result.earliest_date + timedelta(days=rng.randrange(2, 15))
            self.at(
                self.local(again, 10, rng.randrange(60)),
                lambda t: self.intake(t, patient, rng, self.front_desk),
            )

    def acknowledge(
        self,
        now: datetime,
        patient: _Patient,
        rng: random.Random,
        then: Callable[[datetime], None] | None,
    ) -> None:
        intakes.acknowledge_caution(
            self.uow,
            rng.choice(self.clinicians),
            patient.intake_id,
            note="Discussed the finding with the patient; benefits outweigh the risk.",
            clock=self.clock(now),
        )
        self.counts["caution acknowledgements"] += 1
        self.at(now + timedelta(minutes=10), then or (lambda t: self.make_plan(t, patient, rng)))

    def make_plan(self, now: datetime, patient: _Patient, rng: random.Random) -> None:
        clinician = rng.choice(self.clinicians)
        day = now.astimezone(self.zone).date()
        request = {
            "treatments": patient.treatments,
            "start": (day + timedelta(days=rng.randrange(5, 15))).isoformat(),
        }
        try:
            patient.plan_id = plans.create_plan(
                self.uow, clinician, patient.id, request, kb=self.kb, clock=self.clock(now)
            )
        except (PlanRequestError, RuleViolation):
            self.counts["plans refused by policy"] += 1
            return
        self.counts["plans"] += 1
        with self.uow:
            plan_row = self.uow.records(clinician.clinic_id).get(TreatmentPlan, patient.plan_id)
            assert plan_row is not None
            computed = plan_row.plan
        consent_at = now + timedelta(minutes=10)
        self.at(consent_at, lambda t: self.consent(t, patient, "treatment"))
        self.at(
            consent_at + timedelta(minutes=1), lambda t: self.plan_status(t, patient, "accepted")
        )
        if rng.random() < 0.3:
            self.at(
                consent_at + timedelta(minutes=2),
                lambda t: self.consent(t, patient, "marketing_photos"),
            )
            if rng.random() < 0.15:
                self.at(
                    consent_at + timedelta(days=rng.randrange(20, 120)),
                    lambda t: self.withdraw(t, patient, "marketing_photos"),
                )
        preferences = rng.choice(PREFERENCES)
        self.at(
            consent_at + timedelta(minutes=5),
            lambda t: self.book_series(t, patient, rng, computed, preferences),
        )

    def consent(self, now: datetime, patient: _Patient, kind: str) -> None:
        patient.consent_ids[kind] = consents.sign_consent(
            self.uow,
            self.front_desk,
            patient.id,
            {"kind": kind, "signed_by_name": "the patient"},
            clock=self.clock(now),
        )
        self.counts[f"consents {kind}"] += 1

    def plan_status(self, now: datetime, patient: _Patient, status: str) -> None:
        assert patient.plan_id is not None
        plans.set_plan_status(
            self.uow, self.clinicians[0], patient.plan_id, status, clock=self.clock(now)
        )
        self.counts[f"plans {status}"] += 1

    def withdraw(self, now: datetime, patient: _Patient, kind: str) -> None:
        consents.withdraw_consent(
            self.uow, self.front_desk, patient.consent_ids[kind], clock=self.clock(now)
        )
        self.counts["consents withdrawn"] += 1

    def book_series(
        self,
        now: datetime,
        patient: _Patient,
        rng: random.Random,
        computed: dict[str, Any],
        preferences: dict[str, Any],
    ) -> None:
        """Front desk books the plan's series as the clinic calendar proposes them."""
        assert patient.plan_id is not None
        try:
            booked = scheduling.book_plan(
                self.uow,
                self.front_desk,
                patient.plan_id,
                preferences=preferences,
                clock=self.clock(now),
            )
        except UserError:
            self.counts["series not booked"] += 1
            return
        zones = {index: entry["zones"] for index, entry in enumerate(computed["series"])}
        sessions = [
            (datetime.fromisoformat(item["start_utc"].replace("Z", "+00:00")), item, series)
            for series in booked["series"]
            for item in series["sessions"]
        ]
        last = max(starts for starts, _, _ in sessions)
        self.counts["series booked"] += len(booked["series"])
        for starts, item, series in sessions:
            self.counts["appointments"] += 1
            self.counts["sessions flagged outside their window"] += bool(item["reasons"])
            arrive = partial(
                self.arrive,
                patient=patient,
                rng=rng,
                appointment=item["appointment_id"],
                zones=zones[series["series_index"]],
                starts=starts,
                last=starts == last,
            )
            self.at(starts - timedelta(minutes=20), arrive)

    def arrive(
        self,
        now: datetime,
        patient: _Patient,
        rng: random.Random,
        appointment: int,
        zones: list[dict[str, Any]],
        starts: datetime,
        last: bool,
    ) -> None:
        roll = rng.random()
        if roll < 0.06:
            self.status(now, appointment, "cancelled")
            return
        if roll < 0.12:
            self.status(starts + timedelta(minutes=30), appointment, "no_show")
            return
        self.status(now, appointment, "checked_in")

        def chart(t: datetime) -> None:
            self.chart(t, patient, rng, appointment, zones, last)

        day = now.astimezone(self.zone).date()
        assert patient.intake_on is not None
        if (day - patient.intake_on).days > charts.SCREENING_VALID_DAYS:
            self.counts["screenings repeated before a session"] += 1
            self.at(
                now + timedelta(minutes=2),
                lambda t: self.intake(
                    t,
                    patient,
                    rng,
                    self.front_desk,
                    then=chart,
                    refused=lambda r: self.status(r, appointment, "cancelled"),
                ),
            )
            return
        if not patient.photographed and self.photos_left > 0:
            patient.photographed = True
            self.photos_left -= 1
            self.at(now + timedelta(minutes=5), lambda t: self.photo(t, patient, appointment))
        self.at(starts + timedelta(minutes=50), chart)

    def status(self, now: datetime, appointment: int, status: str) -> None:
        appointments.set_appointment_status(
            self.uow, self.front_desk, appointment, status, clock=self.clock(now)
        )
        if status != "checked_in":
            self.counts[f"appointments {status}"] += 1

    def chart(
        self,
        now: datetime,
        patient: _Patient,
        rng: random.Random,
        appointment: int,
        zones: list[dict[str, Any]],
        last: bool,
    ) -> None:
        day = now.astimezone(self.zone).date()
        usable = [
            lot["number"]
            for lot in self.lots
            if lot["received_on"] <= day <= lot["expires_on"]
            and (lot["recalled_on"] is None or day < lot["recalled_on"])
        ]
        clinician = rng.choice(self.clinicians)
        entry = {
            "device_id": rng.choice(self.devices),
            "cartridge_lot": rng.choice(usable),
            "needle_count": 12,
            "zones": [
                {
                    "zone": z["zone"],
                    "depth_mm": _depth(z),
                    "passes": rng.randint(2, 4),
                    "endpoint": _endpoint(z),
                }
                for z in zones
            ],
            "anaesthetic": None if rng.random() < 0.3 else "Lidocaine 4% cream, 30 minutes",
            "products": [
                {
                    "product": "Hyaluronic acid 1% sterile glide",
                    "purpose": "glide",
                    "lot_number": f"HA-{day.year}-{day.month:02d}",
                }
            ],
            "clinical_endpoint": rng.choice(ENDPOINTS),
            "glide_medium": "Hyaluronic acid 1% sterile glide",
            "duration_minutes": rng.randrange(30, 55),
            "practitioner_id": clinician.staff_user_id,
            "notes": None,
        }
        try:
            charts.chart_session(
                self.uow, clinician, appointment, entry, kb=self.kb, clock=self.clock(now)
            )
        except RuleViolation:
            self.counts["charting refused by a rule"] += 1
            self.status(now, appointment, "cancelled")
            return
        patient.charted += 1
        self.counts["charts"] += 1
        if rng.random() < 0.04:
            self.at(now + timedelta(days=1, hours=1), lambda t: self.amend(t, appointment, rng))
        if rng.random() < 0.025:
            self.at(
                self.local(day + timedelta(days=2), 10),
                lambda t: self.adverse_event(t, patient, rng, appointment, day),
            )
        if last:
            self.at(now + timedelta(minutes=5), lambda t: self.plan_status(t, patient, "completed"))
        if last and patient.charted >= 2:
            self.at(
                self.local(day + timedelta(days=28), 11), lambda t: self.outcome(t, patient, rng)
            )

    def amend(self, now: datetime, appointment: int, rng: random.Random) -> None:
        clinician = rng.choice(self.clinicians)
        charts.amend_chart(
            self.uow,
            clinician,
            appointment,
            changes={"notes": "Patient reported mild stinging during the last pass (added later)."},
            reason="Note added after the session.",
            kb=self.kb,
            clock=self.clock(now),
        )
        self.counts["chart amendments"] += 1

    def adverse_event(
        self, now: datetime, patient: _Patient, rng: random.Random, appointment: int, day: date
    ) -> None:
        kind, severity = rng.choice(AE_KINDS)
        onset = day + timedelta(days=1)
        resolved = onset + timedelta(days=rng.randrange(4, 20))
        event = adverse_events.record_adverse_event(
            self.uow,
            rng.choice(self.clinicians),
            patient.id,
            {
                "kind": kind,
                "severity": severity,
                "onset_on": onset.isoformat(),
                "appointment_id": appointment,
                "description": "Reported by phone; reviewed in clinic.",
            },
            clock=self.clock(now),
        )
        self.counts["adverse events"] += 1
        self.at(self.local(resolved, 12), lambda t: self.resolve(t, event, resolved))

    def resolve(self, now: datetime, event: int, resolved: date) -> None:
        adverse_events.resolve_adverse_event(
            self.uow,
            self.clinicians[0],
            event,
            resolved_on=resolved,
            resolution="Settled with supportive care.",
            clock=self.clock(now),
        )

    def outcome(self, now: datetime, patient: _Patient, rng: random.Random) -> None:
        outcomes.record_outcome(
            self.uow,
            rng.choice(self.clinicians),
            patient.id,
            scale="gais",
            inputs={"grade": rng.choice((1, 2, 2, 2, 3, 3))},
            plan_id=patient.plan_id,
            kb=self.kb,
            clock=self.clock(now),
        )
        self.counts["outcomes"] += 1

    def photo(self, now: datetime, patient: _Patient, appointment: int) -> None:
        photos.add_photo(
            self.uow,
            self.clinicians[0],
            patient.id,
            _demo_image(patient.id),
            view="front",
            appointment_id=appointment,
            clock=self.clock(now),
        )
        self.counts["photos"] += 1

    def summary(self) -> dict[str, Any]:
        counts: dict[str, Any] = dict(sorted(self.counts.items()))
        counts["lots"] = [
            {
                "lot_number": lot["number"],
                "expires_on": lot["expires_on"].isoformat(),
                "recalled_on": lot["recalled_on"].isoformat() if lot["recalled_on"] else None,
            }
            for lot in self.lots
        ]
        return counts


#: The demo devices are the shipped default pen: 0.25 to 2.5 mm in 0.25 mm steps.
_PEN_STEP = 0.25


def _depth(zone: dict[str, Any]) -> float:
    """The plan's starting depth as the default pen sets it (A.3: rounded down to the step; if
    that falls below the range, the range's low end rounded up)."""
    depth = zone["depth_mm"]
    if not isinstance(depth, dict):
        return float(depth)
    setting = math.floor(float(depth["start"]) / _PEN_STEP + 1e-9) * _PEN_STEP
    if setting < float(depth["min"]) - 1e-9:
        setting = math.ceil(float(depth["min"]) / _PEN_STEP - 1e-9) * _PEN_STEP
    return max(setting, _PEN_STEP)


def _endpoint(zone: dict[str, Any]) -> str:
    """The clinical endpoint the technique aims for (A.3 "Technique")."""
    scars = ("acne_scars", "surgical_scars", "burn_scars", "stretch_marks")
    return "pinpoint_bleeding" if zone.get("concern") in scars else "even_erythema"


def _demo_image(seed: int) -> bytes:
    """A small made-up "photo" (a gradient) carrying EXIF with a GPS position, to be stripped."""
    from PIL import Image  # only the build draws pictures

    image = Image.new("RGB", (96, 128))
    image.putdata(
        [
            ((x * 2 + seed) % 256, (y * 2) % 256, (x + y + seed * 7) % 256)
            for y in range(128)
            for x in range(96)
        ]
    )
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 12.0), 3: "E", 4: (4.0, 53.0, 40.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()
