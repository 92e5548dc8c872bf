"""Shared set-up for the scheduling tests: a Berlin clinic with a calendar, and the calendar
commands on a Typer app of their own (the lead registers them in cli/main.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer
from tests.integration.conftest import NOW, World

from microneedling.cli.calendar import calendar_app
from microneedling.services import calendar_settings, clinics, intakes, inventory, patients, plans
from microneedling.services.access import Actor
from microneedling.services.clock import Clock, fixed_clock
from microneedling.store import Database, PhotoFiles, UnitOfWork

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
app.add_typer(calendar_app, name="calendar")

TIME_ZONE = "Europe/Berlin"
ACNE = {"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}


def calendar_settings_for(
    pen: str, *, closures: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Open Monday to Friday 08:00-18:00 and Saturday 09:00-13:00; Anna works Monday to Friday
    08:00-16:00, Ben Tuesday to Saturday; two rooms; one pen usable anywhere."""
    return {
        "name": "Scheduling test clinic",
        "opening_hours": {"monday-friday": "08:00-18:00", "saturday": "09:00-13:00"},
        "closures": closures
        if closures is not None
        else [{"from": "2026-12-24", "to": "2027-01-01", "reason": "Christmas and New Year"}],
        "lengths": {"anaesthetic_minutes": 30, "turnover_minutes": 10},
        "slot_minutes": 15,
        "practitioners": [],
        "rooms": [{"id": "room-1", "name": "Room 1"}, {"id": "room-2", "name": "Room 2"}],
        "devices": [{"id": pen}],
    }


@dataclass
class SchedulingWorld:
    """A clinic (Europe/Berlin) with its calendar, and helpers to make patients with plans."""

    world: World
    slug: str
    anna: str
    ben: str
    pen: str

    @property
    def uow(self) -> UnitOfWork:
        return self.world.uow

    @property
    def owner(self) -> Actor:
        return self.world.owner

    @property
    def desk(self) -> Actor:
        return self.world.front_desk

    @property
    def clinician(self) -> Actor:
        return self.world.clinician

    @property
    def clock(self) -> Clock:
        return self.world.clock

    def configure(self, **changes: Any) -> dict[str, Any]:
        settings = calendar_settings_for(self.pen)
        settings["practitioners"] = [
            {"id": self.anna, "hours": {"monday-friday": "08:00-16:00"}},
            {"id": self.ben, "hours": {"tuesday-friday": "10:00-18:00", "saturday": "09:00-13:00"}},
        ]
        settings.update(changes)
        return calendar_settings.configure_calendar(
            self.uow, self.owner, settings, clock=self.clock
        )

    def patient_with_plan(
        self,
        *,
        start: str | None = None,
        treatments: list[dict[str, Any]] | None = None,
        clock: Clock | None = None,
        **intake: Any,
    ) -> tuple[int, int]:
        """A patient screened today with a plan (acne scars on the cheeks by default: 4 sessions,
        4–6 weeks apart); returns (patient id, plan id)."""
        clock = clock or self.clock
        patient_id = patients.register_patient(
            self.uow,
            self.desk,
            {"given_name": "Ada", "family_name": "Lovelace", "birth_date": "1990-05-17",
             "sex": "female", "fitzpatrick": 2},
            clock=clock,
        )  # fmt: skip
        intakes.record_intake(
            self.uow, self.desk, patient_id, {"zones": ["cheeks"], **intake}, clock=clock
        )
        request: dict[str, Any] = {"treatments": treatments or [ACNE]}
        if start is not None:
            request["start"] = start
        plan_id = plans.create_plan(self.uow, self.clinician, patient_id, request, clock=clock)
        return patient_id, plan_id


def make_scheduling_world(
    database: Database, photo_dir: Path, *, now: datetime = NOW, configure: bool = True
) -> SchedulingWorld:
    uow = UnitOfWork(database, PhotoFiles(photo_dir))
    slug = f"sched-{uuid.uuid4().hex[:10]}"
    setup = fixed_clock(datetime(2025, 6, 1, 8, tzinfo=UTC))
    owner = clinics.create_clinic(
        uow,
        slug=slug,
        name=f"Clinic {slug}",
        time_zone=TIME_ZONE,
        owner={"email": f"owner@{slug}.example", "display_name": "Owner", "role": "owner"},
        clock=setup,
    )

    def member(name: str, role: str) -> Actor:
        return clinics.add_staff_member(
            uow,
            owner,
            {"email": f"{name}@{slug}.example", "display_name": name.title(), "role": role},
            clock=setup,
        )

    world = World(
        database=database,
        uow=uow,
        owner=owner,
        clinician=member("anna", "clinician"),
        clinician2=member("ben", "clinician"),
        front_desk=member("desk", "front_desk"),
        clock=fixed_clock(now),
    )
    pen = f"PEN-{uuid.uuid4().hex[:6]}"
    inventory.register_device(
        uow,
        world.clinician,
        {"kind": "pen", "manufacturer": "Acme", "model": "Pen 1", "serial_number": pen},
        clock=setup,
    )
    result = SchedulingWorld(world, slug, f"anna@{slug}.example", f"ben@{slug}.example", pen)
    if configure:
        result.configure()
    return result


def local(text: str) -> datetime:
    """A Berlin wall-clock time as an aware datetime."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(TIME_ZONE))


def day(text: str) -> date:
    return date.fromisoformat(text)
