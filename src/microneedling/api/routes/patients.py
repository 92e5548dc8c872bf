"""Patients: list and find, register, details and contact details, the full record."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Header, Query, Response

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


#: At most this many entity tags of an ``If-None-Match`` header are looked at.
MAX_ENTITY_TAGS = 32
_ENTITY_TAG = re.compile(r'\s*(?:W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')

_RECORD_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The record, with its `ETag`",
        "headers": {"ETag": {"description": "The record's version", "schema": {"type": "string"}}},
    },
    304: {
        "description": (
            "Not Modified: `If-None-Match` holds the record's current `ETag` (or `*`); no body. "
            "The reading is audited all the same"
        ),
        "headers": {"ETag": {"description": "The record's version", "schema": {"type": "string"}}},
    },
}


@router.get(
    "/patients/{patient_id}/record",
    response_model=FullRecordOut,
    summary="A patient's full record",
    responses=_RECORD_ANSWERS,
)
async def open_record(
    patient_id: IdInPath,
    actor: CurrentActor,
    context: Context,
    if_none_match: Annotated[
        str | None,
        Header(
            description=(
                "The `ETag` of the record as the client has it (or several, comma-separated, or "
                "`*`): when it is still current the answer is 304 without a body"
            )
        ),
    ] = None,
) -> Response:
    """Intakes, consents, plans, appointments, charts with their amendments, adverse events,
    outcomes and photos' details.

    The answer carries an `ETag` that changes whenever anything the record shows changes (any of
    the patient's rows, or a device or lot a chart names). Send it back in `If-None-Match` to
    get `304 Not Modified` while the record is unchanged; the reading is audited either way."""
    uow = UnitOfWork(context.database, context.photos)
    known = entity_tags(if_none_match)
    return await context.records_lane.run(_open_record, uow, actor, patient_id, context.now, known)


def entity_tags(header: str | None) -> frozenset[str]:
    """The entity tags of an ``If-None-Match`` header, quoted, weak ones as strong ones (the
    header compares weakly); ``*`` as itself. A value that is not a list of entity tags counts
    as none (a full answer, never a wrong 304)."""
    if header is None:
        return frozenset()
    header = header.strip()
    if header == "*":
        return frozenset({"*"})
    tags: list[str] = []
    position = 0
    while position < len(header) and len(tags) < MAX_ENTITY_TAGS:
        found = _ENTITY_TAG.match(header, position)
        if found is None:
            return frozenset()
        tags.append(found[1])
        position = found.end()
    return frozenset(tags)


def _open_record(
    uow: UnitOfWork, actor: Actor, patient_id: int, clock: Clock, known: frozenset[str]
) -> Response:
    """In a thread of the records lane (api/lanes.py): the use case and the JSON, in that thread.

    Sent without FastAPI's check against ``FullRecordOut`` (the route keeps it as its response
    model for the OpenAPI document): the record is built by typed code, the check took a tenth
    of a loaded server's time, and tests/api/test_api_full_record.py holds the answer to the same
    keys and values as the check and the model would send."""
    read = patients.read_patient_record(uow, actor, patient_id, known_etags=known, clock=clock)
    if read.record is None:
        return Response(status_code=304, headers={"ETag": read.etag})
    response = plain_json(read.record)
    response.headers["ETag"] = read.etag
    return response
