"""One-off appointments (:func:`book_one_off`: an appointment on its own, not a session of a series)
through the same calendar and reservations as a series, and the refusals in the clinic's words:
what the calendar does not allow (opening hours, closures, working hours, absences, rooms and
devices in service) or what is booked in the way (the practitioner's or the patient's other
session, turnover included).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import cast

from microneedling.errors import Conflict, SchedulingError, UserError
from microneedling.scheduling.clinic_calendar import (
    AppointmentLength,
    ClinicCalendar,
    Period,
    TimeRange,
)
from microneedling.services.access import Transaction
from microneedling.services.appointments import ONE_OFF_TAKEN
from microneedling.services.calendar_settings import load_calendar, scheduling_records
from microneedling.services.messages.outbox import appointment_booked
from microneedling.services.scheduling.booking import _reserve
from microneedling.services.scheduling.context import _Context, _moment
from microneedling.store.models import Appointment as AppointmentRow
from microneedling.store.models import StaffUser
from microneedling.store.scheduling_models import AppointmentBooking
from microneedling.store.scheduling_records import HeldTime, Reservation


def book_one_off(
    tx: Transaction,
    patient_id: int,
    *,
    starts_at: datetime,
    duration_minutes: int,
    plan_id: int | None = None,
    practitioner_id: int | None = None,
) -> AppointmentRow:
    """Book one appointment on its own (not a session of a series) inside ``tx``, through the
    same calendar and reservations as a series: never in the past, inside the opening hours and
    the practitioner's working hours, not in a closure or an absence, never over another
    booking of the practitioner, a room or a device, nor over the patient's other visits. The
    practitioner (any free one when none is given), a free room and a usable device are taken
    for ``duration_minutes`` plus the clinic's turnover. Refusals say why in the clinic's words:
    :class:`SchedulingError` for a time the calendar does not allow, :class:`Conflict` for one
    that is booked (also when someone books it at the same moment). ``tx`` must not have written
    anything yet (the calendar index is used)."""
    if starts_at <= tx.now:
        raise SchedulingError("That time has passed: choose a time after now", field="starts_at")
    records = scheduling_records(tx)
    loaded = load_calendar(tx, records)
    start = _moment(starts_at, loaded, "starts_at")
    code = None
    if practitioner_id is not None:
        code = loaded.practitioner_code(practitioner_id)
        if code is None:
            raise SchedulingError(
                f"{_staff_name(tx, practitioner_id)} has no working hours in the clinic calendar: "
                "an owner adds them (Admin → Calendar) before sessions are booked with them",
                field="practitioner_id",
            )
    calendar = loaded.calendar
    length = AppointmentLength(0, duration_minutes, calendar.lengths.turnover_minutes)
    until = calendar.local_day(start + timedelta(minutes=length.blocked_minutes))
    context = _Context.load(tx, until + timedelta(days=2), patient_id=patient_id, cached=True)
    chosen = frozenset([code]) if code else None
    slot = context.occupancy.slot_starting(
        start, length, practitioner_id=code, practitioners=chosen
    )
    if slot is None:
        raise _one_off_refusal(context, start, length, code, patient_id)
    row = AppointmentRow(
        patient_id=patient_id,
        plan_id=plan_id,
        practitioner_id=loaded.practitioner_ids[slot.practitioner_id],
        starts_at=start,
        duration_minutes=duration_minutes,
        status="scheduled",
        created_at=tx.now,
        created_by=tx.actor.staff_user_id,
        status_changed_at=tx.now,
    )
    tx.records.add(row)
    tx.flush(ONE_OFF_TAKEN)
    booking = AppointmentBooking(
        appointment_id=row.id,
        series_id=None,
        session=None,
        room_id=loaded.room_ids[slot.room_id],
        device_id=loaded.device_ids[slot.device_id] if slot.device_id else None,
        ends_at=slot.end,
        free_at=slot.free_at,
    )
    tx.records.add(booking)
    reservation = Reservation(
        appointment_id=row.id,
        start=slot.start,
        free_at=slot.free_at,
        practitioner_id=loaded.practitioner_ids[slot.practitioner_id],
        room_id=booking.room_id,
        device_id=booking.device_id,
    )
    _reserve(context, [reservation], ONE_OFF_TAKEN)
    appointment_booked(tx, row, ends_at=booking.ends_at)
    return row


def _staff_name(tx: Transaction, staff_user_id: int) -> str:
    user = tx.records.get(StaffUser, staff_user_id)
    return user.display_name if user is not None else f"staff member {staff_user_id}"


def _say_day(day: date) -> str:
    """``Tue 8 Dec 2026``, as receptionists say a day."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def _hours(ranges: Sequence[TimeRange]) -> str:
    return ", ".join(str(item).replace("-", "–") for item in ranges)


def _fits(ranges: Sequence[TimeRange], first: int, last: int) -> bool:
    """Whether local minutes ``first`` to ``last`` of a day lie inside one of ``ranges``."""
    return any(item.start_minute <= first and last <= item.end_minute for item in ranges)


def _touches(period: Period, day: date, start: datetime, end: datetime) -> bool:
    if period.whole_days:
        return period.start <= day <= period.end
    return bool(period.start < end and start < period.end)


def _period_words(period: Period, calendar: ClinicCalendar, day: date) -> str:
    """When a closure or an absence is, and why: ``on Fri 25 Dec 2026 (Christmas)``."""
    if period.whole_days:
        when = f"on {_say_day(day)}"
    else:
        low = calendar.to_local(cast(datetime, period.start))
        high = calendar.to_local(cast(datetime, period.end))
        when = f"from {low:%H:%M} to {high:%H:%M} on {_say_day(day)}"
    return when + (f" ({period.reason})" if period.reason else "")


def _one_off_refusal(
    context: _Context,
    start: datetime,
    length: AppointmentLength,
    code: str | None,
    patient_id: int,
) -> UserError:
    """Why a one-off cannot start at ``start``: what the calendar does not allow (a
    :class:`SchedulingError`), else what is booked then (a :class:`Conflict`)."""
    chosen = frozenset([code]) if code else None
    if (
        context.empty_occupancy().slot_starting(
            start, length, practitioner_id=code, practitioners=chosen
        )
        is None
    ):
        return SchedulingError(_not_open(context, start, length, code), field="starts_at")
    return Conflict(_clash(context, start, length, code, patient_id), field="starts_at")


def _not_open(
    context: _Context, start: datetime, length: AppointmentLength, code: str | None
) -> str:
    """What in the calendar (opening hours, closures, working hours, absences, rooms and devices
    in service) leaves no room for the session at ``start``."""
    calendar = context.loaded.calendar
    end = start + timedelta(minutes=length.blocked_minutes)
    local_start, local_end = calendar.to_local(start), calendar.to_local(end)
    day = local_start.date()
    weekday = f"{day:%A}s"
    first = local_start.hour * 60 + local_start.minute
    last = local_end.hour * 60 + local_end.minute + 24 * 60 * (local_end.date() - day).days
    span = (
        f"a {length.patient_minutes}-minute session at {local_start:%H:%M} and the "
        f"{length.turnover_minutes} minutes' turnover after it (until {local_end:%H:%M})"
        if length.turnover_minutes
        else f"a {length.patient_minutes}-minute session at {local_start:%H:%M} "
        f"(until {local_end:%H:%M})"
    )
    opening = calendar.opening_hours.on(day.weekday())
    if not opening:
        return f"The clinic is closed on {weekday}"
    for period in calendar.closures:
        if _touches(period, day, start, end):
            return f"The clinic is closed {_period_words(period, calendar, day)}"
    if not _fits(opening, first, last):
        return (
            f"The clinic is open {_hours(opening)} on {weekday}: {span} do not fit; choose "
            "another time"
        )
    practitioners = (
        [calendar.practitioner(code)] if code is not None else list(calendar.practitioners)
    )
    reasons = []
    for practitioner in practitioners:
        staff_id = context.loaded.practitioner_ids[practitioner.id]
        name = _staff_name(context.tx, staff_id)
        hours = practitioner.working_hours.on(day.weekday())
        away = [p for p in practitioner.absences if _touches(p, day, start, end)]
        if away:
            reasons.append(f"{name} is away {_period_words(away[0], calendar, day)}")
        elif not hours:
            reasons.append(f"{name} does not work on {weekday}")
        elif not _fits(hours, first, last):
            reasons.append(f"{name} works {_hours(hours)} on {weekday}: {span} do not fit")
    if code is not None and reasons:
        return reasons[0]
    if reasons and len(reasons) == len(practitioners):
        return "No practitioner works then: " + "; ".join(reasons)
    return (
        f"No treatment room with a usable device is in service from {local_start:%H:%M} to "
        f"{local_end:%H:%M} on {_say_day(day)}"
    )


def _clash(
    context: _Context,
    start: datetime,
    length: AppointmentLength,
    code: str | None,
    patient_id: int,
) -> str:
    """What is booked in the way of the session at ``start``: the practitioner's other session,
    the patient's other visit, or every practitioner, room or device taken."""
    calendar = context.loaded.calendar
    turnover = length.turnover_minutes
    end = start + timedelta(minutes=length.blocked_minutes)
    visit_end = start + timedelta(minutes=length.patient_minutes)
    day = _say_day(calendar.local_day(start))
    in_the_way = sorted(
        (
            item
            for item in context.held
            if item.starts_at < end and start < max(item.free_at, item.ends_at)
        ),
        key=lambda item: item.starts_at,
    )

    def visit(item: HeldTime) -> str:
        low, high = calendar.to_local(item.starts_at), calendar.to_local(item.ends_at)
        return f"a session from {low:%H:%M} to {high:%H:%M} on {_say_day(low.date())}"

    def turnover_note(item: HeldTime, who: str) -> str:
        if item.starts_at < visit_end and start < item.ends_at:
            return ""
        if item.starts_at < start:
            free = calendar.to_local(max(item.free_at, item.ends_at))
            return (
                f" ({turnover} minutes' turnover between sessions: {who} is free from {free:%H:%M})"
            )
        latest = calendar.to_local(item.starts_at - timedelta(minutes=turnover))
        return (
            f" ({turnover} minutes' turnover between sessions: this one must end by {latest:%H:%M})"
        )

    if code is not None:
        staff_id = context.loaded.practitioner_ids[code]
        theirs = [item for item in in_the_way if item.practitioner_id == staff_id]
        if theirs:
            name = _staff_name(context.tx, staff_id)
            return f"{name} already has {visit(theirs[0])}{turnover_note(theirs[0], name)}"
    patients = [
        item
        for item in in_the_way
        if item.patient_id == patient_id and item.starts_at < visit_end and start < item.ends_at
    ]
    if patients:
        return f"The patient already has {visit(patients[0])}"
    low, high = calendar.to_local(start), calendar.to_local(end)
    when = f"from {low:%H:%M} to {high:%H:%M} on {day} (turnover included)"
    if code is None:
        return f"No practitioner is free {when}: choose another time"
    return f"No treatment room with a usable device is free {when}: choose another time"
