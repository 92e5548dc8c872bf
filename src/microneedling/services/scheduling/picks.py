"""Slots picked by staff (or by the optimiser) for a series' sessions: :class:`PickedSlot` and
:func:`picked_slots` (from a list, or from a proposal as it was returned), and the checks that
hold them in the working occupancy: the hard rules refuse (minimum interval, first allowed date,
the past, resources taken, outside working or opening hours, each with why); a session past its
window, or a first one without 7 days of pre-care, is flagged with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import Field

from microneedling.errors import Conflict, SchedulingError, UserError
from microneedling.scheduling.series import (
    PRECARE_LEAD_DAYS,
    Appointment,
    SeriesRequest,
    SessionProposal,
)
from microneedling.scheduling.slots import Slot, SlotRequest
from microneedling.services.inputs import Input, parse
from microneedling.services.scheduling.context import _Context, _moment, _patient_busy


class PickedSlot(Input):
    """A slot staff picked for one session: ``start`` (ISO; without an offset it is the clinic's
    wall clock), and optionally the practitioner (e-mail), room (code) and device (serial)."""

    series_index: int = Field(default=0, ge=0, le=50)
    session: int = Field(ge=1, le=52)
    start: str = Field(min_length=10, max_length=40)
    practitioner: str | None = Field(default=None, max_length=254)
    room: str | None = Field(default=None, max_length=40)
    device: str | None = Field(default=None, max_length=100)


def picked_slots(data: Any) -> list[PickedSlot]:
    """Slots from a list of ``{series_index, session, start, practitioner, room, device}``, or
    from a proposal as ``propose`` returns it (its sessions with a start, as proposed)."""
    entries: list[Mapping[str, Any]] = []
    if isinstance(data, Mapping) and "series" in data:
        for series in data["series"] or ():
            for session in series.get("sessions") or ():
                if session.get("start"):
                    entries.append(
                        {
                            "series_index": series.get("series_index", 0),
                            **{
                                key: session.get(key)
                                for key in ("session", "start", "practitioner", "room", "device")
                            },
                        }
                    )
    elif isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        entries = list(data)
    else:
        raise SchedulingError("expected a list of slots or a proposal", field="slots")
    result = []
    for number, entry in enumerate(entries):
        try:
            result.append(parse(PickedSlot, entry, what=f"slots[{number}]"))
        except UserError as error:
            raise SchedulingError(error.message, field=f"slots[{number}].{error.field}") from None
    return result


def _slot_for(
    context: _Context,
    request: SeriesRequest,
    start: datetime,
    picked: PickedSlot | None,
    where: str,
    session: int,
) -> Slot:
    """The slot at ``start`` with the picked practitioner, room and device (any free ones where
    none is named); a :class:`SchedulingError` saying why when there is none."""
    calendar = context.loaded.calendar
    length = request.length(calendar)
    practitioner = picked.practitioner if picked else None
    room = picked.room if picked else None
    device = picked.device if picked else None
    for value, known, name in (
        (practitioner, context.loaded.practitioner_ids, "practitioner"),
        (room, context.loaded.room_ids, "room"),
        (device, context.loaded.device_ids, "device"),
    ):
        if value is not None and value not in known:
            raise SchedulingError(f"the calendar has no {name} {value!r}", field=f"{where}.{name}")
    slot = context.occupancy.slot_starting(
        start,
        length,
        practitioner_id=practitioner,
        room_id=room,
        device_id=device,
        practitioners=frozenset([practitioner]) if practitioner else None,
    )
    if slot is not None and room is not None and slot.room_id != room:
        slot = None
    if slot is not None and device is not None and slot.device_id != device:
        slot = None
    if slot is None:
        local_start = f"{calendar.to_local(start):%Y-%m-%d %H:%M}"
        free_calendar = context.empty_occupancy().slot_starting(
            start,
            length,
            practitioner_id=practitioner,
            room_id=room,
            device_id=device,
            practitioners=frozenset([practitioner]) if practitioner else None,
        )
        if (
            free_calendar is not None
            and (room is None or free_calendar.room_id == room)
            and (device is None or free_calendar.device_id == device)
        ):
            raise Conflict(
                f"session {session} cannot be at {local_start}: that time is already booked "
                "(its practitioner, room or device, or the patient has another session then); "
                "propose again and pick another",
                field=f"{where}.start",
            )
        day = calendar.local_day(start)
        probe = SlotRequest(length)
        if context.occupancy.best_slot(day, probe) is None:
            why = context.occupancy.why_no_slot(day, probe)
        else:
            names = ", ".join(item for item in (practitioner, room, device) if item)
            why = "that time is outside working hours or opening hours" + (
                f" for {names}" if names else ""
            )
        raise SchedulingError(
            f"session {session} cannot be at {local_start}: {why}", field=f"{where}.start"
        )
    return slot


def _picked_sessions(
    context: _Context,
    request: SeriesRequest,
    picks: Sequence[tuple[int, PickedSlot, str]],
    *,
    series_key: str,
    first_allowed: date,
    anchor: date | None,
    first_session: int = 1,
    note: str = "picked by staff",
) -> list[SessionProposal]:
    """Check staff's slots for sessions ``first_session`` on (after a session on ``anchor``) and
    hold them in the working occupancy. Hard rules refuse (never under the minimum interval, not
    before the first allowed date, not in the past, resources free); a session past its window's
    end, or a first session without 7 days of pre-care, is flagged with the reason."""
    calendar = context.loaded.calendar
    today, now = context.tx.today, context.tx.now
    interval = request.interval
    numbers = [pick.session for _, pick, _ in picks]
    expected = list(range(first_session, request.sessions + 1))
    if sorted(numbers) != expected:
        raise SchedulingError(
            f"give one slot for each of sessions {first_session} to {request.sessions}, "
            f"got {', '.join(map(str, sorted(numbers))) or 'none'}",
            field="slots",
        )
    result = []
    for _, pick, where in sorted(picks, key=lambda item: item[1].session):
        number = pick.session
        start = _moment(pick.start, context.loaded, f"{where}.start")
        if start <= now:
            raise SchedulingError("is in the past", field=f"{where}.start")
        day = calendar.local_day(start)
        reasons: list[str] = []
        if anchor is None:
            if day < first_allowed:
                raise SchedulingError(
                    f"the first session cannot be before {first_allowed} (screening or surgery "
                    "rule)",
                    field=f"{where}.start",
                )
            if day < today + timedelta(days=PRECARE_LEAD_DAYS):
                reasons.append(
                    f"less than {PRECARE_LEAD_DAYS} days after today ({today}): the patient "
                    "cannot complete the day −7 pre-care (stop retinoids and exfoliants, avoid sun)"
                )
            low, high, target = first_allowed, None, first_allowed
        else:
            low = anchor + timedelta(weeks=interval.min)
            high = anchor + timedelta(weeks=interval.max)
            target = anchor + timedelta(weeks=interval.default)
            if day < low:
                raise SchedulingError(
                    f"session {number} cannot be on {day}: it must be at least {interval.min} "
                    f"weeks after session {number - 1} ({anchor}), so on {low} or later",
                    field=f"{where}.start",
                )
            if day > high:
                reasons.append(
                    f"{(day - anchor).days} days after session {number - 1}: outside its window "
                    f"of {interval.min}–{interval.max} weeks ({low} to {high})"
                )
        slot = _slot_for(context, request, start, pick, where, number)
        context.occupancy.book(slot)
        for blocking in _patient_busy(context.loaded, [(slot.start, slot.end)]):
            context.occupancy.book(blocking)
        result.append(
            SessionProposal(
                session=number,
                status="outside_window" if reasons and anchor is not None else "proposed",
                appointment=Appointment.from_slot(
                    slot, series_id=series_key, session=number, sessions=request.sessions
                ),
                earliest=low,
                latest=high,
                target=target,
                note=note,
                reasons=tuple(reasons),
            )
        )
        anchor = day
    return result
