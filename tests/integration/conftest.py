"""Integration fixtures: every test runs on SQLite, and on PostgreSQL when one is reachable.

PostgreSQL is the server at 127.0.0.1:5432 (override with MICRONEEDLING_TEST_POSTGRES, a libpq
URL such as ``postgresql://postgres@127.0.0.1:5432/postgres``), reached with trust
authentication as ``postgres`` or the current user. Each test session creates uniquely named
databases with CREATE DATABASE and drops them at the end. Where no server answers, the
PostgreSQL half is skipped with the reason.

Schemas are always built by running the Alembic migrations. Most tests share one migrated
database per backend and work in a clinic of their own (``world``); tests that break the audit
chain, migrate or restore get a database of their own (``fresh_url``).
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from microneedling.config import settings
from microneedling.errors import Conflict, NotFound
from microneedling.services import (
    appointments,
    calendar_settings,
    charts,
    clinics,
    consents,
    intakes,
    inventory,
    patients,
)
from microneedling.services.access import Actor
from microneedling.services.clock import Clock, fixed_clock
from microneedling.store import Database, PhotoFiles, UnitOfWork
from microneedling.store.migrate import upgrade

#: "Now" in every test unless a test says otherwise: 11:00 in Amsterdam on 1 December 2026.
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
TIME_ZONE = "Europe/Amsterdam"


def _postgres() -> tuple[str | None, str]:
    """(admin conninfo, "") when a PostgreSQL server answers, else (None, why not)."""
    configured = os.environ.get("MICRONEEDLING_TEST_POSTGRES")
    candidates = (
        [configured]
        if configured
        else [
            f"postgresql://{user}@127.0.0.1:5432/postgres"
            for user in dict.fromkeys(("postgres", getpass.getuser()))
        ]
    )
    if not configured:
        try:
            with socket.create_connection(("127.0.0.1", 5432), timeout=1):
                pass
        except OSError as error:
            return None, f"no PostgreSQL server at 127.0.0.1:5432 ({error.strerror or error})"
    problems = []
    for conninfo in candidates:
        try:
            with psycopg.connect(conninfo, connect_timeout=3, autocommit=True) as connection:
                connection.execute("SELECT 1")
            return conninfo, ""
        except psycopg.Error as error:
            problems.append(str(error).strip().splitlines()[0])
    return None, "PostgreSQL refused the test connection: " + "; ".join(problems)


def migrated_template(url: str) -> None:
    """Migrate the database at ``url`` to the newest schema and close every connection to it."""
    template = Database(url)
    try:
        upgrade(template)
    finally:
        template.dispose()


class SqliteDatabases:
    name = "sqlite"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._template: Path | None = None

    def new_url(self) -> str:
        return f"sqlite:///{self.folder / f'{uuid.uuid4().hex[:12]}.db'}"

    def migrated_url(self) -> str:
        """A new database at the newest schema: a copy of one migrated once per test session
        (the migrations themselves are tested on empty databases, ``new_url``)."""
        if self._template is None:
            template = self.folder / "template.db"
            migrated_template(f"sqlite:///{template}")
            self._template = template
        copy = self.folder / f"{uuid.uuid4().hex[:12]}.db"
        shutil.copyfile(self._template, copy)
        return f"sqlite:///{copy}"

    def close(self) -> None:
        pass


class PostgresDatabases:
    name = "postgresql"

    def __init__(self, admin: str) -> None:
        self.admin = admin
        self.created: list[str] = []
        self.base = psycopg.conninfo.conninfo_to_dict(admin)
        self._template: str | None = None

    def _create(self, template: str | None = None) -> str:
        name = f"mn_test_{uuid.uuid4().hex[:12]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(self.admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"{clause}')
        self.created.append(name)
        return name

    def _url(self, name: str) -> str:
        user = self.base.get("user") or getpass.getuser()
        host = self.base.get("host", "127.0.0.1")
        port = self.base.get("port", "5432")
        return f"postgresql://{user}@{host}:{port}/{name}"

    def new_url(self) -> str:
        return self._url(self._create())

    def migrated_url(self) -> str:
        """A new database at the newest schema: ``CREATE DATABASE … TEMPLATE`` of one migrated
        once per test session (no connection is left open to the template)."""
        if self._template is None:
            template = self._create()
            migrated_template(self._url(template))
            self._template = template
        return self._url(self._create(self._template))

    def close(self) -> None:
        with psycopg.connect(self.admin, autocommit=True) as connection:
            for name in self.created:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def databases_for(
    backend: str, tmp_path_factory: pytest.TempPathFactory, name: str
) -> Iterator[SqliteDatabases | PostgresDatabases]:
    """Makes databases on one backend for a fixture (skipped, saying why, without PostgreSQL);
    drops what it made at the end."""
    factory: SqliteDatabases | PostgresDatabases
    if backend == "sqlite":
        factory = SqliteDatabases(tmp_path_factory.mktemp(name))
    else:
        admin, reason = _postgres()
        if admin is None:
            pytest.skip(f"PostgreSQL half skipped: {reason}")
        factory = PostgresDatabases(admin)
    yield factory
    factory.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqliteDatabases | PostgresDatabases]:
    """Makes databases on one backend (the whole integration suite runs once per backend)."""
    yield from databases_for(request.param, tmp_path_factory, "sqlite")


@pytest.fixture
def backend(databases: SqliteDatabases | PostgresDatabases) -> str:
    return databases.name


@pytest.fixture(scope="session")
def database(databases: SqliteDatabases | PostgresDatabases) -> Iterator[Database]:
    """One migrated database per backend, shared by the tests that keep to their own clinic."""
    db = Database(databases.new_url())
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def fresh_url(databases: SqliteDatabases | PostgresDatabases) -> str:
    """The URL of a new, empty database (no schema) for this test alone."""
    return databases.new_url()


@pytest.fixture
def fresh_database(databases: SqliteDatabases | PostgresDatabases) -> Iterator[Database]:
    """A new database at the newest schema (a copy of a migrated template), for this test
    alone."""
    db = Database(databases.migrated_url())
    yield db
    db.dispose()


@pytest.fixture
def records_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """Point the settings (as the CLI reads them) at a database URL and a photo folder."""

    def use(url: str) -> None:
        monkeypatch.setenv("MICRONEEDLING_DATABASE_URL", url)
        monkeypatch.setenv("MICRONEEDLING_PHOTO_DIR", str(tmp_path / "photos"))
        settings.cache_clear()

    yield use
    settings.cache_clear()


# A clinic of one's own ----------------------------------------------------------------------


@dataclass
class World:
    """A clinic with one member of each role (and a second clinician), and helpers."""

    database: Database
    uow: UnitOfWork
    owner: Actor
    clinician: Actor
    clinician2: Actor
    front_desk: Actor
    clock: Clock = field(default=lambda: NOW)
    counter: int = 0

    def unique(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{uuid.uuid4().hex[:6]}-{self.counter}"

    def patient(self, **overrides: Any) -> int:
        details = {
            "given_name": "Ada",
            "family_name": "Lovelace",
            "birth_date": "1990-05-17",
            "sex": "female",
            "fitzpatrick": 2,
            **overrides,
        }
        return patients.register_patient(self.uow, self.front_desk, details, clock=self.clock)

    def intake(self, patient_id: int, *, clock: Clock | None = None, **answers: Any) -> int:
        data = {"zones": ["cheeks"], **answers}
        return intakes.record_intake(
            self.uow, self.front_desk, patient_id, data, clock=clock or self.clock
        )

    def consent(self, patient_id: int, kind: str = "treatment") -> int:
        return consents.sign_consent(
            self.uow,
            self.front_desk,
            patient_id,
            {"kind": kind, "signed_by_name": "the patient"},
            clock=self.clock,
        )

    def device(self) -> int:
        return inventory.register_device(
            self.uow,
            self.clinician,
            {"kind": "pen", "manufacturer": "Acme", "model": "Pen 1",
             "serial_number": self.unique("SN")},
            clock=self.clock,
        )  # fmt: skip

    def lot(self, *, expires_on: date = date(2027, 6, 30), number: str | None = None) -> str:
        number = number or self.unique("LOT")
        inventory.receive_cartridge_lot(
            self.uow,
            self.clinician,
            {"manufacturer": "Acme", "product": "12-pin", "lot_number": number,
             "expires_on": expires_on.isoformat(), "received_on": "2026-01-05",
             "quantity_received": 100},
            clock=self.clock,
        )  # fmt: skip
        return number

    def calendar(self) -> None:
        """Give the clinic a calendar (one-off appointments are booked against it) unless it
        has one: open around the clock every day, both clinicians working then, four rooms."""
        try:
            calendar_settings.read_calendar(self.uow, self.owner, clock=self.clock)
        except NotFound:
            calendar_settings.configure_calendar(
                self.uow, self.owner, all_day_calendar(self), clock=self.clock
            )

    def appointment(self, patient_id: int, *, starts_at: datetime | None = None) -> int:
        """A one-off session with a free clinician. Booked as the front desk would have: a day
        before it starts, so it may lie in the past (by default: an hour before now, or the
        hour before that when the patient or both clinicians are taken, and so on)."""
        self.calendar()
        starts = [starts_at] if starts_at else [NOW - timedelta(hours=h) for h in range(1, 10)]
        for start in starts:
            try:
                return appointments.book_appointment(
                    self.uow,
                    self.front_desk,
                    patient_id,
                    starts_at=start,
                    duration_minutes=50,
                    clock=fixed_clock(min(self.clock(), start - timedelta(days=1))),
                )
            except Conflict:
                if start == starts[-1]:
                    raise
        raise AssertionError("unreachable")

    def entry(self, device_id: int, lot_number: str, **overrides: Any) -> dict[str, Any]:
        return {
            "device_id": device_id,
            "cartridge_lot": lot_number,
            "needle_count": 12,
            "zones": [{"zone": "cheeks", "depth_mm": 1.0, "passes": 3}],
            "anaesthetic": "lidocaine 4% cream, 30 minutes",
            "products": [{"product": "HA glide", "lot_number": "HA-1", "purpose": "glide"}],
            "clinical_endpoint": "uniform erythema",
            "duration_minutes": 40,
            **overrides,
        }

    def ready_session(self, **patient: Any) -> Session:
        """A patient with everything charting needs: eligible screening today, consent, a
        device, a valid lot and today's appointment."""
        patient_id = self.patient(**patient)
        self.intake(patient_id)
        self.consent(patient_id)
        return Session(patient_id, self.appointment(patient_id), self.device(), self.lot())

    def chart(self, session: Session, actor: Actor | None = None, **overrides: Any) -> int:
        return charts.chart_session(
            self.uow,
            actor or self.clinician,
            session.appointment_id,
            self.entry(session.device_id, session.lot_number, **overrides),
            clock=self.clock,
        )


def all_day_calendar(world: World) -> dict[str, Any]:
    """A calendar that leaves every hour to the tests: open every day around the clock, both
    clinicians working then, four rooms, no device booked with appointments."""
    every_day = {"monday-sunday": "00:00-24:00"}
    with world.uow:
        emails = [
            world.uow.staff.get(actor.staff_user_id).email  # type: ignore[union-attr]
            for actor in (world.clinician, world.clinician2)
        ]
    return {
        "name": "Test clinic",
        "opening_hours": every_day,
        "lengths": {"turnover_minutes": 10},
        "slot_minutes": 5,
        "practitioners": [{"id": email, "hours": every_day} for email in emails],
        "rooms": [{"id": f"room-{n}", "name": f"Room {n}"} for n in range(1, 5)],
        "devices": [],
    }


@dataclass(frozen=True)
class Session:
    patient_id: int
    appointment_id: int
    device_id: int
    lot_number: str


def make_world(database: Database, photo_dir: Path) -> World:
    uow = UnitOfWork(database, PhotoFiles(photo_dir))
    slug = f"clinic-{uuid.uuid4().hex[:10]}"
    clock = fixed_clock(NOW - timedelta(days=400))
    owner = clinics.create_clinic(
        uow,
        slug=slug,
        name=f"Clinic {slug}",
        time_zone=TIME_ZONE,
        owner={"email": f"owner@{slug}.example", "display_name": "Owner", "role": "owner"},
        clock=clock,
    )

    def member(name: str, role: str) -> Actor:
        return clinics.add_staff_member(
            uow,
            owner,
            {"email": f"{name}@{slug}.example", "display_name": name, "role": role},
            clock=clock,
        )

    return World(
        database=database,
        uow=uow,
        owner=owner,
        clinician=member("clinician", "clinician"),
        clinician2=member("clinician2", "clinician"),
        front_desk=member("frontdesk", "front_desk"),
        clock=fixed_clock(NOW),
    )


@pytest.fixture
def world(database: Database, tmp_path: Path) -> World:
    return make_world(database, tmp_path / "photos")


@pytest.fixture
def other_world(database: Database, tmp_path: Path) -> World:
    """A second clinic in the same database."""
    return make_world(database, tmp_path / "photos")
