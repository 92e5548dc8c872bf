"""Moving and cancelling sessions of a booked series: :func:`move_session` (the later sessions stay
where they still fit their windows and are re-proposed where not), :func:`cancel_session` (one
session, for a reason; its slot stays free) and :func:`stop_series` (every future session, one
reason, one audit entry).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from microneedling.errors import NotFound, RuleViolation, SchedulingError
from microneedling.scheduling.series import (
    OVERFLOW_DAYS,
    SeriesProposal,
    SessionProposal,
    reschedule,
)
from microneedling.services.access import Actor, Transaction
from microneedling.services.appointments import check_reason
from microneedling.services.calendar_settings import load_calendar, scheduling_records
from microneedling.services.clock import Clock, utc_now
from microneedling.services.messages.outbox import (
    appointment_booked,
    appointment_cancelled,
    appointment_moved,
)
from microneedling.services.scheduling.booking import SLOT_TAKEN
from microneedling.services.scheduling.context import _Context, _moment, _patient_busy, _view
from microneedling.services.scheduling.plan_series import _preferences, _series_request
from microneedling.services.scheduling.series_state import (
    _apply,
    _pure_appointment,
    _series_state,
    _SeriesState,
)
from microneedling.store import UnitOfWork
from microneedling.store.models import Appointment as AppointmentRow
from microneedling.store.scheduling_models import AppointmentBooking, BookedSeries


def _session_of(
    tx: Transaction, appointment_id: int, statuses: Sequence[str], verb: str
) -> tuple[AppointmentRow, AppointmentBooking, BookedSeries]:
    records = scheduling_records(tx)
    row = tx.records.get(AppointmentRow, appointment_id, for_update=True)
    if row is None:
        raise NotFound(f"no appointment {appointment_id} in this clinic", field="appointment_id")
    booking = records.booking(row.id)
    if booking is None or booking.series_id is None:
        raise RuleViolation(
            f"appointment {appointment_id} was not booked as part of a series; use the "
            "appointment commands",
            field="appointment_id",
        )
    if row.status not in statuses:
        raise RuleViolation(f"a {row.status} session cannot be {verb}", field="appointment_id")
    series = records.series(booking.series_id, for_update=True)
    assert series is not None
    return row, booking, series


def _later_done(state: _SeriesState, session: int) -> None:
    for number, (row, _) in state.rows.items():
        if number > session and row.status == "completed":
            raise RuleViolation(
                f"session {number} of this series has already taken place", field="appointment_id"
            )


def _reschedule_context(
    tx: Transaction, series: BookedSeries, extra: date | None
) -> tuple[_Context, _SeriesState]:
    records = scheduling_records(tx)
    sessions = records.booked_sessions([series.id])
    own = {appointment.id for _, appointment in sessions}
    last = max([tx.today, *(a.starts_at.date() for _, a in sessions)])
    if extra is not None:
        last = max(last, extra)
    request = _series_request(series)
    until = last + timedelta(days=7 * request.interval.max * request.sessions + 2 * OVERFLOW_DAYS)
    # The series' own appointments are left in: reschedule recognises and releases them.
    context = _Context.load(tx, until)
    spans = [
        (item.starts_at, item.ends_at)
        for item in context.held
        if item.patient_id == series.patient_id and item.appointment_id not in own
    ]
    context.bookings.extend(_patient_busy(context.loaded, spans))
    return context, _series_state(context, series, sessions)


def _re_propose(
    tx: Transaction,
    context: _Context,
    state: _SeriesState,
    series: BookedSeries,
    row: AppointmentRow,
    booking: AppointmentBooking,
    to: datetime | None,
) -> SeriesProposal:
    """The series after ``row``'s session moves to ``to`` (or is cancelled: ``None``), the later
    sessions re-proposed inside their windows; ``row`` must be the session's current one."""
    current = state.rows.get(booking.session)
    if current is None or current[0].id != row.id:
        raise RuleViolation(
            f"appointment {row.id} is not the current appointment of session {booking.session}",
            field="appointment_id",
        )
    _later_done(state, booking.session)
    prefs, _ = _preferences(series.preferences, context.loaded, strict=False)
    return reschedule(
        state.request,
        state.appointments,
        context.loaded.calendar,
        context.occupancy_bookings(),
        session=booking.session,
        to=to,
        today=tx.today,
        first_allowed_date=series.first_allowed,
        preferences=prefs,
    )


def move_session(
    uow: UnitOfWork,
    actor: Actor,
    appointment_id: int,
    to: datetime | str,
    *,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Move one session of a booked series to ``to``: with its practitioner, room and device when
    they are free then, other free ones otherwise; refused under the minimum interval after the
    session before, before the first allowed date, or when nothing is free. The later sessions
    stay where they are still inside their windows and are re-proposed (moved) where not;
    sessions that can no longer be kept in their windows are flagged with the reason."""
    with Transaction(uow, actor, "series.move", clock) as tx:
        row, booking, series = _session_of(tx, appointment_id, ("scheduled",), "moved")
        records = scheduling_records(tx)
        loaded = load_calendar(tx, records)
        target = _moment(to, loaded, "to")
        if target <= tx.now:
            raise SchedulingError("is in the past", field="to")
        context, state = _reschedule_context(tx, series, loaded.calendar.local_day(target))
        proposal = _re_propose(tx, context, state, series, row, booking, target)
        result = _apply(context, state, proposal)
        _follow_with_messages(tx, result)
        tx.done(
            patient_id=series.patient_id,
            entity=("appointment", row.id),
            details={
                "series": series.id,
                "session": booking.session,
                "moved": result["moved"],
                "flagged": result["flagged"],
            },
            conflict=SLOT_TAKEN,
        )
    return result


def _follow_with_messages(tx: Transaction, result: Mapping[str, Any]) -> None:
    """The patient's queued messages follow the sessions that moved, and new sessions get
    theirs, in this transaction."""
    records = scheduling_records(tx)
    for appointment_id in result["moved"]:
        moved = tx.records.get(AppointmentRow, appointment_id)
        booking = records.booking(appointment_id)
        assert moved is not None
        appointment_moved(tx, moved, ends_at=booking.ends_at if booking else None)
    for appointment_id in result["created"]:
        created = tx.records.get(AppointmentRow, appointment_id)
        booking = records.booking(appointment_id)
        assert created is not None
        appointment_booked(tx, created, ends_at=booking.ends_at if booking else None)


def _series_view(
    tx: Transaction,
    series: BookedSeries,
    cancelled: Mapping[int, int],
    reason: str,
) -> dict[str, Any]:
    """The series as it stands after sessions were cancelled: every session still holding time,
    and the cancelled ones (``cancelled``: session → appointment) left without one."""
    records = scheduling_records(tx)
    loaded = load_calendar(tx, records)
    key = loaded.series_key(series.id)
    current = {b.session: (b, a) for b, a in records.booked_sessions([series.id])}
    sessions = []
    for number in range(1, series.sessions + 1):
        found = current.get(number)
        if found is not None:
            booking, appointment = found
            pure = _pure_appointment(loaded, key, series.sessions, appointment, booking)
            item = SessionProposal(number, "kept", pure, None, None, None)
            sessions.append(_view(item, loaded, appointment.id))
        else:
            why = (
                f"cancelled ({reason}); the slot is free and the session is not booked again"
                if number in cancelled
                else "not booked"
            )
            item = SessionProposal(number, "unplaced", None, None, None, None, reasons=(why,))
            sessions.append(_view(item, loaded))
    return {
        "series_id": series.id,
        "patient_id": series.patient_id,
        "time_zone": loaded.calendar.time_zone,
        "complete": len(current) == series.sessions,
        "sessions": sessions,
        "moved": [],
        "created": [],
        "flagged": [],
        "cancelled": next(iter(cancelled.values()), None) if len(cancelled) == 1 else None,
        "cancelled_appointments": sorted(cancelled.values()),
        "reason": reason,
    }


def cancel_session(
    uow: UnitOfWork,
    actor: Actor,
    appointment_id: int,
    *,
    reason: str,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Cancel one session of a booked series, for the ``reason`` staff give: the appointment is
    marked cancelled with the reason and its time released. The slot stays free: nothing is
    booked again on its own (staff book the session again, or change the plan); the later
    sessions stay where they are."""
    text = check_reason(reason, required=True)
    assert text is not None
    with Transaction(uow, actor, "series.cancel", clock) as tx:
        row, booking, series = _session_of(
            tx, appointment_id, ("scheduled", "checked_in"), "cancelled"
        )
        before = row.status
        row.status, row.status_changed_at, row.cancellation_reason = "cancelled", tx.now, text
        scheduling_records(tx).release([row.id])
        appointment_cancelled(tx, row)
        tx.flush()
        result = _series_view(tx, series, {booking.session: row.id}, text)
        tx.done(
            patient_id=series.patient_id,
            entity=("appointment", row.id),
            details={"series": series.id, "session": booking.session, "from": before,
                     "reason_given": True},
        )  # fmt: skip
    return result


def stop_series(
    uow: UnitOfWork,
    actor: Actor,
    series_id: int,
    *,
    reason: str,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Stop a booked series: every future session still scheduled is cancelled, for one
    ``reason``, in one transaction with one audit entry; their slots are left free."""
    text = check_reason(reason, required=True)
    assert text is not None
    with Transaction(uow, actor, "series.cancel", clock) as tx:
        records = scheduling_records(tx)
        series = records.series(series_id, for_update=True)
        if series is None:
            raise NotFound(f"no booked series {series_id} in this clinic", field="series_id")
        cancelled: dict[int, int] = {}
        for booking, row in records.booked_sessions([series.id], statuses=("scheduled",)):
            if row.starts_at > tx.now:
                row.status, row.status_changed_at, row.cancellation_reason = (
                    "cancelled", tx.now, text,
                )  # fmt: skip
                cancelled[booking.session] = row.id
                appointment_cancelled(tx, row)
        if not cancelled:
            raise RuleViolation(
                "this series has no sessions still to come: nothing to cancel", field="series_id"
            )
        records.release(cancelled.values())
        tx.flush()
        result = _series_view(tx, series, cancelled, text)
        tx.done(
            patient_id=series.patient_id,
            entity=("booked_series", series.id),
            details={"cancelled": sorted(cancelled.values()), "sessions": sorted(cancelled),
                     "reason_given": True},
        )  # fmt: skip
    return result
