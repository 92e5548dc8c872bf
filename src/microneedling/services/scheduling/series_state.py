"""A booked series as it stands (:class:`_SeriesState`: its current appointment for each session, as
the pure package sees them) and writing a changed series back (:func:`_apply`: sessions that
moved keep their appointment rows and get new reservations, a cancelled session's replacement a
new appointment, flags follow the reasons). Shared by moving sessions, the ``.ics`` calendars and
the optimiser.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from microneedling.scheduling.series import (
    Appointment,
    SeriesProposal,
    SeriesRequest,
    SessionProposal,
)
from microneedling.services.calendar_settings import LoadedCalendar
from microneedling.services.scheduling.booking import _new_appointment, _reservation, _reserve
from microneedling.services.scheduling.context import _Context, _view
from microneedling.services.scheduling.plan_series import _series_request
from microneedling.store.models import Appointment as AppointmentRow
from microneedling.store.scheduling_models import AppointmentBooking, BookedSeries
from microneedling.store.scheduling_records import Reservation


@dataclass
class _SeriesState:
    series: BookedSeries
    request: SeriesRequest
    key: str
    rows: dict[int, tuple[AppointmentRow, AppointmentBooking]]
    appointments: list[Appointment]


def _series_state(
    context: _Context,
    series: BookedSeries,
    sessions: Iterable[tuple[AppointmentBooking, AppointmentRow]] | None = None,
) -> _SeriesState:
    """The series' current session appointments (the latest holding one per session);
    ``sessions``: its booked sessions when already read."""
    loaded = context.loaded
    rows: dict[int, tuple[AppointmentRow, AppointmentBooking]] = {}
    if sessions is None:
        sessions = context.records.booked_sessions([series.id])
    for booking, appointment in sessions:
        rows[booking.session] = (appointment, booking)
    key = loaded.series_key(series.id)
    appointments = [
        _pure_appointment(loaded, key, series.sessions, appointment, booking)
        for number, (appointment, booking) in sorted(rows.items())
        if number <= series.sessions
    ]
    return _SeriesState(series, _series_request(series), key, rows, appointments)


def _pure_appointment(
    loaded: LoadedCalendar,
    key: str,
    sessions: int,
    appointment: AppointmentRow,
    booking: AppointmentBooking,
) -> Appointment:
    """A session's appointment as the pure package sees it (reference: the appointment id)."""
    return Appointment(
        series_id=key,
        session=booking.session,
        sessions=sessions,
        start=appointment.starts_at,
        end=booking.ends_at,
        free_at=booking.free_at,
        practitioner_id=loaded.practitioner_code(appointment.practitioner_id)
        or f"staff-{appointment.practitioner_id}",
        room_id=loaded.room_code(booking.room_id) or f"room-id-{booking.room_id}",
        device_id=loaded.device_code(booking.device_id),
        reference=str(appointment.id),
    )


def _apply(
    context: _Context,
    state: _SeriesState,
    proposal: SeriesProposal,
    *,
    replaced: int | None = None,
) -> dict[str, Any]:
    """Write a re-proposal: changed sessions move (same appointment rows, new reservations);
    the session of ``replaced`` (cancelled) gets a new appointment; flags follow the reasons."""
    tx, loaded = context.tx, context.loaded
    changed: list[int] = []
    created: list[int] = []
    release: list[int] = []
    reservations: list[Reservation] = []
    creations: list[SessionProposal] = []
    views: dict[int, int | None] = {}
    for item in proposal.sessions:
        current = state.rows.get(item.session)
        flag = "; ".join(item.reasons) or None
        appointment = item.appointment
        if appointment is None:
            if current is not None and current[0].id != replaced:
                current[1].flag = flag
                views[item.session] = current[0].id
            else:
                views[item.session] = None
            continue
        if current is None or current[0].id == replaced:
            creations.append(item)
            continue
        row, booking = current
        views[item.session] = row.id
        same = item.status == "kept" or (
            row.starts_at == appointment.start
            and loaded.practitioner_code(row.practitioner_id) == appointment.practitioner_id
            and loaded.room_code(booking.room_id) == appointment.room_id
            and loaded.device_code(booking.device_id) == appointment.device_id
            and booking.free_at == appointment.free_at
        )
        booking.flag = flag
        if same:
            continue
        row.starts_at = appointment.start
        row.duration_minutes = int((appointment.end - appointment.start).total_seconds() // 60)
        row.practitioner_id = loaded.practitioner_ids[appointment.practitioner_id]
        booking.room_id = loaded.room_ids[appointment.room_id]
        booking.device_id = (
            loaded.device_ids[appointment.device_id] if appointment.device_id else None
        )
        booking.ends_at, booking.free_at = appointment.end, appointment.free_at
        release.append(row.id)
        reservations.append(_reservation(row.id, appointment, loaded))
        changed.append(row.id)
    context.records.release(release)
    tx.flush()
    for item in creations:
        row, _, reservation = _new_appointment(context, state.series, item)
        reservations.append(reservation)
        created.append(row.id)
        views[item.session] = row.id
    if reservations:
        _reserve(context, reservations)
    return {
        "series_id": state.series.id,
        "patient_id": state.series.patient_id,
        "time_zone": loaded.calendar.time_zone,
        "complete": proposal.complete,
        "sessions": [_view(item, loaded, views.get(item.session)) for item in proposal.sessions],
        "moved": changed,
        "created": created,
        "flagged": [item.session for item in proposal.sessions if item.reasons],
    }
