"""The full record as the API reads it: rows without ORM objects (``full_record_rows``) give exactly
what the ORM-loaded record gives; many threads reading records at once each get theirs and append
their own audit entry; on SQLite, a write transaction gives its writer lock back however it ends.
"""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from PIL import Image
from pydantic import TypeAdapter
from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload
from tests.api.conftest import Clinic

from microneedling.api.schemas import FullRecordOut
from microneedling.services import adverse_events, charts, outcomes, patients, photos
from microneedling.services.views import full_record_view
from microneedling.store import Database, UnitOfWork
from microneedling.store.audit_verify import verify_chain
from microneedling.store.models import AuditEntry, Patient, SessionChart


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 8), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def rich_patient(clinic: Clinic) -> int:
    """A patient with two charted sessions (one amended twice, with two zones), an adverse event,
    two outcomes and a photo."""
    world = clinic.world
    first = world.ready_session()
    world.chart(first, zones=[{"zone": "cheeks", "depth_mm": 1.0, "passes": 3},
                              {"zone": "forehead", "depth_mm": 0.5, "passes": 2}])  # fmt: skip
    for number, reason in ((16, "wrong cartridge charted"), (12, "it was right after all")):
        charts.amend_chart(
            world.uow, world.clinician2, first.appointment_id, changes={"needle_count": number},
            reason=reason, clock=world.clock,
        )  # fmt: skip
    second = world.appointment(first.patient_id)
    world.chart(
        type(first)(first.patient_id, second, first.device_id, first.lot_number),
        notes="second session",
    )
    adverse_events.record_adverse_event(
        world.uow, world.clinician, first.patient_id,
        {"kind": "oedema", "severity": "mild", "onset_on": "2026-12-01",
         "appointment_id": first.appointment_id},
        clock=world.clock,
    )  # fmt: skip
    for scale, inputs in (("gais", {"grade": 2}), ("gais", {"grade": 1})):
        outcomes.record_outcome(
            world.uow, world.clinician, first.patient_id, scale=scale, inputs=inputs,
            assessed_on=date(2026, 11, 30), clock=world.clock,
        )  # fmt: skip
    photos.add_photo(
        world.uow, world.clinician, first.patient_id, jpeg(), view="front", clock=world.clock
    )
    return first.patient_id


def orm_full_record(session: Session, clinic_id: int, patient_id: int) -> Patient | None:
    """The same record loaded as ORM objects (the oracle for the rows)."""
    charts = selectinload(Patient.charts)
    query = (
        select(Patient)
        .where(Patient.id == patient_id, Patient.clinic_id == clinic_id)
        .options(
            selectinload(Patient.intakes),
            selectinload(Patient.consents),
            selectinload(Patient.plans),
            selectinload(Patient.appointments),
            charts.selectinload(SessionChart.zones),
            charts.selectinload(SessionChart.products),
            charts.joinedload(SessionChart.device),
            charts.joinedload(SessionChart.cartridge_lot),
            selectinload(Patient.adverse_events),
            selectinload(Patient.outcomes),
            selectinload(Patient.photos),
        )
    )
    return session.execute(query).scalar_one_or_none()


def as_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def test_the_rows_give_the_record_the_orm_gives(clinic: Clinic, database: Database) -> None:
    patient_id = rich_patient(clinic)
    with UnitOfWork(database, read_only=True) as uow:
        records = uow.records(clinic.world.owner.clinic_id)
        loaded = orm_full_record(uow.session, clinic.world.owner.clinic_id, patient_id)
        read = records.full_record_rows(patient_id)
        assert loaded is not None and read is not None
        by_orm, by_rows = full_record_view(loaded), full_record_view(read)
    assert as_json(by_rows) == as_json(by_orm)
    assert len(by_rows["charts"]) == 2
    assert [len(chart["amendments"]) for chart in by_rows["charts"]] == [2, 0]
    assert [zone["zone"] for zone in by_rows["charts"][0]["original"]["zones"]] == [
        "cheeks",
        "forehead",
    ]
    assert len(by_rows["outcomes"]) == 2 and len(by_rows["photos"]) == 1
    assert len(by_rows["adverse_events"]) == 1


def test_the_api_answers_the_record_the_use_case_gives(clinic: Clinic) -> None:
    patient_id = rich_patient(clinic)
    response = clinic.get(f"/patients/{patient_id}/record", role="clinician")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    expected = patients.open_patient_record(
        clinic.world.uow, clinic.world.clinician, patient_id, clock=clinic.world.clock
    )
    assert as_json(response.json()) == as_json(expected)
    change = response.json()["charts"][0]["amendments"][0]["changes"]["needle_count"]
    assert change == {"from": 12, "to": 16}


def test_the_record_is_sent_as_its_response_model_would_send_it(clinic: Clinic) -> None:
    """The route sends the record as plain JSON, without FastAPI's check against
    ``FullRecordOut`` (a tenth of a loaded server's time): the same keys and values, nothing more
    and nothing less, as the check and the model's serialization would have sent, for a record with
    every kind of entry. (Only the order of keys may differ, inside the JSON documents a record
    keeps, the intake's answers and screening: PostgreSQL's ``jsonb`` stores them in an order of
    its own.)"""
    patient_id = rich_patient(clinic)
    response = clinic.get(f"/patients/{patient_id}/record", role="clinician")
    assert response.status_code == 200
    model = TypeAdapter(FullRecordOut)
    assert response.json() == json.loads(
        model.dump_json(model.validate_json(response.content), by_alias=True)
    )


def test_another_clinics_patient_is_not_read(clinic: Clinic, database: Database) -> None:
    patient_id = rich_patient(clinic)
    with UnitOfWork(database, read_only=True) as uow:
        assert uow.records(clinic.other.owner.clinic_id).full_record_rows(patient_id) is None
    response = clinic.get(f"/patients/{patient_id}/record", role="other_owner")
    assert response.status_code == 404


def test_records_read_at_once_each_append_their_own_audit_entry(
    clinic: Clinic, database: Database
) -> None:
    world = clinic.world
    patient_id = rich_patient(clinic)
    with database.sessions() as session:
        before = max(session.execute(select(AuditEntry.sequence)).scalars(), default=0)

    def read(_: int) -> str:
        record = patients.open_patient_record(
            UnitOfWork(database), world.clinician, patient_id, clock=world.clock
        )
        return as_json(record)

    with ThreadPoolExecutor(max_workers=12) as pool:
        records = list(pool.map(read, range(36)))
    assert len(set(records)) == 1
    with database.sessions() as session:
        entries = list(
            session.execute(
                select(AuditEntry).where(
                    AuditEntry.sequence > before,
                    AuditEntry.action == "patient.read_record",
                    AuditEntry.patient_id == patient_id,
                )
            ).scalars()
        )
        assert len(entries) == 36
        report = verify_chain(session)
        assert report.intact, report.problems


def test_a_sqlite_write_transaction_gives_the_writer_lock_back_however_it_ends(
    database: Database,
) -> None:
    if database.backend != "sqlite":
        pytest.skip("the writer lock is SQLite's")

    def lock_of(connection: Any) -> Any:
        return connection.connection.dbapi_connection.writer_lock

    with database.engine.connect() as connection:
        connection.execute(text("SELECT 1"))  # BEGIN IMMEDIATE
        lock = lock_of(connection)
        assert lock.locked()
        connection.commit()
        assert not lock.locked()
        connection.execute(text("SELECT 1"))
        assert lock.locked()
        connection.rollback()
        assert not lock.locked()
        connection.execute(text("SELECT 1"))
        assert lock.locked()
    assert not lock.locked()  # returned to the pool, rolled back
    with pytest.raises(ZeroDivisionError), database.engine.begin() as connection:
        connection.execute(text("SELECT 1"))
        assert lock.locked()
        raise ZeroDivisionError
    assert not lock.locked()
    with database.reader().connect() as connection:
        connection.execute(text("SELECT 1"))  # BEGIN DEFERRED: a reader takes no lock
        assert not lock.locked()
