"""Booking a series end to end through the database, for ``benchmarks/scheduling.py``.

The benchmark clinic (20 practitioners, 14 rooms, 14 devices, Berlin holidays) is set up through
the use cases (clinic, staff, devices, calendar); its year of bookings goes in with bulk inserts
(SQLite executemany, PostgreSQL COPY) as appointments with their bookings and reservations, hung
on a few background series. Each measured booking is a new patient (intake through the use
case) with a plan whose series is the pure benchmark's (6 sessions, 4–6 weeks apart, cheeks and
forehead), booked with ``scheduling.book_plan`` as the front desk would: the calendar and the
bookings the series can reach come from the process's calendar index (services/calendar_index.py:
kept between requests, brought up to date from the clinic's calendar version), the series is
proposed with the same narrow preferences, and the 6 appointments, their bookings, reservations
and the audit entry written and committed in one transaction. Measured with the index kept (the
target) and emptied first (a server's first booking), against loading everything the series can
reach straight from the database.

Each step shows a progress bar (the background series, the bulk load, the measured bookings).
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update

from _common import console, postgres_admin, postgres_schema, step, tracked
from microneedling.scheduling.clinic_calendar import Booking, ClinicCalendar
from microneedling.services import calendar_settings, clinics, intakes, inventory, patients
from microneedling.services import scheduling as scheduling_service
from microneedling.services.access import Actor, Transaction
from microneedling.services.calendar_index import CALENDAR_INDEX
from microneedling.services.clock import fixed_clock
from microneedling.store import Database, PhotoFiles, UnitOfWork
from microneedling.store.migrate import upgrade
from microneedling.store.models import Appointment, TreatmentPlan
from microneedling.store.scheduling_models import BookedSeries, ResourceSlot
from microneedling.store.scheduling_records import reservation_steps

TARGET_MS = 50
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # Monday; the pure benchmark's today
FIRST_ALLOWED = "2026-11-20"
BACKGROUND_SERIES = 40


def _settings(calendar: ClinicCalendar, emails: dict[str, str]) -> dict[str, Any]:
    """The benchmark calendar as a settings document, practitioners named by their e-mails."""

    def hours(weekly: Any) -> dict[str, str]:
        names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        return {
            names[n]: ", ".join(str(r) for r in ranges)
            for n, ranges in enumerate(weekly.days)
            if ranges
        }

    def period(p: Any) -> dict[str, str]:
        return {"from": p.start.isoformat(), "to": p.end.isoformat(), "reason": p.reason}

    return {
        "name": calendar.name,
        "opening_hours": hours(calendar.opening_hours),
        "closures": [period(p) for p in calendar.closures],
        "slot_minutes": calendar.slot_minutes,
        "practitioners": [
            {
                "id": emails[p.id],
                "hours": hours(p.working_hours),
                "absences": [period(a) for a in p.absences],
            }
            for p in calendar.practitioners
        ],
        "rooms": [{"id": r.id} for r in calendar.rooms],
        "devices": [
            {"id": d.id, **({"rooms": sorted(d.rooms)} if d.rooms else {})}
            for d in calendar.devices
        ],
    }


def _plan_document(start: str) -> dict[str, Any]:
    """A stored plan with the pure benchmark's series (the planner has no 6-session protocol
    with 4–6 week intervals; the booking does not care where the plan came from)."""
    return {
        "series": [
            {
                "concerns": ["fine_lines"],
                "zones": [{"zone": "cheeks"}, {"zone": "forehead"}],
                "sessions": 6,
                "interval_weeks": {"min": 4, "max": 6, "default": 4},
                "dates": [start],
            }
        ],
        "precautions": [],
        "precare": [
            {"session": 1, "day": -7, "instruction": "Stop retinoids and exfoliating products."}
        ],
        "maintenance": {"every_months": 6, "first_date": None},
    }


class _Clinic:
    def __init__(self, database: Database, folder: Path, calendar: ClinicCalendar) -> None:
        self.database = database
        self.uow = UnitOfWork(database, PhotoFiles(folder))
        clock = fixed_clock(NOW - timedelta(days=200))
        slug = f"bench-{uuid.uuid4().hex[:8]}"
        self.owner = clinics.create_clinic(
            self.uow,
            slug=slug,
            name="Benchmark clinic",
            time_zone=calendar.time_zone,
            owner={"email": f"owner@{slug}.example", "display_name": "Owner", "role": "owner"},
            clock=clock,
        )
        self.emails = {p.id: f"{p.id}@{slug}.example" for p in calendar.practitioners}
        self.staff: dict[str, Actor] = {}
        for pid, email in self.emails.items():
            self.staff[pid] = clinics.add_staff_member(
                self.uow,
                self.owner,
                {"email": email, "display_name": pid, "role": "clinician"},
                clock=clock,
            )
        self.desk = clinics.add_staff_member(
            self.uow,
            self.owner,
            {"email": f"desk@{slug}.example", "display_name": "Desk", "role": "front_desk"},
            clock=clock,
        )
        clinician = next(iter(self.staff.values()))
        self.devices = {
            d.id: inventory.register_device(
                self.uow,
                clinician,
                {"kind": "pen", "manufacturer": "Acme", "model": "Pen", "serial_number": d.id},
                clock=clock,
            )
            for d in calendar.devices
        }
        calendar_settings.configure_calendar(
            self.uow, self.owner, _settings(calendar, self.emails), clock=clock
        )
        with self.uow:
            from microneedling.store.scheduling_records import SchedulingRecords

            records = SchedulingRecords(self.uow.session, self.owner.clinic_id)
            self.rooms = {room.code: room.id for room in records.rooms()}

    def patient(self, number: int, *, plan: bool) -> tuple[int, int | None]:
        clock = fixed_clock(NOW)
        patient_id = patients.register_patient(
            self.uow,
            self.desk,
            {"given_name": "Bench", "family_name": f"Patient {number}",
             "birth_date": "1985-01-01", "fitzpatrick": 3},
            clock=clock,
        )  # fmt: skip
        if not plan:
            return patient_id, None
        intakes.record_intake(
            self.uow, self.desk, patient_id, {"zones": ["cheeks", "forehead"]}, clock=clock
        )
        with self.uow:
            intake = self.uow.records(self.owner.clinic_id).latest_intake(patient_id)
            assert intake is not None
            row = TreatmentPlan(
                patient_id=patient_id,
                intake_id=intake.id,
                created_at=NOW,
                created_by=self.owner.staff_user_id,
                request={"treatments": "benchmark"},
                plan=_plan_document(FIRST_ALLOWED),
                knowledge_base_version="bench",
                knowledge_base_hash="bench",
                status="accepted",
            )
            self.uow.records(self.owner.clinic_id).add(row)
            self.uow.commit()
        return patient_id, row.id


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _load(
    database: Database, tables: dict[str, tuple[list[str], Iterator[tuple[Any, ...]]]]
) -> None:
    raw = database.engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        if database.backend == "sqlite":
            driver.execute("BEGIN")
            for name, (columns, rows) in tables.items():
                sql = (
                    f"INSERT INTO {name} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' * len(columns))})"
                )
                with step(f"loading {name}"):
                    driver.executemany(sql, ([_sqlite_value(v) for v in row] for row in rows))
            driver.execute("COMMIT")
            with step("ANALYZE"):
                driver.execute("ANALYZE")
        else:
            for name, (columns, rows) in tables.items():
                with (
                    step(f"loading {name}"),
                    driver.cursor() as cursor,
                    cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
            driver.execute(
                "SELECT setval(pg_get_serial_sequence('appointment', 'id'), "
                "(SELECT MAX(id) FROM appointment))"
            )
            driver.commit()
            driver.autocommit = True
            with step("VACUUM ANALYZE"):
                driver.execute("VACUUM ANALYZE")
            driver.autocommit = False
    finally:
        raw.close()


def _fill(clinic: _Clinic, bookings: list[Booking]) -> int:
    """The year of bookings as appointments of background series, with their reservations."""
    series_ids = []
    for number in tracked(range(BACKGROUND_SERIES), "background series"):
        patient_id, plan_id = clinic.patient(10_000 + number, plan=True)
        assert plan_id is not None
        with clinic.uow:
            row = BookedSeries(
                patient_id=patient_id,
                plan_id=plan_id,
                series_index=0,
                sessions=52,
                interval_min_weeks=1,
                interval_max_weeks=52,
                interval_default_weeks=1,
                zones=["cheeks"],
                anaesthetic=True,
                preferences={},
                first_allowed=date(2026, 1, 1),
                created_at=NOW,
                created_by=clinic.owner.staff_user_id,
            )
            clinic.uow.records(clinic.owner.clinic_id).add(row)
            clinic.uow.commit()
            series_ids.append((row.id, patient_id, plan_id))
    with clinic.uow:
        first_id = (
            clinic.uow.session.execute(select(func.max(Appointment.id))).scalar_one() or 0
        ) + 1
    clinic_id = clinic.owner.clinic_id
    staff = {pid: actor.staff_user_id for pid, actor in clinic.staff.items()}
    length = 55  # cheeks: 30 + 25 minutes; the bookings' end is the turnover's

    def appointments() -> Iterator[tuple[Any, ...]]:
        for index, b in enumerate(bookings):
            _, patient_id, plan_id = series_ids[index % BACKGROUND_SERIES]
            yield (first_id + index, clinic_id, patient_id, plan_id, staff[b.practitioner_id],
                   b.start, length, "scheduled", NOW, clinic.owner.staff_user_id, NOW)  # fmt: skip

    def bookings_rows() -> Iterator[tuple[Any, ...]]:
        for index, b in enumerate(bookings):
            series_id = series_ids[index % BACKGROUND_SERIES][0]
            yield (first_id + index, clinic_id, series_id, index // BACKGROUND_SERIES + 1,
                   clinic.rooms[b.room_id or ""], clinic.devices.get(b.device_id or ""),
                   b.start + timedelta(minutes=length), b.end, None)  # fmt: skip

    def slots() -> Iterator[tuple[Any, ...]]:
        for index, b in enumerate(bookings):
            steps = reservation_steps(b.start, b.end)
            resources = [("practitioner", staff[b.practitioner_id or ""]),
                         ("room", clinic.rooms[b.room_id or ""])]  # fmt: skip
            if b.device_id:
                resources.append(("device", clinic.devices[b.device_id]))
            for kind, resource_id in resources:
                for moment in steps:
                    yield (clinic_id, kind, resource_id, moment, first_id + index)

    _load(
        clinic.database,
        {
            "appointment": (
                [
                    "id",
                    "clinic_id",
                    "patient_id",
                    "plan_id",
                    "practitioner_id",
                    "starts_at",
                    "duration_minutes",
                    "status",
                    "created_at",
                    "created_by",
                    "status_changed_at",
                ],
                appointments(),
            ),
            "appointment_booking": (
                [
                    "appointment_id",
                    "clinic_id",
                    "series_id",
                    "session",
                    "room_id",
                    "device_id",
                    "ends_at",
                    "free_at",
                    "flag",
                ],
                bookings_rows(),
            ),
            "resource_slot": (
                ["clinic_id", "resource_kind", "resource_id", "slot_start", "appointment_id"],
                slots(),
            ),
        },
    )
    with clinic.uow:
        return int(
            clinic.uow.session.execute(
                select(func.count())
                .select_from(Appointment)
                .where(Appointment.clinic_id == clinic_id)
            ).scalar_one()
        )


@dataclass
class _Medians:
    """Medians in milliseconds (see :func:`_measure`)."""

    load: float
    propose: float
    book_cold: float
    book_warm: float
    held: int


def _measure(clinic: _Clinic, repeats: int) -> _Medians:
    """Medians (ms) of, per new patient: loading the calendar and every booking the series can
    reach straight from the database (the baseline); booking 6 sessions with the process's
    calendar index emptied first (the first booking after the server starts: the index is built
    from the database); and, for another new patient, proposing and booking with the index kept
    between requests as a server keeps it (brought up to date with the appointments the previous
    booking and its cancellation changed). Each booking is cancelled afterwards, so every one
    starts from the same free time."""
    clock = fixed_clock(NOW)
    preferences = {
        "weekdays": ["tuesday", "thursday"],
        "times": ["16:00-20:00"],
        "practitioner": clinic.emails["p04"],
    }
    plans = [
        clinic.patient(number, plan=True)[1]
        for number in tracked(range(2 * repeats), "patients with plans")
    ]
    loads, proposals, cold, warm = [], [], [], []
    held = 0

    def book(plan_id: int) -> float:
        started = time.perf_counter()
        result = scheduling_service.book_plan(
            clinic.uow, clinic.desk, plan_id, preferences=preferences, clock=clock
        )
        elapsed = time.perf_counter() - started
        assert len(result["series"][0]["sessions"]) == 6
        flagged = [s["reasons"] for s in result["series"][0]["sessions"] if s["reasons"]]
        assert not flagged, flagged
        _undo(clinic, result)
        return elapsed

    pairs = list(zip(plans[::2], plans[1::2], strict=True))
    for first, second in tracked(pairs, "bookings measured (pairs)"):
        assert first is not None and second is not None
        started = time.perf_counter()
        with Transaction(clinic.uow, clinic.desk, "series.propose", clock) as tx:
            context = scheduling_service._Context.load(tx, NOW.date() + timedelta(days=330))
            held = len(context.rows)
        loads.append(time.perf_counter() - started)
        CALENDAR_INDEX.clear()
        cold.append(book(first))
        started = time.perf_counter()
        scheduling_service.propose_plan(
            clinic.uow, clinic.desk, second, preferences=preferences, clock=clock
        )
        proposals.append(time.perf_counter() - started)
        warm.append(book(second))
    ms = 1000
    return _Medians(
        load=statistics.median(loads) * ms,
        propose=statistics.median(proposals) * ms,
        book_cold=statistics.median(cold) * ms,
        book_warm=statistics.median(warm) * ms,
        held=held,
    )


def _undo(clinic: _Clinic, result: dict[str, Any]) -> None:
    """Give back a measured booking's time, as a cancellation does (its appointments cancelled,
    their reservations released), so every booking starts from the same free time."""
    ids = [s["appointment_id"] for item in result["series"] for s in item["sessions"]]
    with clinic.uow:
        session = clinic.uow.session
        session.execute(delete(ResourceSlot).where(ResourceSlot.appointment_id.in_(ids)))
        session.execute(
            update(Appointment).where(Appointment.id.in_(ids)).values(status="cancelled")
        )
        clinic.uow.commit()


def _on_backend(backend: str, run: Callable[[Database, Path], list[list[str]]]) -> list[list[str]]:
    with tempfile.TemporaryDirectory(prefix="mn-bench-scheduling-") as folder:
        if backend == "sqlite":
            database = Database(f"sqlite:///{Path(folder) / 'scheduling.db'}")
            try:
                return run(database, Path(folder))
            finally:
                database.dispose()
        admin = postgres_admin()
        if admin is None:
            console.print("[yellow]PostgreSQL not reachable: its rows are skipped[/]")
            return []
        with postgres_schema(admin) as url:
            database = Database(url)
            try:
                return run(database, Path(folder))
            finally:
                database.dispose()


def database_booking_benchmark(
    calendar: ClinicCalendar, bookings: list[Booking], repeats: int
) -> list[list[str]]:
    """Rows for the table: per backend, load, propose and book medians."""

    def run(database: Database, folder: Path) -> list[list[str]]:
        console.print(f"[bold]{database.backend}[/]: the clinic and {len(bookings):,} bookings")
        with step("migrating the new database"):
            upgrade(database)
        started = time.perf_counter()
        clinic = _Clinic(database, folder, calendar)
        count = _fill(clinic, bookings)
        console.print(
            f"{database.backend}: {count:,} appointments stored in "
            f"{time.perf_counter() - started:.0f} s; measuring"
        )
        got = _measure(clinic, repeats)
        name = database.backend
        verdict = "PASS" if got.book_warm < TARGET_MS else "over"

        def ratio(ms: float) -> str:
            return f"{ms / got.load:.2f}×"

        return [
            [
                f"{name}: load calendar + {got.held:,} bookings it can reach, from the "
                "database (baseline)",
                f"{got.load:.1f}",
                "1.00×",
                "",
                "",
            ],
            [
                f"{name}: book 6 sessions, calendar index built first (server just started)",
                f"{got.book_cold:.1f}",
                ratio(got.book_cold),
                "",
                "",
            ],
            [
                f"{name}: propose (index kept, brought up to date; propose, audit, commit)",
                f"{got.propose:.1f}",
                ratio(got.propose),
                "",
                "",
            ],
            [
                f"{name}: book 6 sessions end to end (index kept; propose, write, audit, commit)",
                f"{got.book_warm:.1f}",
                ratio(got.book_warm),
                f"< {TARGET_MS}",
                verdict,
            ],
        ]

    rows = []
    for backend in ("sqlite", "postgresql"):
        rows.extend(_on_backend(backend, run))
    return rows
