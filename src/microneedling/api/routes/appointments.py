"""Appointments: booking, the calendar (by day range, practitioner, patient, status), and moving
one through checked in, cancelled or no-show."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query, Response

from microneedling.api.context import IdInPath, Now, Uow
from microneedling.api.routes.patients import Limit, Offset
from microneedling.api.routing import ApiRouter
from microneedling.api.schemas import (
    AppointmentOut,
    AppointmentStatusIn,
    Created,
    NewAppointmentIn,
    Page,
)
from microneedling.api.security import CurrentActor
from microneedling.clinical.intake import IsoDate
from microneedling.services import appointments
from microneedling.services.inputs import MAX_ID

router = ApiRouter(tags=["appointments"])

#: Filters shared with the sessions list.
FromDay = Annotated[
    IsoDate | None, Query(alias="from", description="From this day (the clinic's), included")
]
ToDay = Annotated[IsoDate | None, Query(alias="to", description="To this day, included")]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.get(
    "/appointments", response_model=Page[AppointmentOut], summary="The calendar, in time order"
)
def list_appointments(
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    from_day: FromDay = None,
    to_day: ToDay = None,
    practitioner_id: OptionalId = None,
    patient_id: OptionalId = None,
    status: Annotated[
        Literal["scheduled", "checked_in", "completed", "cancelled", "no_show"] | None, Query()
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    return appointments.list_appointments(
        uow,
        actor,
        from_day=from_day,
        to_day=to_day,
        practitioner_id=practitioner_id,
        patient_id=patient_id,
        status=status,
        limit=limit,
        offset=offset,
        clock=clock,
    )


@router.post("/appointments", status_code=201, response_model=Created, summary="Book a session")
def book(
    body: NewAppointmentIn, actor: CurrentActor, uow: Uow, clock: Now, response: Response
) -> dict[str, Any]:
    """Book a one-off session, checked and reserved against the clinic calendar like the
    sessions of a series: 409 when the practitioner, the patient or every room is booked then
    (the message says what clashes), 422 when the clinic or the practitioner is not working
    then or the time has passed, 409 ``refused`` while the clinic has no calendar."""
    appointment_id = appointments.book_appointment(
        uow,
        actor,
        body.patient_id,
        starts_at=body.starts_at,
        duration_minutes=body.duration_minutes,
        plan_id=body.plan_id,
        practitioner_id=body.practitioner_id,
        clock=clock,
    )
    response.headers["Location"] = f"/api/v1/appointments/{appointment_id}"
    return {"id": appointment_id}


@router.get(
    "/appointments/{appointment_id}", response_model=AppointmentOut, summary="One appointment"
)
def read_appointment(
    appointment_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    return appointments.read_appointment(uow, actor, appointment_id, clock=clock)


@router.post(
    "/appointments/{appointment_id}/status",
    status_code=204,
    summary="Check in, cancel, or mark a no-show",
)
def set_status(
    appointment_id: IdInPath, body: AppointmentStatusIn, actor: CurrentActor, uow: Uow, clock: Now
) -> Response:
    if body.status == "cancelled":
        appointments.check_reason(body.reason, required=True)
    appointments.set_appointment_status(
        uow, actor, appointment_id, body.status, reason=body.reason, clock=clock
    )
    return Response(status_code=204)
