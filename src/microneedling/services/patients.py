"""Registering patients, finding them, and opening a patient's full record."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from microneedling.clinical.intake import IsoDate
from microneedling.errors import NotFound, UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.inputs import Email, Input, Phone, parse
from microneedling.services.views import full_record_view, patient_view
from microneedling.store import UnitOfWork
from microneedling.store.models import Patient

Name = Field(min_length=1, max_length=100)


class NewPatient(Input):
    given_name: str = Name
    family_name: str = Name
    birth_date: IsoDate
    sex: Literal["female", "male", "other"] | None = None
    fitzpatrick: int = Field(ge=1, le=6, strict=True)
    email: Email | None = None
    phone: Phone | None = None


def register_patient(
    uow: UnitOfWork,
    actor: Actor,
    details: NewPatient | dict[str, Any],
    *,
    clock: Clock = utc_now,
) -> int:
    """Add a patient to the actor's clinic; returns the patient's id."""
    new = parse(NewPatient, details, what="patient")
    with Transaction(uow, actor, "patient.register", clock) as tx:
        if new.birth_date > tx.today:
            raise UserError("is after today", field="birth_date")
        patient = Patient(
            given_name=new.given_name,
            family_name=new.family_name,
            birth_date=new.birth_date,
            sex=new.sex,
            fitzpatrick=new.fitzpatrick,
            email=new.email,
            phone=new.phone,
            created_at=tx.now,
            created_by=actor.staff_user_id,
        )
        tx.records.add(patient)
        tx.flush()
        tx.done(patient_id=patient.id, entity=("patient", patient.id))
    return patient.id


def find_patients(
    uow: UnitOfWork, actor: Actor, text: str, *, limit: int = 50, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """Patients whose given or family name starts with ``text``."""
    if not text.strip():
        raise UserError("give the start of a name", field="text")
    with Transaction(uow, actor, "patient.search", clock) as tx:
        found = [patient_view(p) for p in tx.records.find_patients(text, limit=min(limit, 200))]
        tx.done(details={"results": len(found)})
    return found


def open_patient_record(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """The patient's full record: intakes, consents, plans, appointments, charts with their
    amendments, adverse events, outcomes and photos. Reading it is audited.
    """
    with Transaction(uow, actor, "patient.read_record", clock) as tx:
        patient = tx.records.full_record(patient_id)
        if patient is None:
            raise NotFound(f"no patient {patient_id} in this clinic", field="patient_id")
        record = full_record_view(patient)
        tx.done(patient_id=patient.id, entity=("patient", patient.id))
    return record


def require_patient(tx: Transaction, patient_id: int) -> Patient:
    """The patient of the actor's clinic, or NotFound (also for another clinic's patient)."""
    patient = tx.records.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"no patient {patient_id} in this clinic", field="patient_id")
    return patient
