"""Scheduling: the clinic calendar, a plan's series proposed and booked, sessions moved or
cancelled (the later ones re-proposed), `.ics` downloads, maintenance due, and the clinic-wide
optimiser. Everything is under ``/scheduling``.

Times without an offset are the clinic's wall clock; answers give local times with their offset
(``start``) and UTC (``start_utc``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Body, Query, Response
from pydantic import Field

from microneedling.api.context import IdInPath, Now, Uow
from microneedling.api.routing import ApiRouter
from microneedling.api.schemas import In, Out
from microneedling.api.security import CurrentActor
from microneedling.errors import SchedulingError
from microneedling.services import calendar_settings, scheduling
from microneedling.services.scheduling import PickedSlot, Preferences

router = ApiRouter(prefix="/scheduling", tags=["scheduling"])

ICS = "text/calendar; charset=utf-8"


# Bodies ---------------------------------------------------------------------------------------


class ProposalIn(In):
    preferences: Preferences | None = None
    series_index: int | None = Field(
        default=None, ge=0, le=50, description="Only this series of the plan (0: the first)"
    )


class BookingIn(In):
    """Either ``accept`` (book the proposal as it stands now) or ``slots`` (one per session,
    e.g. the sessions of a proposal as it was shown)."""

    accept: bool = False
    slots: list[PickedSlot] | None = Field(default=None, max_length=200)
    preferences: Preferences | None = None
    series_index: int | None = Field(default=None, ge=0, le=50)


class MoveIn(In):
    to: str = Field(
        min_length=10,
        max_length=40,
        description="The new start, e.g. 2027-01-12T10:30 (the clinic's wall clock) or with "
        "an offset",
    )


class OptimiseIn(In):
    method: Literal["cp-sat", "greedy"] = "cp-sat"
    time_limit_seconds: float = Field(default=10.0, ge=0.1, le=120)
    horizon_days: int = Field(default=182, ge=7, le=366)


class AcceptIn(In):
    result: dict[str, Any] = Field(description="What `POST /scheduling/optimise` answered")
    keys: list[str] | None = Field(
        default=None, max_length=5000, description="Only these series (their `key`)"
    )


# Answers --------------------------------------------------------------------------------------


class WindowOut(Out):
    earliest: str | None
    latest: str | None
    target: str | None


class SessionOut(Out):
    appointment_id: int | None = None
    session: int
    status: Literal["proposed", "kept", "moved", "outside_window", "unplaced"]
    start: str | None = Field(default=None, description="Local time with its offset")
    end: str | None = None
    start_utc: str | None = None
    end_utc: str | None = None
    practitioner: str | None = Field(default=None, description="The practitioner's e-mail")
    room: str | None = None
    device: str | None = Field(default=None, description="The device's serial number")
    window: WindowOut
    penalty: int
    note: str
    reasons: list[str] = Field(description="Why the session is flagged (empty when it is not)")


class ProposedSeriesOut(Out):
    series_index: int
    sessions_planned: int
    interval_weeks: dict[str, int]
    zones: list[str]
    minutes: dict[str, int]
    first_allowed_date: str
    complete: bool
    penalty: int
    sessions: list[SessionOut]


class AlreadyBookedOut(Out):
    series_index: int
    series_id: int


class ProposalOut(Out):
    plan_id: int
    patient_id: int
    time_zone: str
    series: list[ProposedSeriesOut]
    already_booked: list[AlreadyBookedOut]


class BookedSeriesOut(Out):
    series_id: int
    series_index: int
    sessions: list[SessionOut]


class BookingOut(Out):
    plan_id: int
    patient_id: int
    time_zone: str
    series: list[BookedSeriesOut]


class RescheduleOut(Out):
    series_id: int
    patient_id: int
    time_zone: str
    complete: bool
    sessions: list[SessionOut]
    moved: list[int]
    created: list[int]
    flagged: list[int]
    cancelled: int | None = None
    cancelled_appointments: list[int] = Field(default_factory=list)
    reason: str | None = None


class BookedSessionOut(Out):
    appointment_id: int
    session: int
    status: str
    start: str
    end: str
    practitioner: str | None
    room: str | None
    device: str | None
    flag: str | None


class SeriesOut(Out):
    series_id: int
    plan_id: int
    series_index: int
    sessions_planned: int
    first_allowed_date: str
    preferences: dict[str, Any]
    sessions: list[BookedSessionOut]


class MaintenanceDueOut(Out):
    patient_id: int
    name: str
    email: str | None
    phone: str | None
    due: str
    status: Literal["overdue", "due"]
    days_overdue: int
    last_session: str


# Routes ---------------------------------------------------------------------------------------


@router.get("/calendar", summary="The clinic calendar's settings")
def read_calendar(actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    return calendar_settings.read_calendar(uow, actor, clock=clock)


@router.put("/calendar", summary="Set the clinic calendar (owners)")
def configure_calendar(
    body: Annotated[
        dict[str, Any],
        Body(
            description="opening_hours, closures, lengths, slot_minutes, name, practitioners "
            "(staff e-mails with hours and absences), rooms, devices (serial numbers)"
        ),
    ],
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
) -> dict[str, Any]:
    return calendar_settings.configure_calendar(uow, actor, body, clock=clock)


@router.post(
    "/plans/{plan_id}/proposal",
    response_model=ProposalOut,
    summary="Propose appointments for a plan's series (nothing is booked)",
)
def propose(
    plan_id: IdInPath, body: ProposalIn, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    return scheduling.propose_plan(
        uow,
        actor,
        plan_id,
        preferences=body.preferences,
        series_index=body.series_index,
        clock=clock,
    )


@router.post(
    "/plans/{plan_id}/booking",
    status_code=201,
    response_model=BookingOut,
    summary="Book a plan's series in one transaction (the proposal, or picked slots)",
)
def book(
    plan_id: IdInPath, body: BookingIn, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    if body.accept == (body.slots is not None):
        raise SchedulingError("give either accept: true or slots", field="slots")
    return scheduling.book_plan(
        uow,
        actor,
        plan_id,
        slots=body.slots,
        preferences=body.preferences,
        series_index=body.series_index,
        clock=clock,
    )


@router.post(
    "/appointments/{appointment_id}/move",
    response_model=RescheduleOut,
    summary="Move a session; the later ones are re-proposed inside their windows or flagged",
)
def move(
    appointment_id: IdInPath, body: MoveIn, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    return scheduling.move_session(uow, actor, appointment_id, body.to, clock=clock)


class CancelIn(In):
    reason: str = Field(
        min_length=1, max_length=500, description="Why, in staff's words (kept with the session)"
    )


@router.post(
    "/appointments/{appointment_id}/cancel",
    response_model=RescheduleOut,
    summary="Cancel a session, with the reason: its slot is left free (not booked again)",
)
def cancel(
    appointment_id: IdInPath, body: CancelIn, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    return scheduling.cancel_session(uow, actor, appointment_id, reason=body.reason, clock=clock)


@router.post(
    "/series/{series_id}/stop",
    response_model=RescheduleOut,
    summary="Stop a series: every session still to come is cancelled, with one reason",
)
def stop_series(
    series_id: IdInPath, body: CancelIn, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    return scheduling.stop_series(uow, actor, series_id, reason=body.reason, clock=clock)


@router.get(
    "/patients/{patient_id}/series",
    response_model=list[SeriesOut],
    summary="A patient's booked series and their sessions",
)
def list_series(
    patient_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now
) -> list[dict[str, Any]]:
    return scheduling.list_series(uow, actor, patient_id, clock=clock)


@router.get(
    "/patients/{patient_id}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "RFC 5545 calendar"}},
    summary="A patient's booked series as an .ics file (with pre-care reminders)",
)
def patient_calendar(patient_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now) -> Response:
    data = scheduling.patient_calendar(uow, actor, patient_id, clock=clock)
    return Response(
        data,
        media_type=ICS,
        headers={"Content-Disposition": f'attachment; filename="patient-{patient_id}.ics"'},
    )


@router.get(
    "/practitioners/{staff_user_id}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "RFC 5545 calendar"}},
    summary="A practitioner's sessions as an .ics feed",
)
def practitioner_feed(
    staff_user_id: IdInPath,
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    names: Annotated[bool, Query(description="Show patients' names")] = False,
) -> Response:
    data = scheduling.practitioner_feed(uow, actor, staff_user_id, with_names=names, clock=clock)
    return Response(
        data,
        media_type=ICS,
        headers={"Content-Disposition": f'attachment; filename="practitioner-{staff_user_id}.ics"'},
    )


@router.get(
    "/maintenance-due",
    response_model=list[MaintenanceDueOut],
    summary="Patients whose maintenance session is overdue or due soon",
)
def maintenance_due(
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    days: Annotated[int, Query(ge=0, le=366, description="Due within this many days")] = 30,
) -> list[dict[str, Any]]:
    return scheduling.maintenance_due_list(uow, actor, horizon_days=days, clock=clock)


@router.post(
    "/optimise",
    summary="Assign slots to every pending series together (nothing is booked)",
)
def optimise(body: OptimiseIn, actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    return scheduling.optimise_calendar(
        uow,
        actor,
        method=body.method,
        time_limit_seconds=body.time_limit_seconds,
        horizon_days=body.horizon_days,
        clock=clock,
    )


@router.post("/optimise/accept", summary="Book what the optimiser proposed, in one transaction")
def accept(body: AcceptIn, actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    return scheduling.accept_optimised(uow, actor, body.result, keys=body.keys, clock=clock)
