"""Patients: list and find, register, details and contact details, the full record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Response

from microneedling.api.context import Context, IdInPath, Now, Uow
from microneedling.api.responses import plain_json
from microneedling.api.routing import ApiRouter
from microneedling.api.schemas import Created, ErrorOut, FullRecordOut, Page, PatientOut
from microneedling.api.security import CurrentActor
from microneedling.clinical.intake import IsoDate
from microneedling.services import patients
from microneedling.services.access import Actor
from microneedling.services.clock import Clock
from microneedling.services.inputs import MAX_OFFSET, MAX_PAGE
from microneedling.services.patients import ContactDetails, NewPatient
from microneedling.store import UnitOfWork

router = ApiRouter(tags=["patients"])

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")]


@router.get("/patients", response_model=Page[PatientOut], summary="List and find patients")
def list_patients(
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description=(
                "Part of a name (words in any order, each the start of a word of the given or "
                "family name; case and accents ignored), a phone number (its digits), part of "
                "an e-mail address, or a date of birth as typed (1988-03-14, 14/03/1988, "
                "14 March 1988)"
            ),
        ),
    ] = None,
    birth_date: Annotated[IsoDate | None, Query(description="Born on this day")] = None,
    has_upcoming_session: Annotated[
        bool | None, Query(description="With (true) or without (false) a session booked from now")
    ] = None,
    session_on: Annotated[
        IsoDate | None, Query(description="With a session booked on this day (the clinic's)")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Ordered by family name, then given name."""
    return patients.list_patients(
        uow,
        actor,
        text=q,
        birth_date=birth_date,
        has_upcoming_session=has_upcoming_session,
        session_on=session_on,
        limit=limit,
        offset=offset,
        clock=clock,
    )


@router.post(
    "/patients",
    status_code=201,
    response_model=Created,
    summary="Register a patient",
    responses={
        409: {
            "model": ErrorOut,
            "description": (
                "A patient with the same name and date of birth is already registered: the "
                "message names them (and their id); send `confirm_duplicate: true` to register "
                "this patient anyway"
            ),
        }
    },
)
def register_patient(
    body: NewPatient, actor: CurrentActor, uow: Uow, clock: Now, response: Response
) -> dict[str, Any]:
    """Refused with 409 (`conflict`, field `confirm_duplicate`) when someone with the same name
    (case and accents aside) and date of birth is already registered, unless
    `confirm_duplicate` is true."""
    patient_id = patients.register_patient(uow, actor, body, warn_of_duplicates=True, clock=clock)
    response.headers["Location"] = f"/api/v1/patients/{patient_id}"
    return {"id": patient_id}


@router.get(
    "/patients/{patient_id}", response_model=PatientOut, summary="A patient's details and contact"
)
def read_patient(patient_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    return patients.read_patient(uow, actor, patient_id, clock=clock)


@router.patch("/patients/{patient_id}", response_model=PatientOut, summary="Change contact details")
def update_contact(
    patient_id: IdInPath, body: ContactDetails, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    """`email` and `phone`; a field given as null is cleared, one left out is kept."""
    return patients.update_contact_details(uow, actor, patient_id, body, clock=clock)


@router.get(
    "/patients/{patient_id}/record",
    response_model=FullRecordOut,
    summary="A patient's full record",
)
async def open_record(patient_id: IdInPath, actor: CurrentActor, context: Context) -> Response:
    """Intakes, consents, plans, appointments, charts with their amendments, adverse events,
    outcomes and photos' details."""
    uow = UnitOfWork(context.database, context.photos)
    return await context.records_lane.run(_open_record, uow, actor, patient_id, context.now)


def _open_record(uow: UnitOfWork, actor: Actor, patient_id: int, clock: Clock) -> Response:
    """In a thread of the records lane (api/lanes.py): the use case and the JSON, in that thread.

    Sent without FastAPI's check against ``FullRecordOut`` (the route keeps it as its response
    model for the OpenAPI document): the record is built by typed code, the check took a tenth
    of a loaded server's time, and tests/api/test_api_full_record.py holds the answer to the same
    keys and values as the check and the model would send."""
    record = patients.open_patient_record(uow, actor, patient_id, clock=clock)
    return plain_json(record)
