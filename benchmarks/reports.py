"""The clinic's reports over a large generated clinic: each report's median time, its ratio to a
baseline measured in the same run, and the indexes its query plan uses.

The clinic is generated with bulk inserts (no use cases: speed) into a migrated SQLite database
(``--postgres`` also into a PostgreSQL database of the benchmark's own when one answers):
``--patients`` patients (100,000 is the issue's target) with a plan each, ``--sessions`` charted
sessions (1,000,000) with a zone each, an adverse event for about 1 session in 200 (and a lot
with three times that rate), two outcome assessments per plan, an invoice and a payment per
plan, and about 5 % of appointments cancelled or missed. Each report runs over one year
(``run_report``: one audited read), ``--repeats`` times; the median is compared with the
baseline, ``SELECT count(*) FROM appointment WHERE clinic_id = ?``, timed in the same run so the
ratio holds across machines. ``EXPLAIN QUERY PLAN`` (SQLite) names the indexes used.

    .venv/bin/python benchmarks/reports.py [--patients N] [--sessions N] [--repeats R] [--quick]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import QUICK_HELP, console, machine, median_seconds, print_table
from microneedling.services import clinics
from microneedling.services.clock import fixed_clock
from microneedling.services.reports import REPORTS, run_report
from microneedling.store import Database, PhotoFiles, UnitOfWork
from microneedling.store.billing_models import Invoice, Payment
from microneedling.store.migrate import upgrade
from microneedling.store.models import (
    AdverseEvent,
    Appointment,
    CartridgeLot,
    ChartZone,
    Device,
    OutcomeAssessment,
    Patient,
    SessionChart,
    TreatmentPlan,
)

START = date(2025, 1, 1)
DAYS = 365
CHUNK = 20_000
ZONES = (("cheeks", "acne_scars", 1.25), ("forehead", "fine_lines", 0.5), ("neck", "laxity", 0.75))


def chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def generate(database: Database, photos: Path, patients: int, sessions: int) -> int:
    """A clinic (through the use case) and its history (bulk inserts). Returns the owner's
    staff id… and the clinic's id is 1."""
    uow = UnitOfWork(database, PhotoFiles(photos))
    owner = clinics.create_clinic(
        uow,
        slug="bench",
        name="Benchmark clinic",
        time_zone="Europe/Amsterdam",
        owner={"email": "owner@bench.example", "display_name": "Owner", "role": "owner"},
        clock=fixed_clock(datetime(2024, 12, 1, 9, tzinfo=UTC)),
    )
    clinic, staff = owner.clinic_id, owner.staff_user_id
    rng = random.Random(20)
    at = datetime(2024, 12, 1, 9, tzinfo=UTC)
    plan_doc = {
        zone: {
            "series": [{"sessions": 4, "zones": [{"zone": zone, "concern": concern,
                                                  "depth_mm": {"start": depth}}]}],
            "maintenance": {"first_date": "2025-09-01"},
        }
        for zone, concern, depth in ZONES
    }  # fmt: skip
    per_patient = max(sessions // patients, 1)
    with database.engine.begin() as db:
        db.execute(insert(Device), [
            {"id": i, "clinic_id": clinic, "kind": "pen", "manufacturer": "Acme",
             "model": f"Pen {i}", "serial_number": f"SN{i}", "in_service": True,
             "registered_at": at} for i in range(1, 6)
        ])  # fmt: skip
        db.execute(insert(CartridgeLot), [
            {"id": i, "clinic_id": clinic, "manufacturer": "Acme", "product": "12-pin",
             "lot_number": f"LOT{i:03d}", "expires_on": date(2027, 1, 1),
             "received_on": date(2024, 12, 1), "quantity_received": 100_000}
            for i in range(1, 41)
        ])  # fmt: skip

        def patient_rows() -> Iterator[dict[str, Any]]:
            for p in range(1, patients + 1):
                yield {"id": p, "clinic_id": clinic, "given_name": "P", "family_name": f"{p}",
                       "birth_date": date(1980, 1, 1), "fitzpatrick": 1 + p % 6,
                       "created_at": at, "created_by": staff}  # fmt: skip

        def plan_rows() -> Iterator[dict[str, Any]]:
            for p in range(1, patients + 1):
                yield {"id": p, "clinic_id": clinic, "patient_id": p, "created_at": at,
                       "created_by": staff, "request": {}, "plan": plan_doc[ZONES[p % 3][0]],
                       "knowledge_base_version": "bench", "knowledge_base_hash": "bench",
                       "status": "accepted"}  # fmt: skip

        for rows, model in ((patient_rows(), Patient), (plan_rows(), TreatmentPlan)):
            for batch in chunks(rows):
                db.execute(insert(model), batch)
        console.print(f"  {patients:,} patients and plans")

        def session_rows() -> Iterator[tuple[dict[str, Any], ...]]:
            for s in range(1, sessions + 1):
                p = (
                    1 + (s - 1) // per_patient
                    if s <= per_patient * patients
                    else rng.randint(1, patients)
                )
                day = START + timedelta(days=rng.randrange(DAYS))
                starts = datetime(day.year, day.month, day.day, 8 + s % 9, tzinfo=UTC)
                status = "completed"
                draw = rng.random()
                if draw < 0.03:
                    status = "cancelled"
                elif draw < 0.05:
                    status = "no_show"
                appointment = {"id": s, "clinic_id": clinic, "patient_id": p, "plan_id": p,
                               "practitioner_id": staff, "starts_at": starts,
                               "duration_minutes": 50, "status": status, "created_at": at,
                               "created_by": staff,
                               "status_changed_at": starts - timedelta(hours=rng.choice((2, 72)))}  # fmt: skip
                if status != "completed":
                    yield (appointment,)
                    continue
                zone, _, depth = ZONES[p % 3]
                lot = 1 + s % 40
                chart = {"id": s, "clinic_id": clinic, "patient_id": p, "appointment_id": s,
                         "version": 1, "performed_on": day, "device_id": 1 + s % 5,
                         "cartridge_lot_id": lot, "needle_count": 12,
                         "clinical_endpoint": "even erythema", "duration_minutes": 30,
                         "practitioner_id": staff, "signed_by": staff, "signed_at": starts}  # fmt: skip
                zone_row = {"id": s, "clinic_id": clinic, "chart_id": s, "position": 1,
                            "zone": zone, "depth_mm": depth, "passes": 3}  # fmt: skip
                rate = 0.015 if lot == 7 else 0.005
                event = None
                if rng.random() < rate:
                    event = {"clinic_id": clinic, "patient_id": p, "appointment_id": s,
                             "kind": "prolonged_erythema", "severity": "mild", "onset_on": day,
                             "reported_by": staff, "reported_at": starts}  # fmt: skip
                yield (appointment, chart, zone_row, *((event,) if event else ()))

        buckets: dict[Any, list[dict[str, Any]]] = {}
        order = (Appointment, SessionChart, ChartZone, AdverseEvent)
        done = 0
        for group in session_rows():
            for model, row in zip(order, group, strict=False):
                buckets.setdefault(model, []).append(row)
            if len(buckets[Appointment]) >= CHUNK:
                for model in order:
                    if buckets.get(model):
                        db.execute(insert(model), buckets[model])
                        buckets[model] = []
                done += CHUNK
                if done % 200_000 == 0:
                    console.print(f"  {done:,} sessions")
        for model in order:
            if buckets.get(model):
                db.execute(insert(model), buckets[model])

        def outcome_rows() -> Iterator[dict[str, Any]]:
            for p in range(1, patients + 1):
                for k, day in enumerate((START + timedelta(days=60), START + timedelta(days=300))):
                    yield {"clinic_id": clinic, "patient_id": p, "plan_id": p, "scale": "gais",
                           "scale_version": "bench", "inputs": {}, "score": {"total": 1 + k +
                           p % 2}, "rater_id": staff, "assessed_on": day, "recorded_at": at,
                           "knowledge_base_version": "bench", "knowledge_base_hash": "bench"}  # fmt: skip

        def invoice_rows() -> Iterator[dict[str, Any]]:
            for p in range(1, patients + 1):
                yield {"id": p, "clinic_id": clinic, "patient_id": p, "kind": "invoice",
                       "number": p, "display_number": f"B-{p:06d}",
                       "issued_on": START + timedelta(days=p % DAYS), "issued_at": at,
                       "issued_by": staff, "currency": "EUR", "net_minor": 49587,
                       "tax_minor": 10413, "total_minor": 60000, "seller": {}}  # fmt: skip

        def payment_rows() -> Iterator[dict[str, Any]]:
            for p in range(1, patients + 1):
                day = START + timedelta(days=p % DAYS)
                yield {"clinic_id": clinic, "invoice_id": p, "method": ("card", "cash")[p % 2],
                       "currency": "EUR", "amount_minor": 60000 if p % 7 else 30000,
                       "received_at": datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                       "received_by": staff}  # fmt: skip

        for rows, model in (
            (outcome_rows(), OutcomeAssessment),
            (invoice_rows(), Invoice),
            (payment_rows(), Payment),
        ):
            for batch in chunks(rows):
                db.execute(insert(model), batch)
    with database.engine.begin() as db:
        if database.engine.dialect.name == "sqlite":
            db.execute(text("ANALYZE"))
        else:
            db.execute(text("ANALYZE"))
    return staff


def indexes_used(database: Database, statements: list[str]) -> list[str]:
    found: set[str] = set()
    with database.engine.connect() as db:
        for statement in statements:
            for row in db.exec_driver_sql("EXPLAIN QUERY PLAN " + statement):
                found.update(re.findall(r"INDEX (\w+)", str(row[-1])))
    return sorted(found)


def captured_statements(database: Database, run: Any) -> list[str]:
    """The SQL a report runs (literal values), to explain it."""
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", before)
    try:
        run()
    finally:
        event.remove(database.engine, "before_cursor_execute", before)
    out = []
    for statement, parameters in seen:
        if (
            "FROM staff_user" in statement
            and "audit" not in statement
            and "report" not in statement
        ):
            pass
        values = list(parameters) if isinstance(parameters, list | tuple) else []
        filled = statement
        for value in values:
            literal = f"'{value}'" if not isinstance(value, int | float) else str(value)
            filled = filled.replace("?", literal, 1)
        out.append(filled)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP)
    parser.add_argument(
        "--database", type=Path, help="a bench.db generated before (with the same sizes): reuse it"
    )
    args = parser.parse_args()
    if args.quick:
        args.patients, args.sessions, args.repeats = 500, 5_000, 3
    folder = args.database.parent if args.database else Path(tempfile.mkdtemp(prefix="bench-"))
    database = Database(f"sqlite:///{folder}/bench.db")
    if args.database is None:
        upgrade(database)
        console.print(f"Generating {args.patients:,} patients, {args.sessions:,} sessions …")
        started = time.perf_counter()
        staff = generate(database, folder / "photos", args.patients, args.sessions)
        console.print(f"  generated in {time.perf_counter() - started:.0f} s (in {folder})")
    else:
        staff = clinics.local_operator(
            UnitOfWork(database, PhotoFiles(folder / "photos")), "owner@bench.example"
        ).staff_user_id
    uow = UnitOfWork(database, PhotoFiles(folder / "photos"))
    owner = clinics.local_operator(uow, "owner@bench.example")
    assert owner.staff_user_id == staff
    clock = fixed_clock(datetime(2026, 1, 15, 9, tzinfo=UTC))

    def baseline() -> None:
        with database.engine.connect() as db:
            db.execute(select(func.count()).select_from(Appointment).where(
                Appointment.clinic_id == owner.clinic_id)).scalar_one()  # fmt: skip

    base, _ = median_seconds(baseline, args.repeats)
    rows = [["baseline: count of appointments", f"{base * 1000:.0f}", "", "1.0", "", ""]]
    for name in REPORTS:

        def run(name: str = name) -> None:
            run_report(uow, owner, name, first="2025-01-01", last="2025-12-31", clock=clock)

        cpu: list[float] = []

        def timed(run: Any = run, cpu: list[float] = cpu) -> None:
            started = time.process_time()
            run()
            cpu.append(time.process_time() - started)

        median, times = median_seconds(timed, args.repeats)
        used = indexes_used(database, captured_statements(database, run))
        rows.append([
            name, f"{median * 1000:.0f}", f"{statistics.median(cpu) * 1000:.0f}",
            f"{median / base:.1f}", f"{min(times) * 1000:.0f}–{max(times) * 1000:.0f}",
            ", ".join(used),
        ])  # fmt: skip
    print_table(
        f"Reports over {args.patients:,} patients / {args.sessions:,} sessions "
        f"(SQLite; median of {args.repeats}; {machine()})",
        ["report", "median ms", "CPU ms", "× baseline", "range ms", "indexes in the query plan"],
        rows,
    )
    console.print(f"Medians: {statistics.median(float(r[1]) for r in rows[1:]):.0f} ms overall")


if __name__ == "__main__":
    main()
