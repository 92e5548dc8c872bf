"""Booking a plan's series (:func:`book_plan`): as proposed now, or in the slots staff picked, in one
transaction. Also the writing every booking shares: a series row, each session's ``appointment``
row with its ``appointment_booking``, and the ``resource_slot`` reservations whose primary key
refuses a practitioner, room or device booked twice, also when two bookings race
(:data:`SLOT_TAKEN`, a :class:`~microneedling.errors.Conflict`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from microneedling.errors import Conflict, RuleViolation
from microneedling.scheduling.series import Appointment, SeriesRequest, SessionProposal
from microneedling.services.access import Actor, Transaction
from microneedling.services.calendar_settings import LoadedCalendar
from microneedling.services.clock import Clock, utc_now
from microneedling.services.messages.outbox import appointment_booked
from microneedling.services.scheduling.context import _Context, _view
from microneedling.services.scheduling.picks import PickedSlot, _picked_sessions, picked_slots
from microneedling.services.scheduling.plan_series import (
    Preferences,
    _chosen_series,
    _first_allowed,
    _plan_row,
    _preferences,
    _request,
)
from microneedling.services.scheduling.proposals import _propose, _until
from microneedling.store import UnitOfWork
from microneedling.store.models import Appointment as AppointmentRow
from microneedling.store.models import TreatmentPlan
from microneedling.store.scheduling_models import AppointmentBooking, BookedSeries
from microneedling.store.scheduling_records import Reservation
from microneedling.store.unit_of_work import translate_conflicts

#: Said when a reservation collides with one made at the same moment.
SLOT_TAKEN = (
    "someone else booked one of these times at the same moment; propose again and pick another"
)


def _new_appointment(
    context: _Context,
    series: BookedSeries,
    proposal: SessionProposal,
) -> tuple[AppointmentRow, AppointmentBooking, Reservation]:
    tx, loaded = context.tx, context.loaded
    appointment = proposal.appointment
    assert appointment is not None
    row = AppointmentRow(
        patient_id=series.patient_id,
        plan_id=series.plan_id,
        practitioner_id=loaded.practitioner_ids[appointment.practitioner_id],
        starts_at=appointment.start,
        duration_minutes=int((appointment.end - appointment.start).total_seconds() // 60),
        status="scheduled",
        created_at=tx.now,
        created_by=tx.actor.staff_user_id,
        status_changed_at=tx.now,
    )
    tx.records.add(row)
    tx.flush()
    booking = AppointmentBooking(
        appointment_id=row.id,
        series_id=series.id,
        session=proposal.session,
        room_id=loaded.room_ids[appointment.room_id],
        device_id=loaded.device_ids[appointment.device_id] if appointment.device_id else None,
        ends_at=appointment.end,
        free_at=appointment.free_at,
        flag="; ".join(proposal.reasons) or None,
    )
    tx.records.add(booking)
    return row, booking, _reservation(row.id, appointment, loaded)


def _reservation(
    appointment_id: int, appointment: Appointment, loaded: LoadedCalendar
) -> Reservation:
    return Reservation(
        appointment_id=appointment_id,
        start=appointment.start,
        free_at=appointment.free_at,
        practitioner_id=loaded.practitioner_ids[appointment.practitioner_id],
        room_id=loaded.room_ids[appointment.room_id],
        device_id=loaded.device_ids[appointment.device_id] if appointment.device_id else None,
    )


def _reserve(
    context: _Context, reservations: Sequence[Reservation], taken: str = SLOT_TAKEN
) -> None:
    with translate_conflicts(taken):
        context.tx.flush(taken)
        context.records.reserve(reservations)


def _store_series(
    context: _Context,
    plan: TreatmentPlan,
    index: int,
    request: SeriesRequest,
    first_allowed: date,
    preferences: Mapping[str, Any],
    sessions: Sequence[SessionProposal],
) -> tuple[BookedSeries, list[tuple[SessionProposal, int]]]:
    """Write a series and its appointments, bookings and reservations."""
    unplaced = [item for item in sessions if item.appointment is None]
    if unplaced:
        raise RuleViolation(
            "cannot book the series: "
            + "; ".join(f"session {item.session}: {' '.join(item.reasons)}" for item in unplaced)
            + " (pick slots by hand)",
            field="slots",
        )
    tx = context.tx
    if any(row.series_index == index for row in context.records.series_of_plan(plan.id)):
        raise Conflict(
            f"series {index} of plan {plan.id} is already booked; move or cancel its sessions",
            field="plan_id",
        )
    series = BookedSeries(
        patient_id=plan.patient_id,
        plan_id=plan.id,
        series_index=index,
        sessions=request.sessions,
        interval_min_weeks=request.interval.min,
        interval_max_weeks=request.interval.max,
        interval_default_weeks=request.interval.default,
        zones=list(request.zones),
        anaesthetic=request.anaesthetic,
        preferences=dict(preferences),
        first_allowed=first_allowed,
        created_at=tx.now,
        created_by=tx.actor.staff_user_id,
    )
    tx.records.add(series)
    tx.flush(f"series {index} of plan {plan.id} was booked by someone else just now; reload it")
    written = []
    reservations = []
    booked = []
    for proposal in sessions:
        row, booking, reservation = _new_appointment(context, series, proposal)
        written.append((proposal, row.id))
        reservations.append(reservation)
        booked.append((row, booking))
    _reserve(context, reservations)
    # The messages go in this transaction: one confirmation for the series (it lists every
    # session), and each session's reminders, pre-care and aftercare.
    for number, (row, booking) in enumerate(booked):
        appointment_booked(tx, row, ends_at=booking.ends_at, confirm=number == 0)
    return series, written


def book_plan(
    uow: UnitOfWork,
    actor: Actor,
    plan_id: int,
    *,
    slots: Sequence[PickedSlot] | Any = None,
    preferences: Preferences | Mapping[str, Any] | None = None,
    series_index: int | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Book the plan's series in one transaction: the proposal as it stands now (no ``slots``),
    or the slots staff picked (one per session; see :class:`PickedSlot` and
    :func:`picked_slots`). Creates the appointments (status ``scheduled``), their bookings and
    reservations, and one audit entry. Sessions outside their window are booked and flagged."""
    picks: list[PickedSlot] | None = None
    if slots is not None:
        picks = list(slots) if _all_picked(slots) else picked_slots(slots)
    with Transaction(uow, actor, "series.book", clock) as tx:
        plan = _plan_row(tx, plan_id)
        if picks is not None and series_index is None:
            wanted = sorted({pick.series_index for pick in picks})
            chosen = [item for index in wanted for item in _chosen_series(plan, index)]
        else:
            chosen = _chosen_series(plan, series_index)
        context = _Context.load(
            tx, _until(tx, plan, chosen), patient_id=plan.patient_id, cached=True
        )
        prefs, stored = _preferences(preferences, context.loaded, strict=True)
        intake = context.records.latest_intakes([plan.patient_id]).get(plan.patient_id)
        plans: list[tuple[int, SeriesRequest, date, list[SessionProposal]]] = []
        if picks is None:
            proposed = _propose(context, plan, chosen, prefs)
            plans = [(i, r, f, list(p.sessions)) for i, r, f, p in proposed]
        else:
            for index, entry in chosen:
                request = _request(entry, plan.plan)
                first_allowed = _first_allowed(intake, entry)
                mine = [
                    (number, pick, f"slots[{number}]")
                    for number, pick in enumerate(picks)
                    if pick.series_index == index
                ]
                sessions = _picked_sessions(
                    context, request, mine, series_key="", first_allowed=first_allowed, anchor=None
                )
                plans.append((index, request, first_allowed, sessions))
        booked = []
        for index, request, first_allowed, sessions in plans:
            series, written = _store_series(
                context, plan, index, request, first_allowed, stored, sessions
            )
            booked.append((series, written))
        view = {
            "plan_id": plan.id,
            "patient_id": plan.patient_id,
            "time_zone": context.loaded.calendar.time_zone,
            "series": [
                {
                    "series_id": series.id,
                    "series_index": series.series_index,
                    "sessions": [
                        _view(proposal, context.loaded, appointment_id)
                        for proposal, appointment_id in written
                    ],
                }
                for series, written in booked
            ],
        }
        flagged = sum(1 for _, written in booked for proposal, _ in written if proposal.reasons)
        tx.done(
            patient_id=plan.patient_id,
            entity=("booked_series", booked[0][0].id),
            details={
                "plan": plan.id,
                "series": [series.id for series, _ in booked],
                "appointments": [a for _, written in booked for _, a in written],
                "picked": picks is not None,
                "flagged": flagged,
            },
            conflict=SLOT_TAKEN,
        )
    return view


def _all_picked(slots: Any) -> bool:
    return (
        isinstance(slots, Sequence)
        and not isinstance(slots, (str, bytes))
        and all(isinstance(item, PickedSlot) for item in slots)
    )
