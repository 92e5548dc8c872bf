"""Registering patients, finding them, and opening a patient's full record."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from microneedling.clinical.intake import IsoDate
from microneedling.errors import NotFound, UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, local_days, utc_now
from microneedling.services.inputs import (
    Email,
    Input,
    Phone,
    check_day,
    check_page,
    parse,
    plausible_day,
)
from microneedling.services.views import full_record_view, page, patient_view
from microneedling.store import UnitOfWork
from microneedling.store.models import Patient

Name = Field(min_length=1, max_length=100)


class NewPatient(Input):
    given_name: str = Name
    family_name: str = Name
    birth_date: Annotated[IsoDate, AfterValidator(plausible_day)]
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
    with Transaction(uow, actor, "patient.search", clock, reading=True) as tx:
        found = [patient_view(p) for p in tx.records.find_patients(text, limit=min(limit, 200))]
        tx.done(details={"results": len(found)})
    return found


class ContactDetails(Input):
    """Changes to a patient's contact details: a field given as null is cleared."""

    email: Email | None = None
    phone: Phone | None = None


def update_contact_details(
    uow: UnitOfWork,
    actor: Actor,
    patient_id: int,
    changes: ContactDetails | dict[str, Any],
    *,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Change the patient's e-mail and phone; returns the patient as now recorded."""
    new = parse(ContactDetails, changes, what="contact details")
    given = sorted(new.model_fields_set)
    if not given:
        raise UserError("give the e-mail, the phone, or both", field="email")
    with Transaction(uow, actor, "patient.update_contact", clock) as tx:
        patient = require_patient(tx, patient_id)
        for name in given:
            setattr(patient, name, getattr(new, name))
        view = patient_view(patient)
        tx.done(patient_id=patient.id, entity=("patient", patient.id), details={"changed": given})
    return view


def read_patient(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """The patient's details and contact details (reading them is audited)."""
    with Transaction(uow, actor, "patient.read", clock, reading=True) as tx:
        view = patient_view(require_patient(tx, patient_id))
        tx.done(patient_id=patient_id, entity=("patient", patient_id))
    return view


def list_patients(
    uow: UnitOfWork,
    actor: Actor,
    *,
    text: str | None = None,
    birth_date: date | None = None,
    has_upcoming_session: bool | None = None,
    session_on: date | None = None,
    limit: int = 50,
    offset: int = 0,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """A page of the clinic's patients, by name: filtered by the start of a name, the birth
    date, whether a session is booked from now on, or a session booked on a day."""
    check_page(limit, offset)
    if text is not None and not 1 <= len(text.strip()) <= 100:
        raise UserError("give 1 to 100 characters of a name", field="q")
    if birth_date is not None:
        check_day(birth_date, "birth_date")
    if session_on is not None:
        check_day(session_on, "session_on")
    with Transaction(uow, actor, "patient.search", clock, reading=True) as tx:
        zone = tx.records.clinic().time_zone
        rows = tx.records.list_patients(
            text=text,
            birth_date=birth_date,
            has_upcoming=has_upcoming_session,
            upcoming_from=tx.now,
            session_between=local_days(session_on, session_on, zone) if session_on else None,
            limit=limit + 1,
            offset=offset,
        )
        result = page(rows, patient_view, limit=limit, offset=offset)
        filters = {
            "q": text is not None,
            "birth_date": birth_date is not None,
            "has_upcoming_session": has_upcoming_session is not None,
            "session_on": session_on is not None,
        }
        # The filters' values may identify a patient (a name, a birth date): only their names.
        tx.done(
            details={
                "results": len(result["items"]),
                "filters": sorted(name for name, used in filters.items() if used),
            }
        )
    return result


def open_patient_record(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """The patient's full record: intakes, consents, plans, appointments, charts with their
    amendments, adverse events, outcomes and photos. Reading it is audited.
    """
    with Transaction(uow, actor, "patient.read_record", clock, reading=True) as tx:
        rows = tx.records.full_record_rows(patient_id)
        if rows is None:
            raise NotFound(f"no patient {patient_id} in this clinic", field="patient_id")
        record = full_record_view(rows)
        tx.done(patient_id=patient_id, entity=("patient", patient_id))
    return record


def require_patient(tx: Transaction, patient_id: int) -> Patient:
    """The patient of the actor's clinic, or NotFound (also for another clinic's patient)."""
    patient = tx.records.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"no patient {patient_id} in this clinic", field="patient_id")
    return patient
