"""The ceiling of an audited read, for ``benchmarks/records.py`` and ``benchmarks/api.py``.

Every read of patient data appends its audit entry, so the most a record read can ever do is
bounded by the work no audited read avoids: **one indexed read and one audited insert, in one
transaction** (the patient's row by its key; the hash-chained audit entry, which locks and moves
the chain head; the commit, made durable). :func:`read_and_audit` does exactly that with the
project's own :class:`~microneedling.store.Database` and :class:`~microneedling.store.audit.
AuditLog`, and nothing else: no role check, no account check, no other query.

:data:`CEILING_APP` is the same work served as the API serves the record (an ``async def`` route
handing the work to a :class:`~microneedling.api.lanes.ReadLane` with the API's thread count for
the backend, JSON made with ``plain_json``), for uvicorn to serve beside a bare endpoint.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select

from microneedling.services.views import patient_view
from microneedling.store import Database
from microneedling.store.audit import AuditLog
from microneedling.store.models import Patient

_PATIENT = select(
    Patient.id,
    Patient.given_name,
    Patient.family_name,
    Patient.birth_date,
    Patient.sex,
    Patient.fitzpatrick,
    Patient.email,
    Patient.phone,
    Patient.created_at,
).where(Patient.id == bindparam("patient_id"), Patient.clinic_id == bindparam("clinic_id"))


def read_and_audit(
    database: Database, patient_id: int, *, clinic_id: int, staff_user_id: int, at: datetime
) -> dict[str, Any]:
    """One indexed read and one audit entry in one transaction (on SQLite ``BEGIN IMMEDIATE``,
    like every writing use case), committed; the patient's details as JSON-ready data."""
    with database.sessions() as session:
        row = (
            session.connection()
            .execute(_PATIENT, {"patient_id": patient_id, "clinic_id": clinic_id})
            .one()
        )
        AuditLog(session).append(
            at=at,
            clinic_id=clinic_id,
            actor_id=staff_user_id,
            actor_role="clinician",
            action="patient.read_record",
            patient_id=patient_id,
            entity_type="patient",
            entity_id=patient_id,
        )
        session.commit()
    return patient_view(row)


def now() -> datetime:
    return datetime.now(UTC)


#: A FastAPI app (``ceiling_app:create_app``) with ``GET /bare`` (a constant: the most FastAPI
#: served this way can answer) and ``GET /ceiling/{patient_id}`` (:func:`read_and_audit`).
CEILING_APP = """
import os

from fastapi import FastAPI

from _ceiling import now, read_and_audit
from microneedling.api.lanes import ReadLane, lane_threads
from microneedling.api.responses import plain_json
from microneedling.config import Settings
from microneedling.store import Database


def create_app() -> FastAPI:
    app = FastAPI()
    settings = Settings()
    database = Database(settings.database_url)
    lane = ReadLane(lane_threads(settings, database))
    clinic_id, staff_user_id = int(os.environ["BENCH_CLINIC"]), int(os.environ["BENCH_STAFF"])

    @app.get("/bare")
    async def bare() -> dict[str, bool]:
        return {"ok": True}

    def work(patient_id: int):
        return plain_json(read_and_audit(
            database, patient_id, clinic_id=clinic_id, staff_user_id=staff_user_id, at=now()
        ))

    @app.get("/ceiling/{patient_id}")
    async def ceiling(patient_id: int):
        return await lane.run(work, patient_id)

    return app
"""
