"""Clinic records at scale: opening one patient's full record, and a cartridge-lot recall.

A generator fills a new database (schema from the migrations) with one clinic's records: by
default 100,000 patients and 1,000,000 charted sessions (each patient with an intake, a consent
and a plan; every session an appointment with a chart of 1-2 zones and a product; 1 % of charts
amended; outcomes, photos and adverse events; 2,000 cartridge lots of 500). Rows go in with bulk
inserts (SQLite executemany, PostgreSQL COPY) under a progress bar. Then, on SQLite and on
PostgreSQL when one answers at 127.0.0.1:5432, the median of several runs of:

- **open a patient's full record** (patient, intakes, consents, plans, appointments, every chart
  version with zones, products, device and lot, adverse events, outcomes, photos): the
  repository query, and the whole use case (role check, audit entry, commit). Target < 50 ms.
  Baseline: the same record read the naive way, one query per session and per chart (N+1). The
  use case, and the same with the record's current ETag given (unchanged: no record read, still
  audited), are also given against the audited-read ceiling (``_ceiling.py``: one indexed read
  and one audit entry in one transaction), the work no audited read avoids.
- **lot recall** ("which patients got lot X", current chart versions only): the one query, and
  the whole use case. Target < 500 ms. Baseline: the same query without the index on
  ``session_chart.cartridge_lot_id`` (dropped for the measurement, then rebuilt).

Each long step shows a progress bar (the generator's per table, then each measurement's runs).
``--quick``: 300 patients and 3,000 sessions, 3 repeats (a few seconds; the figures are not the
targets').

    .venv/bin/python benchmarks/records.py [--patients N] [--sessions N] [--repeats R]
                                           [--backend sqlite|postgresql|both] [--quick]
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from _ceiling import now, read_and_audit
from _common import (
    Bars,
    console,
    median_ms,
    parse_arguments,
    postgres_admin,
    postgres_schema,
    print_table,
    step,
)
from microneedling import demo
from microneedling.clinical.planning import parse_plan_request, plan
from microneedling.knowledge import shipped_knowledge_base
from microneedling.services.access import Actor, Role
from microneedling.services.inventory import recall_cartridge_lot
from microneedling.services.patients import open_patient_record, read_patient_record
from microneedling.store import Database, UnitOfWork
from microneedling.store.migrate import upgrade
from microneedling.store.models import (
    AdverseEvent,
    Appointment,
    Base,
    CartridgeLot,
    ChartProduct,
    ChartZone,
    Consent,
    Device,
    Intake,
    OutcomeAssessment,
    Patient,
    Photo,
    SessionChart,
    TreatmentPlan,
)
from microneedling.store.patient_search import digits, search_name
from microneedling.store.repositories import ClinicRecords

RECORD_TARGET_MS = 50
RECALL_TARGET_MS = 500
LOT_SIZE = 500
#: ``--quick``: a few seconds in all.
QUICK = {"patients": 300, "sessions": 3_000, "repeats": 3}
START = datetime(2023, 1, 2, 9, 0, tzinfo=UTC)
CLINIC = 1
CLINICIAN = 2

ANSWERS = json.dumps({"on": "2023-01-02", "zones": ["cheeks"], "conditions": [],
                      "medications": [], "procedures": [], "allergies": []})  # fmt: skip
SCREENING = json.dumps({"decision": "eligible", "earliest_date": "2023-01-02", "findings": [],
                        "precautions": [], "on": "2023-01-02",
                        "knowledge_base": {"version": "bench", "hash": "sha256:bench"}})  # fmt: skip


@functools.cache
def plan_document() -> str:
    """The demo's plan, as the planner makes it: the pages read every part of a plan document."""
    return json.dumps(
        plan(parse_plan_request(demo.load("plan_request.json")), shipped_knowledge_base())
    )


# Generating ----------------------------------------------------------------------------------


class Scale:
    def __init__(self, patients: int, sessions: int) -> None:
        self.patients = patients
        self.sessions = sessions
        self.lots = max(1, sessions // LOT_SIZE)
        self.amended = sessions // 100


def _rows(scale: Scale, rng: random.Random) -> dict[str, Callable[[], Iterator[tuple[Any, ...]]]]:
    """For each table, its rows in column order (ids given, so children can point at them)."""
    p, s = scale.patients, scale.sessions
    day = timedelta(days=1)
    plan_text = plan_document()

    def moment(i: int) -> datetime:
        return START + timedelta(minutes=37 * i)

    def clinic() -> Iterator[tuple[Any, ...]]:
        yield (CLINIC, "bench", "Benchmark Clinic", "UTC", None, "{}", START)

    def staff() -> Iterator[tuple[Any, ...]]:
        for i, role in ((1, "owner"), (CLINICIAN, "clinician"), (3, "front_desk")):
            yield (i, CLINIC, f"{role}@bench.example", role, role, None, True, START)

    def devices() -> Iterator[tuple[Any, ...]]:
        for i in (1, 2):
            yield (i, CLINIC, "pen", "Acme", "Pen", f"SN-{i}", True, START)

    def lots() -> Iterator[tuple[Any, ...]]:
        for i in range(1, scale.lots + 1):
            received = START.date() + timedelta(days=i * 1300 // scale.lots)
            yield (i, CLINIC, "Acme", "12-pin", f"LOT-{i:06d}", 12, received + 500 * day,
                   received, LOT_SIZE, None, None, None)  # fmt: skip

    def patients() -> Iterator[tuple[Any, ...]]:
        for i in range(1, p + 1):
            given, family, phone = f"Given{i}", f"Family{i % 9973}", f"+31 6 {i:08d}"
            yield (i, CLINIC, given, family, date(1960, 1, 1) + (i % 15000) * day,
                   "female", 1 + i % 6, f"p{i}@example.com", phone, START, 3,
                   search_name(given, family), digits(phone))  # fmt: skip

    def intakes() -> Iterator[tuple[Any, ...]]:
        for i in range(1, p + 1):
            yield (i, CLINIC, i, START, 3, START.date(), ANSWERS, "eligible", START.date(),
                   SCREENING, "bench", "sha256:bench", None, None, None)  # fmt: skip

    def consents() -> Iterator[tuple[Any, ...]]:
        for i in range(1, p + 1):
            yield (i, CLINIC, i, "treatment", "3", "0" * 64, None, START, "the patient", 3, None,
                   None)  # fmt: skip

    def plans() -> Iterator[tuple[Any, ...]]:
        for i in range(1, p + 1):
            yield (i, CLINIC, i, i, START, CLINICIAN, "{}", plan_text, "bench", "sha256:bench",
                   "accepted")  # fmt: skip

    def appointments() -> Iterator[tuple[Any, ...]]:
        for i in range(1, s + 1):
            patient = (i - 1) % p + 1
            yield (i, CLINIC, patient, patient, CLINICIAN, moment(i), 60, "completed", START,
                   3, moment(i), None)  # fmt: skip

    def charts() -> Iterator[tuple[Any, ...]]:
        for i in range(1, s + 1):
            lot = (i - 1) * scale.lots // s + 1
            yield (i, CLINIC, (i - 1) % p + 1, i, 1, None, None, moment(i).date(), 1 + i % 2,
                   lot, 12, None, "uniform erythema", 40, CLINICIAN, None, CLINICIAN,
                   moment(i))  # fmt: skip
        for k in range(1, scale.amended + 1):
            i = k * 100
            lot = (i - 1) * scale.lots // s + 1
            yield (s + k, CLINIC, (i - 1) % p + 1, i, 2, i, "corrected", moment(i).date(),
                   1 + i % 2, lot, 16, None, "uniform erythema", 40, CLINICIAN, "amended",
                   CLINICIAN, moment(i) + day)  # fmt: skip

    def zones() -> Iterator[tuple[Any, ...]]:
        row = 0
        for chart in range(1, s + scale.amended + 1):
            row += 1
            yield (row, CLINIC, chart, 0, "cheeks", 1.0, 3)
            if chart % 2:
                row += 1
                yield (row, CLINIC, chart, 1, "forehead", 0.5, 2)

    def products() -> Iterator[tuple[Any, ...]]:
        for chart in range(1, s + scale.amended + 1):
            yield (chart, CLINIC, chart, 0, "HA glide", f"HA-{chart % 97}", "glide")

    def outcomes() -> Iterator[tuple[Any, ...]]:
        for i in range(1, p // 2 + 1):
            yield (i, CLINIC, i * 2, i * 2, "gais", "GAIS", '{"grade": 2}', '{"total": 2}',
                   None, CLINICIAN, START.date(), START, "bench", "sha256:bench")  # fmt: skip

    def photos() -> Iterator[tuple[Any, ...]]:
        for i in range(1, p // 10 + 1):
            digest = f"{i:064x}"
            yield (i, CLINIC, i * 10, None, "front", None, START, digest, digest,
                   f"clinic-1/{digest}.jpg", "image/jpeg", 800, 600, 90_000, CLINICIAN, START,
                   None)  # fmt: skip

    def events() -> Iterator[tuple[Any, ...]]:
        for i in range(1, s // 200 + 1):
            session = rng.randrange(1, s + 1)
            yield (i, CLINIC, (session - 1) % p + 1, session, "oedema", "mild",
                   moment(session).date(), None, None, None, CLINICIAN, START)  # fmt: skip

    return {
        "clinic": clinic,
        "staff_user": staff,
        "device": devices,
        "cartridge_lot": lots,
        "patient": patients,
        "intake": intakes,
        "consent": consents,
        "treatment_plan": plans,
        "appointment": appointments,
        "session_chart": charts,
        "chart_zone": zones,
        "chart_product": products,
        "outcome_assessment": outcomes,
        "photo": photos,
        "adverse_event": events,
    }


#: The columns each table's rows above give, in their order: a column added to a table later takes
#: its default here (and the generator keeps working); one without a default fails loudly.
COLUMNS = {
    "clinic": "id slug name time_zone price_list policy_overrides created_at",
    "staff_user": "id clinic_id email display_name role password_hash active created_at",
    "device": "id clinic_id kind manufacturer model serial_number in_service registered_at",
    "cartridge_lot": "id clinic_id manufacturer product lot_number needle_count expires_on "
    "received_on quantity_received recalled_at recall_reason recalled_by",
    "patient": "id clinic_id given_name family_name birth_date sex fitzpatrick email phone "
    "created_at created_by search_name phone_digits",
    "intake": "id clinic_id patient_id recorded_at recorded_by assessed_on answers decision "
    "earliest_date screening knowledge_base_version knowledge_base_hash acknowledged_by "
    "acknowledged_at acknowledgement_note",
    "consent": "id clinic_id patient_id kind form_version text_sha256 text signed_at "
    "signed_by_name witnessed_by withdrawn_at withdrawal_recorded_by",
    "treatment_plan": "id clinic_id patient_id intake_id created_at created_by request plan "
    "knowledge_base_version knowledge_base_hash status",
    "appointment": "id clinic_id patient_id plan_id practitioner_id starts_at duration_minutes "
    "status created_at created_by status_changed_at cancellation_reason",
    "session_chart": "id clinic_id patient_id appointment_id version amends_id amendment_reason "
    "performed_on device_id cartridge_lot_id needle_count anaesthetic clinical_endpoint "
    "duration_minutes practitioner_id notes signed_by signed_at",
    "chart_zone": "id clinic_id chart_id position zone depth_mm passes",
    "chart_product": "id clinic_id chart_id position product lot_number purpose",
    "outcome_assessment": "id clinic_id patient_id plan_id scale scale_version inputs score band "
    "rater_id assessed_on recorded_at knowledge_base_version knowledge_base_hash",
    "photo": "id clinic_id patient_id appointment_id view zone taken_at original_sha256 "
    "stored_sha256 stored_path media_type width height byte_size added_by added_at "
    "marketing_selected_at",
    "adverse_event": "id clinic_id patient_id appointment_id kind severity onset_on description "
    "resolved_on resolution reported_by reported_at",
}


def _expected_rows(scale: Scale) -> dict[str, int]:
    p, s = scale.patients, scale.sessions
    charts = s + scale.amended
    return {
        "clinic": 1, "staff_user": 3, "device": 2, "cartridge_lot": scale.lots, "patient": p,
        "intake": p, "consent": p, "treatment_plan": p, "appointment": s,
        "session_chart": charts, "chart_zone": charts + (charts + 1) // 2,
        "chart_product": charts, "outcome_assessment": p // 2, "photo": p // 10,
        "adverse_event": s // 200,
    }  # fmt: skip


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def generate(database: Database, scale: Scale, seed: int = 7) -> None:
    """Fill ``database`` (already migrated, empty) with the records, under a progress bar."""
    tables = {table.name: table for table in Base.metadata.sorted_tables}
    assert set(COLUMNS) <= set(tables), set(COLUMNS) - set(tables)
    rows = _rows(scale, random.Random(seed))
    expected = _expected_rows(scale)
    progress = Bars()
    raw = database.engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        with progress:
            overall = progress.add_task("all rows", total=sum(expected.values()))
            for name, produce in rows.items():
                columns = COLUMNS[name].split()
                task = progress.add_task(name, total=expected[name])
                if database.backend == "sqlite":
                    _sqlite_load(driver, name, columns, produce(), progress, (task, overall))
                else:
                    _postgres_load(driver, name, columns, produce(), progress, (task, overall))
                progress.update(task, visible=False)
        if database.backend == "postgresql":
            with driver.cursor() as cursor:
                for name in rows:
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT MAX(id) FROM {name}))"
                    )
            driver.commit()
            driver.autocommit = True
            with step("VACUUM ANALYZE"):
                driver.execute("VACUUM ANALYZE")
            driver.autocommit = False
        else:
            with step("ANALYZE"):
                driver.execute("ANALYZE")
    finally:
        raw.close()


def _sqlite_load(
    connection: Any,
    name: str,
    columns: list[str],
    rows: Iterator[tuple[Any, ...]],
    progress: Bars,
    tasks: tuple[Any, Any],
) -> None:
    connection.execute("PRAGMA synchronous=OFF")
    sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    connection.execute("BEGIN")
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(tuple(_sqlite_value(value) for value in row))
        if len(batch) == 20_000:
            connection.executemany(sql, batch)
            for task in tasks:
                progress.advance(task, len(batch))
            batch = []
    connection.executemany(sql, batch)
    for task in tasks:
        progress.advance(task, len(batch))
    connection.execute("COMMIT")


def _postgres_load(
    connection: Any,
    name: str,
    columns: list[str],
    rows: Iterator[tuple[Any, ...]],
    progress: Bars,
    tasks: tuple[Any, Any],
) -> None:
    sql = f"COPY {name} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        count = 0
        for row in rows:
            copy.write_row(row)
            count += 1
            if count == 20_000:
                for task in tasks:
                    progress.advance(task, count)
                count = 0
        for task in tasks:
            progress.advance(task, count)
    connection.commit()


# Measuring -----------------------------------------------------------------------------------


def record_by_query(database: Database, patient_id: int) -> Any:
    with database.sessions() as session:
        patient = ClinicRecords(session, CLINIC).full_record_rows(patient_id)
        assert patient is not None and patient.charts
        session.rollback()
        return patient


def record_n_plus_one(database: Database, patient_id: int) -> int:
    """The naive way: one query per kind of record, then per session, per chart, per child."""
    queries = 0
    with database.sessions() as session:

        def all_of(model: Any, **where: Any) -> list[Any]:
            nonlocal queries
            queries += 1
            query = select(model).filter_by(**where)
            return list(session.execute(query).scalars())

        all_of(Patient, id=patient_id)
        for model in (Intake, Consent, TreatmentPlan, AdverseEvent, OutcomeAssessment, Photo):
            all_of(model, patient_id=patient_id)
        for appointment in all_of(Appointment, patient_id=patient_id):
            for chart in all_of(SessionChart, appointment_id=appointment.id):
                all_of(ChartZone, chart_id=chart.id)
                all_of(ChartProduct, chart_id=chart.id)
                all_of(Device, id=chart.device_id)
                all_of(CartridgeLot, id=chart.cartridge_lot_id)
        session.rollback()
    return queries


def recall_by_query(database: Database, lot_number: str) -> int:
    with database.sessions() as session:
        found = ClinicRecords(session, CLINIC).patients_given_lot(lot_number)
        session.rollback()
        assert found
        return len(found)


def _cycle(values: list[Any]) -> Callable[[], Any]:
    state = {"i": 0}

    def next_value() -> Any:
        state["i"] += 1
        return values[state["i"] % len(values)]

    return next_value


def measure(database: Database, scale: Scale, repeats: int) -> list[list[str]]:
    rng = random.Random(11)
    patients = [rng.randrange(1, scale.patients + 1) for _ in range(max(repeats, 20))]
    lots = [f"LOT-{rng.randrange(2, scale.lots):06d}" for _ in range(repeats)]
    actor = Actor(CLINICIAN, CLINIC, Role.CLINICIAN)
    uow = UnitOfWork(database)
    sessions_per_patient = scale.sessions / scale.patients
    for patient in patients[:3]:  # warm the caches of every way alike
        record_by_query(database, patient)
        record_n_plus_one(database, patient)
        open_patient_record(uow, actor, patient)
        read_and_audit(database, patient, clinic_id=CLINIC, staff_user_id=CLINICIAN, at=now())

    next_patient = _cycle(patients)
    runs = repeats * 3
    query_ms = median_ms(lambda: record_by_query(database, next_patient()), runs, "record query")
    naive_ms = median_ms(
        lambda: record_n_plus_one(database, next_patient()), runs, "record N+1 (baseline)"
    )
    queries = record_n_plus_one(database, patients[0])
    ceiling_ms = median_ms(
        lambda: read_and_audit(
            database, next_patient(), clinic_id=CLINIC, staff_user_id=CLINICIAN, at=now()
        ),
        runs,
        "ceiling: read + audit",
    )
    use_case_ms = median_ms(
        lambda: open_patient_record(uow, actor, next_patient()), runs, "record use case"
    )
    etags = {patient: read_patient_record(uow, actor, patient).etag for patient in patients}

    def unchanged() -> None:
        patient = next_patient()
        assert read_patient_record(uow, actor, patient, known_etags={etags[patient]}).record is None

    unchanged_ms = median_ms(unchanged, runs, "record unchanged (ETag)")

    next_lot = _cycle(lots)
    recall_counts = [recall_by_query(database, lot) for lot in lots[:3]]
    recall_ms = median_ms(lambda: recall_by_query(database, next_lot()), repeats, "recall query")
    owner = Actor(1, CLINIC, Role.OWNER)
    recall_use_case_ms = median_ms(
        lambda: recall_cartridge_lot(uow, owner, next_lot(), reason="benchmark"),
        repeats,
        "recall use case",
    )
    with database.engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_session_chart_cartridge_lot_id"))
    try:
        unindexed_ms = median_ms(
            lambda: recall_by_query(database, next_lot()),
            max(3, repeats // 2),
            "recall without the index",
        )
    finally:
        with step("rebuilding the lot index"), database.engine.begin() as connection:
            connection.execute(
                text(
                    "CREATE INDEX ix_session_chart_cartridge_lot_id ON session_chart (cartridge_lot_id)"
                )
            )
    name = database.backend
    per_lot = statistics.median(recall_counts)
    return [
        [name, f"full record, query ({sessions_per_patient:.0f} sessions)", f"{query_ms:.1f}",
         f"< {RECORD_TARGET_MS}", f"N+1 ({queries} queries)", f"{naive_ms:.1f}",
         f"{naive_ms / query_ms:.1f}×"],
        [name, "ceiling: 1 indexed read + 1 audit entry, 1 transaction", f"{ceiling_ms:.1f}",
         "", "", "", ""],
        [name, "full record, use case (+ role check, audit, commit)", f"{use_case_ms:.1f}",
         f"< {RECORD_TARGET_MS}", "the ceiling", f"{ceiling_ms:.1f}",
         f"{use_case_ms / ceiling_ms:.1f}× of it"],
        [name, "… unchanged since the ETag given (+ role check, audit, commit)",
         f"{unchanged_ms:.1f}", "", "the ceiling", f"{ceiling_ms:.1f}",
         f"{unchanged_ms / ceiling_ms:.1f}× of it"],
        [name, f"lot recall, query ({per_lot:.0f} patients)", f"{recall_ms:.1f}",
         f"< {RECALL_TARGET_MS}", "no lot index", f"{unindexed_ms:.1f}",
         f"{unindexed_ms / recall_ms:.1f}×"],
        [name, "lot recall, use case (+ mark, audit, commit)", f"{recall_use_case_ms:.1f}",
         f"< {RECALL_TARGET_MS}", "", "", ""],
    ]  # fmt: skip


# Backends ------------------------------------------------------------------------------------


def run_backend(backend: str, scale: Scale, repeats: int) -> list[list[str]]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="mn-bench-") as folder:
            database = Database(f"sqlite:///{Path(folder) / 'records.db'}")
            try:
                return _run(database, scale, repeats)
            finally:
                database.dispose()
    admin = postgres_admin()
    if admin is None:
        console.print("[yellow]PostgreSQL not reachable at 127.0.0.1:5432: skipped[/]")
        return []
    with postgres_schema(admin) as url:
        database = Database(url)
        try:
            return _run(database, scale, repeats)
        finally:
            database.dispose()


def _run(database: Database, scale: Scale, repeats: int) -> list[list[str]]:
    console.print(f"[bold]{database.backend}[/]: generating {scale.patients:,} patients and "
                  f"{scale.sessions:,} sessions")  # fmt: skip
    started = time.perf_counter()
    with step("migrating the new database"):
        upgrade(database)
    generate(database, scale)
    console.print(f"  generated in {time.perf_counter() - started:.0f} s; measuring")
    return measure(database, scale, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parse_arguments(parser, QUICK)
    if args.sessions < args.patients or args.patients < 1:
        parser.error("--sessions must be at least --patients (every patient has a session)")
    scale = Scale(args.patients, args.sessions)
    rows: list[list[str]] = []
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        rows.extend(run_backend(backend, scale, args.repeats))
    print_table(
        f"Clinic records: {scale.patients:,} patients, {scale.sessions:,} sessions "
        f"(median of {args.repeats}+ runs, ms)",
        ["database", "measure", "median ms", "target", "baseline", "baseline ms", "ratio"],
        rows,
    )


if __name__ == "__main__":
    main()
