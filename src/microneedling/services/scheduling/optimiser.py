"""Clinic-wide optimisation (:func:`optimise_calendar`): every pending series (a plan's series not
booked yet, or a booked one whose later sessions no longer fit the calendar) assigned slots
together by the pure package's CP-SAT optimiser or its greedy baseline. Nothing is booked: the
result is a proposal staff accept (:mod:`.optimiser_accept`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from microneedling.errors import SchedulingError, UserError
from microneedling.scheduling.optimise import (
    Assignment,
    PendingSeries,
    Progress,
    assign_greedy,
    assign_optimised,
)
from microneedling.scheduling.series import Appointment
from microneedling.scheduling.slots import Occupancy, Slot
from microneedling.services.access import Actor, Transaction
from microneedling.services.calendar_settings import LoadedCalendar
from microneedling.services.clock import Clock, utc_now
from microneedling.services.scheduling.context import _Context
from microneedling.services.scheduling.plan_series import (
    _first_allowed,
    _preferences,
    _request,
    _timed_series,
)
from microneedling.services.scheduling.series_state import _series_state, _SeriesState
from microneedling.store import UnitOfWork
from microneedling.store.models import Appointment as AppointmentRow
from microneedling.store.scheduling_models import AppointmentBooking


@dataclass
class _Pending:
    """A pending series: a plan's series not booked yet, or a booked one whose sessions from
    ``first_session`` on no longer fit the calendar (an absence, a closure)."""

    key: str
    patient_id: int
    plan_id: int
    series_index: int
    series_id: int | None
    first_session: int
    item: PendingSeries
    released: list[int]
    why: str


def _invalid_from(
    loaded: LoadedCalendar, empty: Occupancy, state: _SeriesState, now: datetime
) -> int | None:
    """The first future session whose slot the calendar no longer allows (else ``None``)."""
    for appointment in state.appointments:
        row = state.rows[appointment.session][0]
        if appointment.start <= now or row.status != "scheduled":
            continue
        slot = Slot(
            appointment.start,
            appointment.end,
            appointment.free_at,
            appointment.practitioner_id,
            appointment.room_id,
            appointment.device_id,
        )
        if not empty.is_free(slot):
            return appointment.session
    return None


def _pending(context: _Context) -> tuple[list[_Pending], list[dict[str, Any]]]:
    tx, records, loaded = context.tx, context.records, context.loaded
    result: list[_Pending] = []
    skipped: list[dict[str, Any]] = []
    plans = records.open_plans()
    booked = records.booked_keys(plan.id for plan in plans)
    intakes = records.latest_intakes({plan.patient_id for plan in plans})
    for plan in plans:
        for index, entry in _timed_series(plan.plan):
            if (plan.id, index) in booked:
                continue
            key = f"plan-{plan.id}-{index}"
            try:
                first_allowed = _first_allowed(intakes.get(plan.patient_id), entry)
                request = _request(entry, plan.plan)
            except UserError as error:
                skipped.append({"key": key, "plan_id": plan.id, "reason": error.message})
                continue
            result.append(
                _Pending(
                    key,
                    plan.patient_id,
                    plan.id,
                    index,
                    None,
                    1,
                    PendingSeries(key, request, first_allowed),
                    [],
                    "not booked yet",
                )
            )
    empty = Occupancy(loaded.calendar)
    series_ids = {item.series_id for item in context.held if item.series_id is not None}
    by_series: dict[int, list[tuple[AppointmentBooking, AppointmentRow]]] = {}
    for booking, appointment in records.booked_sessions(sorted(series_ids)):
        by_series.setdefault(booking.series_id, []).append((booking, appointment))
    for series in sorted(records.series_by_ids(series_ids).values(), key=lambda row: row.id):
        state = _series_state(context, series, by_series.get(series.id, []))
        first = _invalid_from(loaded, empty, state, tx.now)
        if first is None:
            continue
        key = f"series-{series.id}"
        kept = [a for a in state.appointments if a.session < first]
        prefs, _ = _preferences(series.preferences, loaded, strict=False)
        released = [int(a.reference) for a in state.appointments if a.session >= first]
        result.append(
            _Pending(
                key,
                series.patient_id,
                series.plan_id,
                series.series_index,
                series.id,
                first,
                PendingSeries(
                    key,
                    state.request,
                    series.first_allowed,
                    prefs,
                    done=first - 1,
                    last_session=loaded.calendar.local_day(kept[-1].start) if kept else None,
                    last_practitioner=kept[-1].practitioner_id if kept else None,
                ),
                released,
                f"session {first} no longer fits the calendar",
            )
        )
    return result, skipped


def optimise_calendar(
    uow: UnitOfWork,
    actor: Actor,
    *,
    method: Literal["cp-sat", "greedy"] = "cp-sat",
    time_limit_seconds: float = 10.0,
    horizon_days: int = 182,
    workers: int = 2,
    progress: Callable[[Progress], None] | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Assign slots to every pending series together: plans' series not booked yet, and booked
    series whose later sessions no longer fit the calendar (a practitioner's absence, a
    closure). ``cp-sat``: the rolling-horizon CP-SAT optimiser (time-limited, best found; never
    worse than greedy); ``greedy``: first fit, series by series. Nothing is booked: the result
    is a proposal staff accept with :func:`accept_optimised`."""
    if method not in ("cp-sat", "greedy"):
        raise SchedulingError("expected cp-sat or greedy", field="method")
    if not 0.1 <= time_limit_seconds <= 600:
        raise SchedulingError("must be 0.1 to 600 seconds", field="time_limit")
    if not 7 <= horizon_days <= 366:
        raise SchedulingError("must be 7 to 366 days", field="horizon_days")
    with Transaction(uow, actor, "calendar.optimise", clock) as tx:
        today = tx.today
        until = today + timedelta(days=horizon_days)
        context = _Context.load(tx, until + timedelta(days=2))
        pending, skipped = _pending(context)
        released = {a for item in pending for a in item.released}
        bookings = [b for b in context.bookings if b.reference not in {str(a) for a in released}]
        occupancy = Occupancy(context.loaded.calendar, bookings)
        series = [item.item for item in pending]
        assignment: Assignment
        if method == "greedy" or not series:
            assignment = assign_greedy(
                series, context.loaded.calendar, occupancy, today=today, until=until,
                progress=progress,
            )  # fmt: skip
        else:
            assignment = assign_optimised(
                series,
                context.loaded.calendar,
                occupancy,
                today=today,
                until=until,
                time_limit_seconds=time_limit_seconds,
                workers=workers,
                progress=progress,
            )
        view = _assignment_view(context, pending, skipped, assignment, method)
        tx.done(
            details={
                "method": assignment.method,
                "pending": len(pending),
                "placed": assignment.in_window,
                "unplaced": len(assignment.unplaced),
            }
        )
    return view


def _assignment_view(
    context: _Context,
    pending: Sequence[_Pending],
    skipped: list[dict[str, Any]],
    assignment: Assignment,
    method: str,
) -> dict[str, Any]:
    calendar = context.loaded.calendar
    placed: dict[str, list[Appointment]] = {}
    for appointment in assignment.appointments:
        placed.setdefault(appointment.series_id, []).append(appointment)
    unplaced: dict[str, list[dict[str, Any]]] = {}
    for missing in assignment.unplaced:
        unplaced.setdefault(missing.series_id, []).append(
            {"session": missing.session, "reason": missing.reason}
        )
    series = []
    for item in pending:
        series.append(
            {
                "key": item.key,
                "why": item.why,
                "patient_id": item.patient_id,
                "plan_id": item.plan_id,
                "series_index": item.series_index,
                "series_id": item.series_id,
                "first_session": item.first_session,
                "sessions": [
                    {
                        "session": a.session,
                        "start": calendar.to_local(a.start).isoformat(),
                        "end": calendar.to_local(a.end).isoformat(),
                        "practitioner": a.practitioner_id,
                        "room": a.room_id,
                        "device": a.device_id,
                    }
                    for a in sorted(placed.get(item.key, ()), key=lambda a: a.session)
                ],
                "unplaced": unplaced.get(item.key, []),
            }
        )
    return {
        "method": assignment.method,
        "requested": method,
        "time_zone": calendar.time_zone,
        "summary": {
            "series": len(pending),
            "sessions": assignment.sessions,
            "reachable": assignment.reachable,
            "in_window": assignment.in_window,
            "unplaced": len(assignment.unplaced),
            "penalty": assignment.penalty,
            "utilisation": round(assignment.utilisation, 4),
            "solver_seconds": round(assignment.solver_seconds, 2),
        },
        "series": series,
        "skipped": skipped,
    }
